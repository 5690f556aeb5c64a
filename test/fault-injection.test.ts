// Fault injection: something throws at each step an execution takes — the exec, what it returns,
// the rate limiter, the status listener, the store — with non-Error values too. Whatever is thrown,
// `exec` settles (resolves, or rejects with what the store threw), the run loses nothing it
// acknowledged, and no rejection goes unhandled (vitest fails a test file that has one).
/* eslint-disable @typescript-eslint/only-throw-error, @typescript-eslint/prefer-promise-reject-errors -- fault injection throws non-Error values on purpose */
import { describe, expect, it } from 'vitest';
import { MemoryStore, Processor, type RateLimiter, type Store, type StoreRecord, type Transition, workflow } from '../src/index.js';
import { FakeClock, runWithFakeClock } from '../src/testing/index.js';

type JC = { n: number };

/** Values a careless or hostile exec throws. */
function thrownValues(): [string, () => unknown][] {
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  return [
    ['an Error', () => new Error('boom')],
    ['a string', () => 'boom'],
    ['a number', () => 42],
    ['undefined', () => undefined],
    ['null', () => null],
    ['a symbol', () => Symbol('boom')],
    ['a bigint', () => 10n],
    ['a revoked proxy', () => revoked.proxy],
    ['an object whose toString throws', () => ({ toString: () => { throw new Error('no string'); } })],
    ['an object whose getters throw', () => Object.defineProperty({}, 'message', { get: () => { throw new Error('no message'); }, enumerable: true })],
    ['an Error whose message getter throws', () => Object.defineProperty(new Error('x'), 'message', { get: () => { throw new Error('no'); } })],
    ['a circular object', () => { const o: Record<string, unknown> = {}; o['self'] = o; return o; }],
  ];
}

function workflowWithExec(exec: (jc: JC) => Transition<JC, 'done', never> | Promise<Transition<JC, 'done', never>>) {
  return workflow<object, object, JC>('faults')
    .state('work', { concurrency: 2, retry: { attempts: 2, backoff: { initialMs: 0 } } })
    .to('done')
    .exec(({ jc }) => exec(jc))
    .terminal('done')
    .build();
}

function runOf(wf: ReturnType<typeof workflowWithExec>, n = 4) {
  const run = wf.newRun('r', {});
  for (let i = 0; i < n; i++) run.add({ n: i }, 'work');
  return run;
}

describe('whatever an exec throws', () => {
  it.each(thrownValues())('%s: the job is retried, then marked failed with a readable error; the others finish', async (_, make) => {
    const wf = workflowWithExec((jc) => {
      if (jc.n === 1) throw make();
      return { state: 'done', jc };
    });
    const run = runOf(wf);
    const { result } = await runWithFakeClock(wf, {}, run, { store: new MemoryStore() });
    expect(result).toEqual({ outcome: 'complete', transitions: 5, failed: 1 });
    const errors = run.jobs.get('1')?.errors['work'] ?? [];
    expect(errors).toHaveLength(2);
    for (const message of errors) expect(typeof message === 'string' && message.length > 0).toBe(true);
  });

  it.each(thrownValues())('%s, as a rejected promise: the same', async (_, make) => {
    const wf = workflowWithExec((jc) => (jc.n === 1 ? Promise.reject(make()) : { state: 'done', jc }));
    const { result } = await runWithFakeClock(wf, {}, runOf(wf));
    expect(result).toMatchObject({ outcome: 'complete', failed: 1 });
  });
});

describe('whatever an exec returns', () => {
  const hostile: [string, (jc: JC) => unknown][] = [
    ['a transition whose state getter throws', (jc) => ({ get state() { throw new Error('no state'); }, jc })],
    ['a revoked proxy', () => { const p = Proxy.revocable({}, {}); p.revoke(); return p.proxy; }],
    ['a transition whose kicks getter throws', (jc) => ({ state: 'done', jc, get kicks() { throw 'no kicks'; } })],
    ['a transition whose jc is a getter that throws', () => ({ state: 'done', get jc() { throw new Error('no jc'); } })],
    ['a thenable that throws on then', () => ({ then: () => { throw new Error('no then'); } })],
    ['null', () => null],
  ];
  it.each(hostile)('%s: the job fails, the run completes', async (_, make) => {
    const wf = workflowWithExec((jc) => (jc.n === 1 ? (make(jc) as Transition<JC, 'done', never>) : { state: 'done', jc }));
    const run = runOf(wf);
    const { result } = await runWithFakeClock(wf, {}, run, { store: new MemoryStore() });
    expect(result).toMatchObject({ outcome: 'complete', failed: 1 });
    expect(run.jobs.get('1')).toMatchObject({ state: 'work', failed: true });
    expect(run.jobs.get('0')?.state).toBe('done');
  });
});

describe('a rate limiter that throws', () => {
  const limiter = (failing: keyof RateLimiter): RateLimiter => ({
    tryAcquire: () => (failing === 'tryAcquire' ? (() => { throw new Error('tryAcquire broke'); })() : 0),
    onSuccess: () => { if (failing === 'onSuccess') throw 'onSuccess broke'; },
    onRateLimited: () => { if (failing === 'onRateLimited') throw new Error('onRateLimited broke'); },
    current: () => 1,
  });
  it.each(['tryAcquire', 'onSuccess'] as const)('in %s: the state runs as if it had no limit, and says so once', async (failing) => {
    const wf = workflow<object, object, JC>('limited')
      .state('work', { rateLimit: limiter(failing) })
      .to('done')
      .exec(({ jc }) => ({ state: 'done', jc }))
      .terminal('done')
      .build();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const run = wf.newRun('r', {}).add({ n: 0 }, 'work').add({ n: 1 }, 'work');
      const { result } = await runWithFakeClock(wf, {}, run);
      expect(result).toEqual({ outcome: 'complete', transitions: 2, failed: 0 });
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.includes(`its rate limiter's ${failing}() threw`))).toHaveLength(1);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('a status listener that throws', () => {
  it('on every update: the run completes, the listener is reported, not obeyed', async () => {
    const wf = workflowWithExec((jc) => ({ state: 'done', jc }));
    const status = () => {
      throw Symbol('listener broke');
    };
    const { result } = await runWithFakeClock(wf, {}, runOf(wf), { status });
    expect(result).toEqual({ outcome: 'complete', transitions: 4, failed: 0 });
  });
});

describe('a store that throws', () => {
  class FailingStore<OC, C> extends MemoryStore<OC, C> implements Store<OC, C> {
    constructor(
      private readonly failOn: 'append' | 'checkpoint',
      private readonly thrown: unknown,
      private readonly afterAppends = 1,
    ) {
      super();
    }
    #appends = 0;
    override async append(records: readonly StoreRecord<C>[]): Promise<void> {
      if (this.failOn === 'append' && ++this.#appends > this.afterAppends) throw this.thrown;
      await super.append(records);
    }
    override checkpoint(...args: Parameters<MemoryStore<OC, C>['checkpoint']>): Promise<void> {
      if (this.failOn === 'checkpoint') throw this.thrown; // synchronously, not even a rejected promise
      return super.checkpoint(...args);
    }
  }

  it.each([
    ['append', 'a string', 'disk on fire'],
    ['append', 'undefined', undefined],
    ['append', 'an Error', new Error('EIO')],
    ['checkpoint', 'a number', 7],
    ['checkpoint', 'an Error', new Error('EACCES')],
  ] as const)('in %s, throwing %s: exec rejects with it, and nothing unacknowledged is applied', async (failOn, _, thrown) => {
    const wf = workflowWithExec((jc) => ({ state: 'done', jc }));
    const run = runOf(wf, 50);
    const store = new FailingStore<object, JC>(failOn, thrown);
    const clock = new FakeClock();
    const error = await new Processor(wf, {}, { store, clock }).exec(run).then(
      () => 'resolved',
      (e: unknown) => ({ rejected: e }),
    );
    expect(error).toEqual({ rejected: thrown });
    if (failOn === 'append') {
      const stored = await store.load(wf);
      expect([...run.jobs.values()].map((j) => j.state)).toEqual([...(stored?.jobs.values() ?? [])].map((j) => j.state));
    }
  });
});
