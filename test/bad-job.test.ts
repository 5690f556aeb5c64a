// One bad job fails one job: a job context JSON cannot store fails that job, naming it and the
// offending path, and the run goes on (on every restart too); an exec's jc is its own copy, so a
// mutation in place cannot leak into the stored job.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonlStore, Processor, RunError, toSnapshot, workflow } from '../src/index.js';
import { useTempDir } from './support/temp-dir.js';

type JC = { n: number; seen?: number[]; bad?: unknown };

const tempDir = useTempDir();

/** A workflow whose exec puts `make(n)` into the job context of job n === 3 (untyped JavaScript does this). */
function poisoning(make: (n: number) => unknown) {
  return workflow<object, object, JC>('poison')
    .state('work', { concurrency: 2 })
    .to('done')
    .spawns('work')
    .exec(({ jc }) => {
      if (jc.n === 3) return { state: 'done', jc: { ...jc, bad: make(jc.n) } };
      if (jc.n === 4) return { state: 'done', jc, kicks: [{ state: 'work', jc: { n: 40, bad: make(jc.n) } }] };
      return { state: 'done', jc };
    })
    .terminal('done')
    .build();
}

const circular = () => {
  const o: Record<string, unknown> = { name: 'loop' };
  o['self'] = o;
  return o;
};

describe('one bad job fails one job', () => {
  it.each([
    ['a bigint', () => 10n, 'jc.bad is a bigint (10n), which JSON cannot store: store it as a string'],
    ['a circular object', circular, 'jc.bad.self refers back to an enclosing object (a cycle), which JSON cannot store'],
    ['a Date', () => new Date(0), 'jc.bad is a Date, which JSON turns into a string: store plain objects, arrays, strings, numbers, booleans and null'],
    ['a Map', () => new Map([[1, 2]]), 'jc.bad is a Map, which JSON does not store as it is: store plain objects, arrays, strings, numbers, booleans and null'],
    ['NaN', () => NaN, 'jc.bad is NaN, which JSON stores as null'],
    ['a function', () => () => 1, 'jc.bad is a function, which JSON drops'],
    ['undefined inside a list', () => [1, undefined], 'jc.bad[1] is undefined, which JSON drops'],
  ])('%s in a returned jc fails that job, naming the path; the others finish and the run reloads', async (_, make, problem) => {
    const path = join(tempDir(), 'run.jsonl');
    const wf = poisoning(make);
    const store = new JsonlStore<object, JC>(path);
    await store.load();
    const run = wf.newRun('poison', {});
    for (let n = 0; n < 6; n++) run.add({ n }, 'work');

    const result = await new Processor(wf, {}, { store }).exec(run);
    await store.close();

    expect(result).toEqual({ outcome: 'complete', transitions: 6, failed: 2 });
    expect(run.jobs.get('3')).toMatchObject({ state: 'work', failed: true, jc: { n: 3 }, errors: { work: [`cannot store the returned job context: ${problem}`] } });
    expect(run.jobs.get('4')).toMatchObject({ state: 'work', failed: true, errors: { work: [`cannot store kick 0's job context: ${problem.replace('jc.bad', 'kicks[0].jc.bad')}`] } });
    const reloaded = await new JsonlStore<object, JC>(path).load(wf);
    expect(reloaded && [...reloaded.jobs.values()].map((j) => [j.id, j.state, j.failed ?? false])).toEqual([
      ['0', 'done', false],
      ['1', 'done', false],
      ['2', 'done', false],
      ['3', 'work', true],
      ['4', 'work', true],
      ['5', 'done', false],
    ]);
  });

  it('run.add refuses a jc JSON cannot store, naming the path, and adds nothing', () => {
    const run = poisoning(() => 1).newRun('r', {});
    expect(() => run.add({ n: 1, bad: { when: new Date(0) } }, 'work')).toThrow(
      new RunError('Run "r": cannot add a job whose jc.bad.when is a Date, which JSON turns into a string: store plain objects, arrays, strings, numbers, booleans and null'),
    );
    expect(() => run.add({ n: 1, bad: 1n }, 'work')).toThrow(RunError);
    expect(run.jobs.size).toBe(0);
    expect(toSnapshot(run).nextId).toBe(0);
  });
});

describe("an exec's jc is its own copy", () => {
  it('a mutation in place does not reach the stored job while the exec runs', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const wf = workflow<object, object, JC>('mutating')
      .state('work')
      .to('done')
      .exec(async ({ jc }) => {
        jc.seen?.push(jc.n); // the exec changes its jc in place...
        await held; // ...and is still running when the run is saved
        return { state: 'done', jc };
      })
      .terminal('done')
      .build();
    const run = wf.newRun('r', {}).add({ n: 7, seen: [] }, 'work');
    const done = new Processor(wf, {}).exec(run);
    await new Promise((resolve) => setImmediate(resolve));
    const duringExec = structuredClone(toSnapshot(run).jobs[0]?.jc);
    release();
    await done;
    expect(duringExec).toEqual({ n: 7, seen: [] });
    expect(run.jobs.get('0')?.jc).toEqual({ n: 7, seen: [7] });
  });

  it('a retried attempt starts from the stored jc, not from what the failed attempt did to it', async () => {
    const wf = workflow<object, object, JC>('retrying')
      .state('work', { retry: { attempts: 3, backoff: { initialMs: 0 } } })
      .to('done')
      .exec(({ jc }) => {
        jc.seen?.push(jc.n);
        if ((jc.seen?.length ?? 0) < 2) throw new Error('not yet'); // only ever 1 after a fresh copy
        return { state: 'done', jc };
      })
      .terminal('done')
      .build();
    const run = wf.newRun('r', {}).add({ n: 1, seen: [] }, 'work');
    const result = await new Processor(wf, {}).exec(run);
    expect(result.failed).toBe(1);
    expect(run.jobs.get('0')).toMatchObject({ jc: { n: 1, seen: [] }, errors: { work: ['not yet', 'not yet', 'not yet'] } });
  });
});
