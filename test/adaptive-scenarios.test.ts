// Issue #21 part 2, on the fake clock: adaptive() against a simulated service whose latency climbs
// once more than 8 calls are in flight (bench/adaptive-service.ts, the model the bench serves over
// HTTP: 50 ms up to 8 in flight, 50 × (n / 8)² ms beyond, ±5 % seeded jitter), measured as the
// bench measures it, beside fixed concurrencies run the same way.
import { describe, expect, it } from 'vitest';
import { fixedRate, Processor, RateLimitError, workflow } from '../src/index.js';
import type { Clock, RateLimiter } from '../src/index.js';
import { adaptive, type AdaptiveConcurrency, type AdaptiveDecision } from '../src/policies/adaptive.js';
import { FakeClock } from '../src/testing/index.js';
import {
  DEFAULT_SERVICE,
  DROP_WITHIN_MS,
  KneeService,
  latencyPercentile,
  lowestLimit,
  limitAt,
  P95_FACTOR,
  RECOVER_WITHIN_MS,
  recorder,
  SETTLE_BAND,
  SETTLE_WITHIN_MS,
  settledAt,
  THROUGHPUT_SHARE,
  throughput,
} from '../bench/adaptive-service.js';
import type { KneeServiceSettings, Recorded } from '../bench/adaptive-service.js';

interface Sim {
  readonly runMs: number;
  readonly service?: Partial<KneeServiceSettings>;
  readonly rateLimit?: RateLimiter;
  /** Jobs in the run (by default more than the run can do). */
  readonly jobs?: number;
  /** Calls each job makes, one after the other (the state loops back to itself). */
  readonly callsPerJob?: number;
}

type Concurrency = number | AdaptiveConcurrency | ((clock: Clock) => AdaptiveConcurrency);

/** Runs `call -> done` on a FakeClock against the simulated service, sampling the limit every 100 ms. */
async function simulate(make: Concurrency, sim: Sim): Promise<Recorded & { limit: AdaptiveConcurrency | undefined; log: AdaptiveDecision[] }> {
  const clock = new FakeClock();
  const concurrency = typeof make === 'function' ? make(clock) : make;
  const service = new KneeService({ ...DEFAULT_SERVICE, ...sim.service });
  const rec = recorder(100);
  const calls = sim.callsPerJob ?? 1;
  const wf = workflow<object, object, { n: number; left: number }>('adaptive-sim')
    .state('call', { concurrency, ...(sim.rateLimit ? { rateLimit: sim.rateLimit } : {}) })
    .to('call', 'done')
    .exec(async ({ jc }) => {
      const started = clock.now();
      const a = service.admit(started);
      await new Promise<void>((resolve) => clock.setTimeout(resolve, a.latencyMs));
      service.finished();
      if (a.status === 503) {
        rec.rejected++;
        throw new RateLimitError('503 Service Unavailable');
      }
      rec.doneAt.push(clock.now());
      rec.latencyMs.push(clock.now() - started);
      return jc.left > 1 ? { state: 'call', jc: { n: jc.n, left: jc.left - 1 } } : { state: 'done', jc };
    })
    .terminal('done')
    .build();
  const run = wf.newRun('sim', {});
  const jobs = sim.jobs ?? Math.ceil((sim.runMs / 1000) * 250);
  for (let i = 0; i < jobs; i++) run.add({ n: i, left: calls }, 'call');
  const controller = new AbortController();
  let finished = false;
  const done = new Processor(wf, {}, { clock, graceMs: 1000 }).exec(run, { signal: controller.signal }).finally(() => (finished = true));
  const current = () => (typeof concurrency === 'number' ? concurrency : concurrency.current());
  const log: AdaptiveDecision[] = [];
  let seen = 0;
  const collect = () => {
    if (typeof concurrency === 'number') return;
    const { decisions, recent } = concurrency.snapshot();
    if (decisions - seen > recent.length) throw new Error('simulate: more decisions in 100 ms than snapshot().recent keeps');
    log.push(...recent.slice(recent.length - (decisions - seen)));
    seen = decisions;
  };
  for (let t = 0; t < sim.runMs && !finished; t += rec.sampleMs) {
    rec.limits.push(current());
    await clock.advance(rec.sampleMs);
    collect();
  }
  controller.abort(new Error('the run is over'));
  while (!finished) await clock.advance(100);
  await done;
  collect();
  return Object.assign(rec, { limit: typeof concurrency === 'number' ? undefined : concurrency, log });
}

const RUN_MS = 60_000;
const FIXED = [4, 6, 8, 10, 12, 16] as const;

describe('adaptive() against a service whose latency climbs beyond 8 in flight (fake clock)', () => {
  it('settles between 6 and 12 within 30 s, with >= 90 % of the best fixed concurrency’s throughput and p95 <= 2x unloaded', async () => {
    const unloaded = latencyPercentile(await simulate(1, { runMs: 10_000 }), 50, 0, 10_000);
    const fixed = new Map<number, number>();
    for (const c of FIXED) fixed.set(c, throughput(await simulate(c, { runMs: RUN_MS }), 0, RUN_MS));
    const [bestC, best] = [...fixed].reduce((a, b) => (b[1] > a[1] ? b : a));
    const r = await simulate(adaptive(), { runMs: RUN_MS });
    const settled = settledAt(r, RUN_MS);
    const got = throughput(r, 0, RUN_MS);
    const p95 = latencyPercentile(r, 95, 0, RUN_MS);
    console.log(
      `fake clock: fixed ${[...fixed].map(([c, t]) => `${c}: ${t.toFixed(1)}/s`).join(', ')}; adaptive: settled in ${SETTLE_BAND.join('-')} after ${settled} ms, ` +
        `${got.toFixed(1)}/s (${((got / best) * 100).toFixed(1)} % of fixed ${bestC}), p95 ${p95.toFixed(1)} ms (unloaded ${unloaded.toFixed(1)} ms), final limit ${r.limits.at(-1)}`,
    );
    expect(bestC).toBe(8);
    expect(settled).toBeDefined();
    expect(settled as number).toBeLessThanOrEqual(SETTLE_WITHIN_MS);
    expect(got).toBeGreaterThanOrEqual(THROUGHPUT_SHARE * best);
    expect(p95).toBeLessThanOrEqual(P95_FACTOR * unloaded);
  });

  it('after a 10 s burst of 503s it drops by at least half within 2 s and recovers within 30 s', async () => {
    const burst: [number, number] = [30_000, 40_000];
    const r = await simulate(adaptive(), { runMs: 75_000, service: { bursts: [burst] } });
    const before = limitAt(r, burst[0] - r.sampleMs);
    const low = lowestLimit(r, burst[0], burst[0] + DROP_WITHIN_MS);
    const recovered = settledAt(r, 75_000, burst[1]);
    console.log(`fake clock: 503 burst 30-40 s: limit ${before} before, ${low} within 2 s, back in ${SETTLE_BAND.join('-')} (and staying) ${recovered === undefined ? 'never' : `${((recovered - burst[1]) / 1000).toFixed(1)} s after it ended`}; ${r.rejected} calls refused`);
    expect(before).toBeGreaterThanOrEqual(6);
    expect(low).toBeLessThanOrEqual(before / 2);
    expect(recovered).toBeDefined();
    expect((recovered as number) - burst[1]).toBeLessThanOrEqual(RECOVER_WITHIN_MS);
    expect(throughput(r, 60_000, 75_000)).toBeGreaterThanOrEqual(THROUGHPUT_SHARE * 8 * (1000 / DEFAULT_SERVICE.baseMs));
    expect(r.log.length).toBeGreaterThan(0);
  });

  it('never grows while the limit is unused: 3 jobs calling one after the other leave a limit of 4 at 4', async () => {
    const r = await simulate(adaptive({ initial: 4 }), { runMs: 20_000, jobs: 3, callsPerJob: 1000, service: { knee: 100 } });
    expect(new Set(r.limits)).toEqual(new Set([4]));
    const reasons = new Set(r.log.map((d) => d.reason));
    expect(reasons).toEqual(new Set(['start', 'unused']));
    expect(r.log.length).toBeGreaterThan(100);
    expect(r.limit?.snapshot().last?.detail).toMatch(/at most 3 in flight/);
  });

  it("under a fixedRate limit it is never above what Little's law says the rate needs", async () => {
    // 50/s at 100 ms needs 5 in flight: the cap is ceil(5 x 1.25) + 1 = 8
    const grown = await simulate(adaptive({ initial: 1 }), { runMs: 20_000, rateLimit: fixedRate(50, { burst: 50 }), service: { knee: 100, baseMs: 100, jitter: 0 } });
    expect(Math.max(...grown.limits)).toBeLessThanOrEqual(8);
    expect(grown.limits.at(-1)).toBeGreaterThanOrEqual(5);
    expect(throughput(grown, 5000, 20_000)).toBeGreaterThan(49);
    // from a high start it comes down to that cap
    const high = await simulate(adaptive({ initial: 64 }), { runMs: 20_000, rateLimit: fixedRate(50, { burst: 50 }), service: { knee: 100, baseMs: 100, jitter: 0 } });
    expect(Math.max(...high.limits.slice(20))).toBeLessThanOrEqual(8);
    expect(high.log.some((d) => d.reason === 'rate-limit' && d.from === 64 && d.to === 8)).toBe(true);
  });

  it('holds back while the event loop is late, and grows once it is not', async () => {
    const late = (ms: number) => (clock: Clock) => adaptive({ initial: 2, eventLoopDelay: () => (clock.now() < 20_000 ? ms : 0) });
    const held = await simulate(late(80), { runMs: 40_000 });
    expect(new Set(held.limits.slice(0, 199))).toEqual(new Set([2]));
    expect(settledAt(held, 40_000, 20_000)).toBeLessThanOrEqual(25_000);
    const cut = await simulate((clock) => adaptive({ initial: 8, eventLoopDelay: () => (clock.now() < 10_000 ? 300 : 0) }), { runMs: 30_000 });
    expect(limitAt(cut, 9_900)).toBe(1);
    expect(cut.log.some((d) => d.reason === 'event-loop')).toBe(true);
    expect(settledAt(cut, 30_000, 10_000)).toBeLessThanOrEqual(15_000);
  });

  it('the same seed gives the same decisions; another seed others', async () => {
    const scenario = { runMs: 45_000, service: { bursts: [[20_000, 25_000]] as const } };
    const sequence = async (seed: number) => {
      const r = await simulate(adaptive({ seed }), scenario);
      return { limits: r.limits, decisions: r.log.map((d) => `${d.at} ${d.reason} ${d.from}->${d.to}`) };
    };
    const a = await sequence(7);
    const b = await sequence(7);
    const c = await sequence(8);
    expect(b).toEqual(a);
    expect(a.decisions.length).toBeGreaterThan(100);
    expect(c.decisions).not.toEqual(a.decisions);
  });
});
