// ledgerFromRun (#20): the figures a run's jobs give from their histories, for a post-mortem.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Processor, workflow } from '../src/index.js';
import { ledgerFromRun } from '../src/ledger/ledger-from-run.js';
import { FakeClock } from '../src/testing/index.js';

type JC = { n: number };

describe('ledgerFromRun', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('counts the time of visits not ended yet: a state whose jobs still queue there is the bottleneck, not starved', async () => {
    const clock = new FakeClock();
    const sleep = (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
    const wf = workflow<object, object, JC>('queued')
      .state('a', { concurrency: 10 })
      .to('b')
      .exec(async ({ jc }) => (await sleep(1), { state: 'b', jc }))
      .state('b', { concurrency: 2 })
      .to('done')
      // A call that does not answer: every job a passed on is still in b when the run stops.
      .exec(({ signal }) => new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('stopped')), { once: true })))
      .terminal('done')
      .build();
    vi.useFakeTimers({ toFake: ['Date'], now: 0 });
    const run = wf.newRun('r', {});
    for (let i = 0; i < 100; i++) run.add({ n: i }, 'a');
    const controller = new AbortController();
    const done = new Processor(wf, {}, { clock }).exec(run, { signal: controller.signal });
    await clock.advance(1_000);
    controller.abort();
    await clock.runAll();
    await done;
    const ledger = ledgerFromRun(wf, run);
    const b = ledger.states.find((s) => s.state === 'b');
    expect(b?.waiting).toBe(100);
    expect(b?.completions).toBe(0);
    expect(b?.verdict.kind).toBe('concurrency-bound');
    expect(ledger.bottleneck).toMatchObject({ state: 'b', kind: 'concurrency-bound' });
  });

  it('gives a finished run its arrivals, completions, visits, time in state, errors, and the bottleneck', async () => {
    const clock = new FakeClock();
    const sleep = (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
    const wf = workflow<object, object, JC>('pipeline')
      .state('a', { concurrency: 10 })
      .to('b')
      .exec(async ({ jc }) => (await sleep(1), { state: 'b', jc }))
      .state('b', { concurrency: 2, retry: { attempts: 2, backoff: { initialMs: 0 } } })
      .to('c')
      .exec(async ({ jc, attempt }) => {
        await sleep(100);
        if (jc.n % 10 === 0 && attempt === 1) throw new Error('flaky');
        return { state: 'c', jc };
      })
      .state('c', { concurrency: 10 })
      .to('done')
      .exec(async ({ jc }) => (await sleep(1), { state: 'done', jc }))
      .terminal('done')
      .build();
    // run.add stamps its jobs by Date.now until an exec binds the run to the processor's clock: both at 0
    vi.useFakeTimers({ toFake: ['Date'], now: 0 });
    const run = wf.newRun('r', {});
    for (let i = 0; i < 100; i++) run.add({ n: i }, 'a');
    const done = new Processor(wf, {}, { clock }).exec(run);
    await clock.runAll();
    await done;

    const ledger = ledgerFromRun(wf, run);
    const b = ledger.states.find((s) => s.state === 'b');
    expect(b).toMatchObject({ arrivals: 110, completions: 110, errors: 10, retries: 10, timeouts: 0, visitsPerJob: 1.1, waiting: 0, limit: 2 });
    expect(b?.serviceMs).toBeUndefined();
    expect(b?.timeInStateMs?.count).toBe(110);
    expect(b?.timeInStateMs?.p95).toBeGreaterThan(4_000); // the queue: wait and service together
    expect(b?.completionsPerSecond).toBeGreaterThan(18);
    expect(b?.completionsPerSecond).toBeLessThan(22);
    expect(b?.verdict.kind).toBe('concurrency-bound');
    expect(ledger.states.find((s) => s.state === 'c')?.verdict.kind).toBe('starved');
    expect(ledger.states.find((s) => s.state === 'done')).toMatchObject({ arrivals: 100, verdict: { kind: 'done' } });
    expect(ledger).toMatchObject({ finished: true, transitions: 310, bottleneck: { state: 'b', kind: 'concurrency-bound' } });
    expect(ledger.elapsedMs).toBeGreaterThan(5_000);
    expect(ledger.jobsPerSecond).toBeCloseTo((100 * 1000) / ledger.elapsedMs, 6);
  });

  it('counts a live run’s unfinished jobs as waiting, and a failed job’s end as a completion', () => {
    const wf = workflow<object, object, JC>('w')
      .state('a')
      .to('done')
      .exec(({ jc }) => ({ state: 'done', jc }))
      .terminal('done')
      .build();
    const run = wf.newRun('r', {});
    run.add({ n: 1 }, 'a');
    const ledger = ledgerFromRun(wf, run);
    expect(ledger.finished).toBe(false);
    expect(ledger.states[0]).toMatchObject({ state: 'a', arrivals: 1, completions: 0, waiting: 1 });
  });
});
