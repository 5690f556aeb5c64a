// The live ledger (#20): per-state figures and the bottleneck verdict, on a fake clock.
// The ledger's exports are not in src/index.ts yet: the Processor is public, the ledger reached through it.
import { describe, expect, it } from 'vitest';
import { fixedRate, Processor, workflow, type StateStatus } from '../src/index.js';
import type { RunLedger, StateLedger } from '../src/ledger/run-ledger.js';
import { FakeClock } from '../src/testing/index.js';

type JC = { n: number };

function sleeper(clock: FakeClock) {
  return (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
}

/** fast `a` (1 ms, 10 slots) → `b` (100 ms per job) → fast `c` (1 ms, 10 slots) → done. */
function pipeline(clock: FakeClock, b: { concurrency: number; rateLimit?: ReturnType<typeof fixedRate> }) {
  const sleep = sleeper(clock);
  return workflow<object, object, JC>('pipeline')
    .state('a', { concurrency: 10 })
    .to('b')
    .exec(async ({ jc }) => (await sleep(1), { state: 'b', jc }))
    .state('b', b)
    .to('c')
    .exec(async ({ jc }) => (await sleep(100), { state: 'c', jc }))
    .state('c', { concurrency: 10 })
    .to('done')
    .exec(async ({ jc }) => (await sleep(1), { state: 'done', jc }))
    .terminal('done')
    .build();
}

function stateOf(ledger: RunLedger | undefined, name: string): StateLedger {
  const state = ledger?.states.find((s) => s.state === name);
  if (state === undefined) throw new Error(`no state ${name} in the ledger`);
  return state;
}

async function midRun(wf: ReturnType<typeof pipeline>, clock: FakeClock, jobs: number, atMs: number, options: { ledger?: boolean | { eventLoopDelay?: () => number } } = {}) {
  const run = wf.newRun('r', {});
  for (let i = 0; i < jobs; i++) run.add({ n: i }, 'a');
  const processor = new Processor(wf, {}, { clock, ...options });
  const done = processor.exec(run);
  await clock.advance(atMs);
  const ledger = processor.ledger();
  return { processor, ledger, finish: async () => (await clock.runAll(), await done) };
}

describe('the live ledger: bottleneck verdicts', () => {
  it('a middle state of 100 ms at concurrency 2 is concurrency-bound at 20 jobs/s, and the state after it starved', async () => {
    const clock = new FakeClock();
    const { ledger, finish } = await midRun(pipeline(clock, { concurrency: 2 }), clock, 300, 8_000);
    const b = stateOf(ledger, 'b');
    expect(b.verdict.kind).toBe('concurrency-bound');
    expect(ledger?.bottleneck).toMatchObject({ state: 'b', kind: 'concurrency-bound' });
    expect(b.completionsPerSecond).toBeGreaterThanOrEqual(18);
    expect(b.completionsPerSecond).toBeLessThanOrEqual(22);
    expect(ledger?.jobsPerSecond).toBeGreaterThanOrEqual(18);
    expect(ledger?.jobsPerSecond).toBeLessThanOrEqual(22);
    expect(b).toMatchObject({ inFlight: 2, limit: 2, utilisation: 1 });
    expect(b.serviceMs).toMatchObject({ mean: 100, p50: 100, p95: 100 });
    expect(b.waitMs?.p50).toBeGreaterThan(1_000); // the queue, not the exec, is where a job's time goes
    // downstream: free slots, fed by the bottleneck
    const c = stateOf(ledger, 'c');
    expect(c.verdict.kind).toBe('starved');
    expect(c.arrivalsPerSecond).toBeGreaterThanOrEqual(18);
    expect(c.utilisation).toBeLessThan(0.1);
    expect(stateOf(ledger, 'done').verdict.kind).toBe('done');
    expect((await finish()).outcome).toBe('complete');
  });

  it('the same state with a 10/s rate limit and 10 slots is rate-bound at 10 jobs/s', async () => {
    const clock = new FakeClock();
    const { ledger, finish } = await midRun(pipeline(clock, { concurrency: 10, rateLimit: fixedRate(10) }), clock, 120, 8_000);
    const b = stateOf(ledger, 'b');
    expect(b.verdict.kind).toBe('rate-bound');
    expect(ledger?.bottleneck).toMatchObject({ state: 'b', kind: 'rate-bound' });
    expect(b.completionsPerSecond).toBeGreaterThanOrEqual(9);
    expect(b.completionsPerSecond).toBeLessThanOrEqual(11);
    expect(b.permitWaitShare).toBeGreaterThan(0.5);
    expect(b.permitWaitMs).toBeGreaterThan(50); // about 100 ms between permits, for each attempt
    expect(b.utilisation).toBeLessThan(0.2);
    expect(stateOf(ledger, 'c').verdict.kind).toBe('starved');
    expect((await finish()).outcome).toBe('complete');
  });

  it('a state whose attempts mostly throw and retry is error-bound, with its errors, retries and visits per job', async () => {
    const clock = new FakeClock();
    const sleep = sleeper(clock);
    const wf = workflow<object, object, JC>('flaky')
      .state('call', { concurrency: 4, retry: { attempts: 5, backoff: { initialMs: 50, jitter: 'none' } } })
      .to('done')
      .exec(async ({ jc, attempt }) => {
        await sleep(20);
        if (attempt < 5) throw new Error('503 from the service');
        return { state: 'done', jc };
      })
      .terminal('done')
      .build();
    const run = wf.newRun('r', {});
    for (let i = 0; i < 200; i++) run.add({ n: i }, 'call');
    const processor = new Processor(wf, {}, { clock, random: () => 0.5 });
    const done = processor.exec(run);
    await clock.advance(4_000);
    const ledger = processor.ledger();
    const call = stateOf(ledger, 'call');
    expect(call.verdict.kind).toBe('error-bound');
    expect(ledger?.bottleneck).toMatchObject({ state: 'call', kind: 'error-bound' });
    expect(call.errors).toBeGreaterThan(100);
    expect(call.retries).toBe(call.errors);
    await clock.runAll();
    expect((await done).outcome).toBe('complete');
    const end = stateOf(processor.ledger(), 'call');
    expect(end).toMatchObject({ errors: 800, retries: 800, timeouts: 0, arrivals: 1000, completions: 1000, visitsPerJob: 5 });
  });

  it('a late event loop makes the run cpu-bound (an injected delay on the fake clock)', async () => {
    const clock = new FakeClock();
    const { ledger, finish } = await midRun(pipeline(clock, { concurrency: 2 }), clock, 100, 3_000, { ledger: { eventLoopDelay: () => 120 } });
    expect(ledger?.eventLoopDelayMs).toBe(120);
    expect(ledger?.bottleneck.kind).toBe('cpu-bound');
    expect(ledger?.bottleneck.state).toBeUndefined();
    expect(stateOf(ledger, 'b').verdict.kind).toBe('cpu-bound');
    await finish();
  });

  it('without an injected delay a fake clock has none', async () => {
    const clock = new FakeClock();
    const { ledger, finish } = await midRun(pipeline(clock, { concurrency: 2 }), clock, 50, 2_000);
    expect(ledger?.eventLoopDelayMs).toBe(0);
    await finish();
  });
});

describe('the live ledger: figures', () => {
  it('splits queue wait from service time: 3 jobs of 100 ms through one slot wait 0, 100 and 200 ms', async () => {
    const clock = new FakeClock();
    const sleep = sleeper(clock);
    const wf = workflow<object, object, JC>('one-slot')
      .state('work', { concurrency: 1 })
      .to('done')
      .exec(async ({ jc }) => (await sleep(100), { state: 'done', jc }))
      .terminal('done')
      .build();
    const run = wf.newRun('r', {});
    for (let i = 0; i < 3; i++) run.add({ n: i }, 'work');
    const processor = new Processor(wf, {}, { clock });
    const done = processor.exec(run);
    await clock.runAll();
    await done;
    const work = stateOf(processor.ledger(), 'work');
    expect(work.waitMs).toMatchObject({ mean: 100, p50: 100, p95: 200, count: 3 });
    expect(work.serviceMs).toMatchObject({ mean: 100, p50: 100, p95: 100, count: 3, total: 3, sumMs: 300 });
    expect(work).toMatchObject({ arrivals: 3, completions: 3, visitsPerJob: 1, errors: 0, inFlight: 0, waiting: 0 });
    expect(processor.ledger()).toMatchObject({ finished: true, transitions: 3, elapsedMs: 300, bottleneck: { kind: 'done' } });
    expect(stateOf(processor.ledger(), 'done').arrivals).toBe(3);
  });

  it('counts the visits of a loop: a job going poll -> wait -> poll three times visits poll 3 times, wait twice', async () => {
    const wf = workflow<object, object, JC>('poller')
      .state('poll')
      .to('wait', 'done')
      .exec(({ jc, job }) => ({ state: job.history.filter((h) => h.state === 'poll').length < 3 ? 'wait' : 'done', jc }))
      .state('wait')
      .to('poll')
      .exec(({ jc }) => ({ state: 'poll', jc }))
      .state('side')
      .to('done')
      .exec(({ jc }) => ({ state: 'done', jc }))
      .terminal('done')
      .build();
    const run = wf.newRun('r', {}).add({ n: 0 }, 'poll').add({ n: 1 }, 'poll').add({ n: 2 }, 'side');
    const processor = new Processor(wf, {}, { clock: new FakeClock() });
    await processor.exec(run);
    expect(stateOf(processor.ledger(), 'poll')).toMatchObject({ arrivals: 6, visitsPerJob: 3 });
    expect(stateOf(processor.ledger(), 'wait')).toMatchObject({ arrivals: 4, visitsPerJob: 2 });
    expect(stateOf(processor.ledger(), 'side')).toMatchObject({ arrivals: 1, visitsPerJob: 1 }); // on no cycle: its history is not read
    expect(stateOf(processor.ledger(), 'done')).toMatchObject({ arrivals: 3, visitsPerJob: 1 });
  });

  it('counts timeouts, and the wait of a delayed job from its due time', async () => {
    const clock = new FakeClock();
    const sleep = sleeper(clock);
    const wf = workflow<object, object, JC>('slow')
      .state('first', { concurrency: 2 })
      .to('work')
      .exec(({ jc }) => ({ state: 'work', jc, delayMs: 1_000 }))
      .state('work', { concurrency: 2, timeout: { ms: 50, failState: 'gave-up' } })
      .to('done', 'gave-up')
      .exec(async ({ jc, signal }) => {
        await sleep(jc.n === 0 ? 10 : 80);
        signal.throwIfAborted();
        return { state: 'done', jc };
      })
      .terminal('done', 'gave-up')
      .build();
    const run = wf.newRun('r', {});
    run.add({ n: 0 }, 'first');
    run.add({ n: 1 }, 'first');
    const processor = new Processor(wf, {}, { clock });
    const done = processor.exec(run);
    await clock.runAll();
    await done;
    const work = stateOf(processor.ledger(), 'work');
    expect(work).toMatchObject({ timeouts: 1, errors: 1, retries: 0, arrivals: 2, completions: 2 });
    expect(work.waitMs).toMatchObject({ p50: 0, p95: 0 }); // ready at their due time, and started then
    expect(work.serviceMs).toMatchObject({ p50: 10, p95: 50 }); // the timed-out attempt's outcome came at 50 ms
    expect(stateOf(processor.ledger(), 'gave-up').arrivals).toBe(1);
  });

  it('hands status listeners the ledger as a second argument, computed when called; one-parameter listeners work as before', async () => {
    const clock = new FakeClock();
    const sleep = sleeper(clock);
    const wf = workflow<object, object, JC>('listen')
      .state('work', { concurrency: 2 })
      .to('done')
      .exec(async ({ jc }) => (await sleep(10), { state: 'done', jc }))
      .terminal('done')
      .build();
    const seen: { statuses: readonly StateStatus[]; ledger: RunLedger | undefined }[] = [];
    const counts: number[] = [];
    const run = wf.newRun('r', {});
    for (let i = 0; i < 6; i++) run.add({ n: i }, 'work');
    const processor = new Processor(wf, {}, { clock, status: (statuses, ledger) => seen.push({ statuses, ledger: ledger?.() }) });
    const done = processor.exec(run);
    await clock.runAll();
    await done;
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.every((s) => s.ledger !== undefined)).toBe(true);
    expect(seen.at(-1)?.ledger?.transitions).toBe(6);

    const again = wf.newRun('r2', {});
    for (let i = 0; i < 2; i++) again.add({ n: i }, 'work');
    let args = -1;
    const quiet = new Processor(wf, {}, { clock, ledger: false, status: (...a: unknown[]) => ((args = a.length), counts.push(1)) });
    expect(quiet.ledger()).toBeUndefined();
    const second = quiet.exec(again);
    await clock.runAll();
    await second;
    expect(quiet.ledger()).toBeUndefined();
    expect(args).toBe(1);
    expect(counts.length).toBeGreaterThan(0);
  });

  it('rejects a ledger option it does not know', () => {
    const wf = workflow<object, object, JC>('x').state('a').to('done').exec(({ jc }) => ({ state: 'done', jc })).terminal('done').build();
    expect(() => new Processor(wf, {}, { ledger: 'yes' as unknown as boolean })).toThrow(/ledger must be true, false or \{ eventLoopDelay \}/);
    expect(() => new Processor(wf, {}, { ledger: { evenLoopDelay: () => 1 } as never })).toThrow(/unknown option/);
  });
});

describe('the live ledger: busy time and the window', () => {
  it('counts the slot time of finished and running attempts, and only the last 5 s of it in utilisation', async () => {
    const clock = new FakeClock();
    const sleep = sleeper(clock);
    // Three slots, three jobs started at 0: one runs 1.5 s, one 7 s, one 10 s.
    const wf = workflow<object, object, { ms: number }>('busy')
      .state('work', { concurrency: 3 })
      .to('done')
      .exec(async ({ jc }) => (await sleep(jc.ms), { state: 'done', jc }))
      .terminal('done')
      .build();
    const run = wf.newRun('r', {}).add({ ms: 1_500 }, 'work').add({ ms: 7_000 }, 'work').add({ ms: 10_000 }, 'work');
    const processor = new Processor(wf, {}, { clock });
    const done = processor.exec(run);
    await clock.advance(2_500);
    // 1.5 s + 2.5 s + 2.5 s busy of 3 slots × 2.5 s
    expect(stateOf(processor.ledger(), 'work').utilisation).toBeCloseTo(6_500 / 7_500, 6);
    await clock.advance(5_500);
    // at 8 s the window is 3 s to 8 s: the 7 s job's last 4 s and the 10 s job's 5 s, of 3 slots × 5 s
    const at8 = stateOf(processor.ledger(), 'work');
    expect(at8.utilisation).toBeCloseTo(9_000 / 15_000, 6);
    expect(at8.inFlight).toBe(1);
    await clock.runAll();
    expect((await done).outcome).toBe('complete');
  });
});

describe('the live ledger: thousands of attempts a second', () => {
  it('times one attempt in k once a state starts thousands a second, and its figures stay right: counts exact, service time, utilisation', async () => {
    const clock = new FakeClock();
    let reads = 0;
    const counting = { now: () => (reads++, clock.now()), setTimeout: clock.setTimeout.bind(clock), clearTimeout: clock.clearTimeout.bind(clock) };
    const sleep = sleeper(clock);
    // 50 slots of 10 ms: 5,000 attempts a second, 20,000 jobs in 4 s.
    const wf = workflow<object, object, JC>('fast')
      .state('work', { concurrency: 50 })
      .to('done')
      .exec(async ({ jc }) => (await sleep(10), { state: 'done', jc }))
      .terminal('done')
      .build();
    const run = wf.newRun('r', {});
    for (let i = 0; i < 20_000; i++) run.add({ n: i }, 'work');
    const processor = new Processor(wf, {}, { clock: counting });
    const done = processor.exec(run);
    await clock.advance(3_000);
    const mid = stateOf(processor.ledger(), 'work');
    expect(mid.utilisation).toBeGreaterThan(0.98);
    expect(mid.completionsPerSecond).toBeGreaterThan(4_900);
    expect(mid.completionsPerSecond).toBeLessThan(5_100);
    await clock.runAll();
    expect((await done).outcome).toBe('complete');
    const work = stateOf(processor.ledger(), 'work');
    expect(work).toMatchObject({ arrivals: 20_000, completions: 20_000 });
    expect(work.serviceMs).toMatchObject({ mean: 10, p50: 10, p95: 10 });
    // The summary's count stands for every attempt: each timed one counts as the k it samples.
    expect(work.serviceMs?.total).toBeGreaterThan(19_000);
    expect(work.serviceMs?.total).toBeLessThan(21_000);
    // Timing every attempt reads the clock at its start and at its end, besides the transition's own reading.
    expect(reads / 20_000).toBeLessThan(1.5);
  });

  it('times every attempt of a state that starts a few hundred a second: its summary counts each one', async () => {
    const clock = new FakeClock();
    const sleep = sleeper(clock);
    const wf = workflow<object, object, JC>('slow')
      .state('work', { concurrency: 4 })
      .to('done')
      .exec(async ({ jc }) => (await sleep(20 + (jc.n % 5)), { state: 'done', jc }))
      .terminal('done')
      .build();
    const run = wf.newRun('r', {});
    for (let i = 0; i < 1_000; i++) run.add({ n: i }, 'work');
    const processor = new Processor(wf, {}, { clock });
    const done = processor.exec(run);
    await clock.runAll();
    expect((await done).outcome).toBe('complete');
    const work = stateOf(processor.ledger(), 'work');
    expect(work.serviceMs).toMatchObject({ total: 1_000, sumMs: 22_000, p50: 22, p95: 24 });
  });
});
