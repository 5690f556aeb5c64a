// Failure semantics: never a crash, never a lost job.
import { describe, expect, it } from 'vitest';
import { type ExecFn, MemoryStore, Processor, workflow } from '../src/index.js';
import { countStates } from './support/count-states.js';

type JC = { n: number };

describe('a thrown error', () => {
  it('is recorded, marks the job failed where it is, and the rest of the run completes', async () => {
    const wf = workflow<object, object, JC>('throws')
      .state('work', { concurrency: 3 })
      .to('done')
      .exec(({ jc }) => {
        if (jc.n % 3 === 0) throw new Error(`cannot handle ${jc.n}`);
        return { state: 'done', jc: { n: jc.n * 10 } };
      })
      .terminal('done')
      .build();
    const run = wf.newRun('r', {});
    for (let n = 0; n < 9; n++) run.add({ n }, 'work');
    const store = new MemoryStore<object, JC>();
    const result = await new Processor(wf, {}, { store }).exec(run);

    expect(result).toEqual({ outcome: 'complete', transitions: 9, failed: 3 });
    expect(run.jobs.size).toBe(9);
    expect(countStates(run)).toEqual({ work: 3, done: 6 });
    const failed = [...run.jobs.values()].filter((j) => j.failed);
    expect(failed.map((j) => [j.id, j.state, j.jc.n, j.errors])).toEqual([
      ['0', 'work', 0, { work: ['cannot handle 0'] }],
      ['3', 'work', 3, { work: ['cannot handle 3'] }],
      ['6', 'work', 6, { work: ['cannot handle 6'] }],
    ]);
    const loaded = await store.load();
    expect(loaded?.jobs.get('3')).toMatchObject({ state: 'work', failed: true, errors: { work: ['cannot handle 3'] } });
  });

  it('records non-Error throws readably', async () => {
    const wf = workflow<object, object, JC>('odd-throws')
      .state('work')
      .to('done')
      .exec(({ jc }) => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error
        throw jc.n === 0 ? 'plain string' : { code: 42 };
      })
      .terminal('done')
      .build();
    const run = wf.newRun('r', {}).add({ n: 0 }, 'work').add({ n: 1 }, 'work');
    await new Processor(wf, {}).exec(run);
    expect(run.jobs.get('0')?.errors).toEqual({ work: ['plain string'] });
    expect(run.jobs.get('1')?.errors).toEqual({ work: ['{"code":42}'] });
  });

  it('a failed job stays failed across a later exec: nothing re-runs it by surprise', async () => {
    let calls = 0;
    const wf = workflow<object, object, JC>('once')
      .state('work')
      .to('done')
      .exec(() => {
        calls++;
        throw new Error('no');
      })
      .terminal('done')
      .build();
    const run = wf.newRun('r', {}).add({ n: 0 }, 'work');
    const processor = new Processor(wf, {});
    await processor.exec(run);
    expect(await processor.exec(run)).toEqual({ outcome: 'complete', transitions: 0, failed: 1 });
    expect(calls).toBe(1);
  });
});

describe('an invalid transition from an untyped exec', () => {
  // What plain JavaScript (or a cast) can do that the types forbid.
  function untyped(fn: (jc: JC) => unknown) {
    return workflow<object, object, JC>('untyped')
      .state('work')
      .to('done')
      .spawns('work')
      .exec((({ jc }: { jc: JC }) => fn(jc)) as unknown as ExecFn<object, object, JC, 'done', 'work'>)
      .terminal('done', 'elsewhere')
      .build();
  }

  it.each([
    ['an undeclared target', () => ({ state: 'elsewhere', jc: { n: 1 } }), 'exec of state "work" returned state "elsewhere", which is not one of its .to() targets (done)'],
    ['no transition', () => undefined, 'exec of state "work" returned undefined, not a transition { state, jc }'],
    ['no jc', () => ({ state: 'done' }), 'exec of state "work" returned no jc (the job context must be returned, even unchanged)'],
    [
      'a kick outside .spawns',
      () => ({ state: 'done', jc: { n: 1 }, kicks: [{ state: 'done', jc: { n: 2 } }] }),
      'exec of state "work" kicked into state "done" (kicks[0]), which is not one of its .spawns() targets (work)',
    ],
    [
      'a misspelt field (compiles: inferred returns are not checked for excess properties)',
      () => ({ state: 'done', jc: { n: 1 }, kick: [{ state: 'work', jc: { n: 2 } }] }),
      'exec of state "work" returned an unknown field "kick" (a transition has state, jc, kicks, error, delayMs)',
    ],
    [
      'a kick with a misspelt field',
      () => ({ state: 'done', jc: { n: 1 }, kicks: [{ state: 'work', jc: { n: 2 }, priorty: 3 }] }),
      'exec of state "work" returned kicks[0] with an unknown field "priorty" (a kick has state, jc, key, keyScope, priority, delayMs)',
    ],
    ['kicks that are not an array', () => ({ state: 'done', jc: { n: 1 }, kicks: 'x' }), 'exec of state "work" returned kicks that are not an array: "x"'],
  ])('is recorded as an error and the job is marked failed: %s', async (_, fn, message) => {
    const wf = untyped(fn);
    const run = wf.newRun('r', {}).add({ n: 0 }, 'work');
    const result = await new Processor(wf, {}).exec(run);
    expect(result.failed).toBe(1);
    expect(run.jobs.size).toBe(1);
    expect(run.jobs.get('0')).toMatchObject({ state: 'work', failed: true, jc: { n: 0 }, errors: { work: [message] } });
  });
});

describe('awkward state names', () => {
  it('records errors for a state named "__proto__" like any other (no prototype pollution, no crash)', async () => {
    const wf = workflow<object, object, JC>('protos')
      .state('__proto__')
      .to('constructor')
      .exec(({ jc }) => ({ state: 'constructor', jc, error: 'recorded' }))
      .terminal('constructor')
      .build();
    const run = wf.newRun('r', {}).add({ n: 0 }, '__proto__');
    const store = new MemoryStore<object, JC>();
    await new Processor(wf, {}, { store }).exec(run);
    const job = run.jobs.get('0');
    expect(job?.state).toBe('constructor');
    expect(Object.keys(job?.errors ?? {})).toEqual(['__proto__']);
    expect(JSON.stringify(job?.errors)).toBe('{"__proto__":["recorded"]}');
    expect(({} as Record<string, unknown>)['recorded']).toBeUndefined();
    expect(JSON.stringify((await store.load())?.jobs.get('0')?.errors)).toBe('{"__proto__":["recorded"]}');
  });
});
