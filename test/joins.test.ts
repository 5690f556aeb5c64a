// Joins: a job entering a `{ join: true }` state waits, holding no slot, until every child it
// kicked has settled; then its exec runs once with `children`, in kick order.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JsonlStore, MemoryStore, Processor, toMermaid, workflow, type StateStatus } from '../src/index.js';
import { FakeClock, runWithFakeClock } from '../src/testing/index.js';

type JC = { tables?: string[]; table?: string; rows?: number; summary?: number[]; n?: number; fail?: boolean };

/** The sql-summary shape: split kicks one query per table, merge sums what they found. */
function summary(clock: FakeClock, seen: { merged: { id: string; children: string[]; states: string[] }[] }) {
  return workflow<object, object, JC>('summary')
    .state('split', { concurrency: 4 })
    .to('merge')
    .spawns('query')
    .exec(({ jc }) => ({ state: 'merge', jc, kicks: (jc.tables ?? []).map((t) => ({ state: 'query' as const, jc: { table: t } })) }))
    .state('query', { concurrency: 2, retry: { attempts: 1 } })
    .to('queried')
    .exec(async ({ jc }) => {
      await new Promise<void>((resolve) => clock.setTimeout(resolve, 10 * (jc.table?.length ?? 1)));
      if (jc.fail === true || jc.table === 'broken') throw new Error(`no table ${jc.table}`);
      return { state: 'queried', jc: { ...jc, rows: (jc.table?.length ?? 0) * 100 } };
    })
    .state('merge', { join: true })
    .to('done')
    .exec(({ jc, job, children }) => {
      seen.merged.push({ id: job.id, children: children.map((c) => c.id), states: children.map((c) => `${c.state}${c.failed ? '!' : ''}`) });
      return { state: 'done', jc: { ...jc, summary: children.map((c) => c.jc.rows ?? 0) } };
    })
    .terminal('queried', 'done')
    .build();
}

describe('joins', () => {
  it('runs the join exec once, after every child settled, with the children in kick order', async () => {
    const clock = new FakeClock();
    const seen = { merged: [] as { id: string; children: string[]; states: string[] }[] };
    const wf = summary(clock, seen);
    const run = wf.newRun('r', {}).add({ tables: ['users', 'orders', 'a'] }, 'split').add({ tables: [] }, 'split');
    const { result } = await runWithFakeClock(wf, {}, run, { clock });
    expect(result.outcome).toBe('complete');
    expect(seen.merged).toEqual([
      { id: '1', children: [], states: [] }, // no children: the join runs at once
      { id: '0', children: ['0->0', '0->1', '0->2'], states: ['queried', 'queried', 'queried'] },
    ]);
    expect(run.jobs.get('0')?.jc.summary).toEqual([500, 600, 100]);
  });

  it('a failed child is a settled child: the parent is not stuck, and sees it failed', async () => {
    const clock = new FakeClock();
    const seen = { merged: [] as { id: string; children: string[]; states: string[] }[] };
    const wf = summary(clock, seen);
    const run = wf.newRun('r', {}).add({ tables: ['users', 'broken'] }, 'split');
    const { result } = await runWithFakeClock(wf, {}, run, { clock });
    expect(result).toMatchObject({ outcome: 'complete', failed: 1 });
    expect(seen.merged).toEqual([{ id: '0', children: ['0->0', '0->1'], states: ['queried', 'query!'] }]);
    expect(run.jobs.get('0')?.state).toBe('done');
  });

  it('with a failState, the parent leaves as soon as a child fails, without its exec, and the error names the child', async () => {
    const clock = new FakeClock();
    let merged = 0;
    const wf = workflow<object, object, JC>('routed')
      .state('split')
      .to('merge')
      .spawns('query')
      .exec(({ jc }) => ({ state: 'merge', jc, kicks: [{ state: 'query', jc: { n: 1, fail: true } }, { state: 'query', jc: { n: 500 } }] }))
      .state('query', { concurrency: 2 })
      .to('queried')
      .exec(async ({ jc }) => {
        await new Promise<void>((resolve) => clock.setTimeout(resolve, jc.n ?? 0));
        if (jc.fail === true) throw new Error('bad query');
        return { state: 'queried', jc };
      })
      .state('merge', { join: { failState: 'partial' } })
      .to('done', 'partial')
      .exec(({ jc }) => {
        merged++;
        return { state: 'done', jc };
      })
      .terminal('queried', 'done', 'partial')
      .build();
    const run = wf.newRun('r', {}).add({}, 'split');
    const processor = new Processor(wf, {}, { clock });
    const execution = processor.exec(run);
    await clock.advance(1);
    await clock.advance(1);
    // The failing child settled at 1 ms; the slow one still runs, and the parent has already left.
    expect(run.jobs.get('0')?.state).toBe('partial');
    expect(run.jobs.get('0')?.errors['merge']).toEqual(['child 0->0 failed in state "query": bad query']);
    expect(run.jobs.get('0->1')?.state).toBe('query');
    await clock.runAll();
    expect((await execution).outcome).toBe('complete');
    expect(merged).toBe(0);
    expect(run.jobs.get('0->1')?.state).toBe('queried');
  });

  it('joins compose down a tree: a parent waits for a child that itself waits for its own children', async () => {
    const order: string[] = [];
    const tree = workflow<object, object, JC>('tree')
      .state('node', { concurrency: 3 })
      .to('gather')
      .spawns('node')
      .exec(({ jc }) => ({ state: 'gather', jc, kicks: (jc.n ?? 0) > 0 ? [{ state: 'node', jc: { n: (jc.n ?? 0) - 1 } }, { state: 'node', jc: { n: (jc.n ?? 0) - 1 } }] : [] }))
      .state('gather', { join: true, concurrency: 4 })
      .to('done')
      .exec(({ jc, job, children }) => {
        order.push(job.id);
        return { state: 'done', jc: { ...jc, rows: 1 + children.reduce((sum, c) => sum + (c.jc.rows ?? 0), 0) } };
      })
      .terminal('done')
      .build();
    const run = tree.newRun('r', {}).add({ n: 3 }, 'node');
    await new Processor(tree, {}).exec(run);
    expect(run.jobs.size).toBe(15);
    expect(run.jobs.get('0')?.jc.rows).toBe(15); // every node counted once, leaves first
    expect(order.at(-1)).toBe('0');
    for (const id of order) for (const child of [`${id}->0`, `${id}->1`]) if (run.jobs.has(child)) expect(order.indexOf(child)).toBeLessThan(order.indexOf(id));
  });

  it('status counts a waiting parent as waiting and joining, holding no slot', async () => {
    const clock = new FakeClock();
    const statuses: StateStatus[][] = [];
    const seen = { merged: [] as { id: string; children: string[]; states: string[] }[] };
    const wf = summary(clock, seen);
    const run = wf.newRun('r', {}).add({ tables: ['users'] }, 'split');
    const execution = new Processor(wf, {}, { clock, status: (s) => statuses.push([...s]) }).exec(run);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const merge = statuses.at(-1)?.find((s) => s.state === 'merge');
    expect(merge).toMatchObject({ waiting: 1, joining: 1, executing: 0 });
    await clock.runAll();
    await execution;
  });

  it('draws a join state and its failure route', () => {
    const wf = workflow<object, object, JC>('d')
      .state('merge', { join: { failState: 'partial' } })
      .to('done', 'partial')
      .exec(({ jc }) => ({ state: 'done', jc }))
      .terminal('done', 'partial')
      .build();
    const text = toMermaid(wf);
    expect(text).toContain('join (waits for its children)');
    expect(text).toContain('|"a child failed"|');
  });

  it('refuses a join failState that is not a target, and a join on a terminal state is impossible to declare', () => {
    expect(() =>
      workflow<object, object, JC>('bad')
        .state('merge', { join: { failState: 'nowhere' } })
        .to('done')
        // @ts-expect-error the failState must be a .to() target: the compiler says so at the exec
        .exec(({ jc }) => ({ state: 'done', jc }))
        .terminal('done')
        .build(),
    ).toThrow(/join failState "nowhere" must be one of its \.to\(\) targets \(done\)/);
  });
});

describe('joins across a restart', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('a parent waiting for its children when the process stops runs after they settle in the next process', async () => {
    dir = await mkdtemp(join(tmpdir(), 'jorb-joins-'));
    const file = join(dir, 'run.jsonl');
    const seen: string[][] = [];
    let gate = true;
    const make = () =>
      workflow<object, object, JC>('restart')
        .state('split')
        .to('merge')
        .spawns('query')
        .exec(({ jc }) => ({ state: 'merge', jc, kicks: [0, 1, 2].map((n) => ({ state: 'query' as const, jc: { n } })) }))
        .state('query', { concurrency: 3 })
        .to('queried')
        .exec(async ({ jc, signal }) => {
          if (gate && jc.n === 2) await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('stopped')), { once: true }));
          return { state: 'queried', jc: { ...jc, rows: (jc.n ?? 0) + 1 } };
        })
        .state('merge', { join: true })
        .to('done')
        .exec(({ jc, children }) => {
          seen.push(children.map((c) => `${c.id}:${c.jc.rows}`));
          return { state: 'done', jc };
        })
        .terminal('queried', 'done')
        .build();
    const wf = make();
    const store = new JsonlStore<object, JC>(file);
    const run = wf.newRun('r', {}).add({}, 'split');
    const controller = new AbortController();
    const first = new Processor(wf, {}, { store }).exec(run, { signal: controller.signal });
    while (run.jobs.get('0->1')?.state !== 'queried' || run.jobs.get('0->0')?.state !== 'queried') await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    expect((await first).outcome).toBe('aborted');
    await store.close();
    expect(seen).toEqual([]);

    gate = false;
    const again = new JsonlStore<object, JC>(file);
    const loaded = await again.load(wf);
    expect(loaded?.jobs.get('0')?.state).toBe('merge');
    if (!loaded) throw new Error('nothing stored');
    const result = await new Processor(wf, {}, { store: again }).exec(loaded);
    await again.close();
    expect(result.outcome).toBe('complete');
    expect(seen).toEqual([['0->0:1', '0->1:2', '0->2:3']]);
  });

  it('a MemoryStore run reloaded with settled children runs the join at once', async () => {
    const seen: number[] = [];
    const wf = workflow<object, object, JC>('m')
      .state('split')
      .to('merge')
      .spawns('leaf')
      .exec(({ jc }) => ({ state: 'merge', jc, kicks: [{ state: 'leaf', jc: { n: 1 } }] }))
      .state('merge', { join: true })
      .to('done')
      .exec(({ jc, children }) => {
        seen.push(children.length);
        return { state: 'done', jc };
      })
      .terminal('leaf', 'done')
      .build();
    const store = new MemoryStore<object, JC>();
    const run = wf.newRun('r', {}).add({}, 'split');
    await new Processor(wf, {}, { store }).exec(run);
    expect(seen).toEqual([1]); // a child kicked straight into a terminal state is settled at once
  });
});
