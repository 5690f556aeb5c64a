// Nothing hangs, nothing crawls: an engine that lets the event loop run, a state that runs at most a
// bounded way ahead of its store, and execs that ignore their signal losing their slot after a grace.
import { describe, expect, it } from 'vitest';
import { MemoryStore, Processor, type StateStatus, type Store, type StoreRecord, workflow } from '../src/index.js';
import { FakeClock, runWithFakeClock } from '../src/testing/index.js';

type JC = { n: number };

const instant = workflow<object, object, JC>('instant')
  .state('fetch', { concurrency: 10 })
  .to('parse')
  .exec(({ jc }) => ({ state: 'parse', jc }))
  .state('parse', { concurrency: 10 })
  .to('done')
  .exec(async ({ jc }) => ({ state: 'done', jc }))
  .terminal('done')
  .build();

function runOf(n: number) {
  const run = instant.newRun('r', {});
  for (let i = 0; i < n; i++) run.add({ n: i }, 'fetch');
  return run;
}

/** A MemoryStore that remembers the size of every append. */
class CountingStore<OC, C> extends MemoryStore<OC, C> implements Store<OC, C> {
  readonly batches: number[] = [];
  override async append(records: readonly StoreRecord<C>[]): Promise<void> {
    this.batches.push(records.length);
    await new Promise((resolve) => setImmediate(resolve)); // as a file's write and fsync take a turn of the event loop
    await super.append(records);
  }
}

describe('a responsive engine', () => {
  it('execs that resolve at once do not keep an abort waiting: the abort is seen within the first turns', async () => {
    const run = runOf(200_000);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 0); // a timer: it runs only when the engine lets the event loop turn
    const result = await new Processor(instant, {}).exec(run, { signal: controller.signal });
    expect(result.outcome).toBe('aborted');
    expect(result.transitions).toBeLessThan(20_000);
  });

  it('with a store, a state runs at most concurrency + maxUndurable ahead of it: batches stay small, states go together', async () => {
    const store = new CountingStore<object, JC>();
    const run = runOf(20_000);
    const statuses: (readonly StateStatus[])[] = [];
    await new Processor(instant, {}, { store, status: (s) => statuses.push(s) }).exec(run);
    // Two working states, concurrency 10, 4 x 10 ahead each: never more than 100 records waiting.
    expect(Math.max(...store.batches)).toBeLessThanOrEqual(100);
    expect(store.batches.reduce((a, b) => a + b, 0)).toBe(40_000);
    // Jobs reach done long before every fetch has run (no waves)...
    const firstDone = statuses.findIndex((s) => (s.find((x) => x.state === 'done')?.completed ?? 0) > 0);
    const fetchLeft = statuses[firstDone]?.find((x) => x.state === 'fetch')?.waiting ?? 0;
    expect(fetchLeft).toBeGreaterThan(15_000);
    // ...and executing never exceeds a state's concurrency: jobs awaiting the store are committing.
    for (const update of statuses) for (const s of update) expect(s.executing).toBeLessThanOrEqual(10);
    expect(statuses.some((update) => update.some((s) => s.committing > 0))).toBe(true);
  });

  it("'strict': a slot is freed only once its transition is durable, so running + committing never exceed the concurrency", async () => {
    const store = new CountingStore<object, JC>();
    const statuses: (readonly StateStatus[])[] = [];
    await new Processor(instant, {}, { store, maxUndurable: 'strict', status: (s) => statuses.push(s) }).exec(runOf(2_000));
    for (const update of statuses) for (const s of update) expect(s.executing + s.committing).toBeLessThanOrEqual(10);
    expect(Math.max(...store.batches)).toBeLessThanOrEqual(20);
  });

  it('rejects bad processor options, naming them', () => {
    expect(() => new Processor(instant, {}, { graceMs: -1 })).toThrow('new Processor(workflow, ac, options): graceMs must be a number of milliseconds from 0 up, got -1');
    expect(() => new Processor(instant, {}, { maxUndurable: 1.5 })).toThrow("new Processor(workflow, ac, options): maxUndurable must be a whole number from 0 up, 'strict' or a function of the concurrency, got 1.5");
    expect(() => new Processor(instant, {}, null as never)).toThrow('new Processor(workflow, ac, options): options must be an object such as { store, status }, got null');
  });
});

describe('an exec that ignores its signal', () => {
  const never = new Promise<never>(() => undefined);

  it('after its timeout, keeps its slot for graceMs, then the state runs its other jobs; its late result is discarded', async () => {
    let release!: () => void;
    const late = new Promise<void>((resolve) => (release = resolve));
    const started: number[] = [];
    const wf = workflow<object, object, JC>('stuck')
      .state('work', { concurrency: 1, timeout: { ms: 1_000, failState: 'timed-out' } })
      .to('done', 'timed-out')
      .exec(async ({ jc }) => {
        started.push(jc.n);
        if (jc.n === 0) await late; // ignores its signal
        return { state: 'done', jc };
      })
      .terminal('done', 'timed-out')
      .build();
    const run = wf.newRun('r', {}).add({ n: 0 }, 'work').add({ n: 1 }, 'work');
    const { result, elapsedMs } = await runWithFakeClock(wf, {}, run, { graceMs: 2_000 });
    expect(started).toEqual([0, 1]);
    expect(elapsedMs).toBe(3_000); // 1 s to the timeout, 2 s of grace, then job 1 at once
    expect(result).toEqual({ outcome: 'complete', transitions: 2, failed: 0, abandoned: 1 });
    release(); // the abandoned exec returns 'done' now: too late, and nothing changes
    await new Promise((resolve) => setImmediate(resolve));
    expect(run.jobs.get('0')?.state).toBe('timed-out');
  });

  it('after an abort, exec resolves graceMs later even though the exec never settles', async () => {
    const wf = workflow<object, object, JC>('deaf')
      .state('work', { concurrency: 2 })
      .to('done')
      .exec(() => never)
      .terminal('done')
      .build();
    const clock = new FakeClock();
    const controller = new AbortController();
    const run = wf.newRun('r', {}).add({ n: 0 }, 'work').add({ n: 1 }, 'work').add({ n: 2 }, 'work');
    const done = new Processor(wf, {}, { clock, graceMs: 500 }).exec(run, { signal: controller.signal });
    await clock.advance(10_000);
    controller.abort();
    await clock.advance(499);
    let settled = false;
    void done.then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    await clock.advance(1);
    expect(await done).toEqual({ outcome: 'aborted', transitions: 0, failed: 0, abandoned: 2 });
    expect([...run.jobs.values()].map((j) => j.state)).toEqual(['work', 'work', 'work']); // they wait for the next exec
  });
});
