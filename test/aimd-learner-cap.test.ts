// aimd(), the learning limiter (issue #21, src/policies/aimd-learner.ts), against a concurrency cap: a
// service that answers 503 (no wait) once more than k calls are in flight. It counts its calls in
// flight (permits given less attempts ended: onSuccess, onRateLimited, onFailure), learns the cap
// from the levels rejections come at, and holds callers back at it; a pure rate quota is never
// taken for a cap. Deterministic: the engine on a fake clock, and the two simulations of the bench.
// Made by learningAimd, the same limiter typed as its class, to read the cap it learned.
import { describe, expect, it } from 'vitest';
import { Processor, RateLimitError, workflow } from '../src/index.js';
import { FakeClock } from '../src/testing/index.js';
import { learningAimd } from '../src/policies/aimd-learner.js';
import { HINTS, SHAPES } from '../bench/ratelimit-shapes.js';
import type { Hint, ShapeName } from '../bench/ratelimit-shapes.js';
import { simulate } from '../bench/ratelimit-sim.js';
import { simulateLoop } from '../bench/ratelimit-loop.js';

/** The engine against a cap of `k` calls each taking `latencyMs`; every `failEvery`th job throws once (an attempt that ends in onFailure). */
async function capped(k: number, latencyMs: number, seconds: number, failEvery = 0) {
  const clock = new FakeClock();
  const limiter = learningAimd({ clock });
  let inService = 0;
  let most = 0;
  let rejected = 0;
  let failed = 0;
  const okAt: number[] = [];
  const thrown = new Set<number>();
  const wf = workflow<object, object, { n: number }>('capped')
    .state('call', { concurrency: 64, rateLimit: limiter, retry: { attempts: 2, backoff: { initialMs: 1, jitter: 'none' } } })
    .to('done')
    .exec(async ({ jc }) => {
      if (failEvery > 0 && jc.n % failEvery === 0 && !thrown.has(jc.n)) {
        thrown.add(jc.n);
        failed++;
        throw new Error('boom');
      }
      if (inService >= k) {
        rejected++;
        throw new RateLimitError('503 Service Unavailable');
      }
      inService++;
      most = Math.max(most, inService);
      await new Promise<void>((resolve) => clock.setTimeout(resolve, latencyMs));
      inService--;
      okAt.push(clock.now());
      return { state: 'done', jc };
    })
    .terminal('done')
    .build();
  const run = wf.newRun('r', {});
  const jobs = Math.ceil(((k * 1000) / latencyMs) * seconds * 1.2);
  for (let n = 0; n < jobs; n++) run.add({ n }, 'call');
  const controller = new AbortController();
  clock.setTimeout(() => controller.abort(), seconds * 1000);
  const done = new Processor(wf, {}, { clock }).exec(run, { signal: controller.signal });
  await clock.runAll();
  await done;
  const quota = (k * 1000) / latencyMs;
  const half = (seconds * 1000) / 2;
  const steady = okAt.filter((t) => t >= half).length / ((quota * (seconds * 1000 - half)) / 1000);
  return { limiter, steady, rejectedShare: rejected / (rejected + okAt.length), failed };
}

describe('the learner against a concurrency cap, through the engine (fake clock)', () => {
  it.each([
    [1, 100],
    [2, 20],
    [10, 10],
  ])('learns a cap of %i (calls of %i ms) and serves at least 90 percent of k / latency', async (k, latencyMs) => {
    const r = await capped(k, latencyMs, 20);
    expect(r.limiter.capSnapshot().limit).toBe(k);
    expect(r.steady).toBeGreaterThanOrEqual(0.9);
    expect(r.rejectedShare).toBeLessThanOrEqual(0.05);
  });

  it('counts an attempt that threw (onFailure) as ended: the cap does not fill with them', async () => {
    const r = await capped(2, 20, 20, 7);
    expect(r.failed).toBeGreaterThan(50);
    expect(r.limiter.capSnapshot().limit).toBe(2);
    expect(r.limiter.capSnapshot().inFlight).toBeLessThanOrEqual(2);
    expect(r.steady).toBeGreaterThanOrEqual(0.85); // a seventh of the attempts fail and are retried
  });
});

describe('a pure rate quota is never taken for a concurrency cap', () => {
  const START = 1_000_000;
  const cells = SHAPES.filter((shape) => shape !== 'concurrency').flatMap((shape) =>
    HINTS.flatMap((hint) => [10, 100, 1000, 10_000].map((quota) => [shape, hint, quota] as [ShapeName, Hint, number])),
  );

  it.each([1, 2])('on the event-loop model of the bench, seed %i', (seed) => {
    const learned = cells.filter(([shape, hint, quota]) => {
      let now = START;
      const limiter = learningAimd({ clock: { now: () => now, setTimeout: () => 0, clearTimeout: () => undefined } });
      const runMs = shape === 'fixed-60s' ? 40_000 : shape === 'halve-double' ? 30_000 : 20_000;
      simulateLoop({ shape, quota, hint, limiter, setNow: (ms) => (now = ms), start: START, runMs, longWindowMs: 10_000, offsetMs: shape === 'fixed-60s' ? 3000 : 0, seed });
      return limiter.capSnapshot().learned > 0;
    });
    expect(learned).toEqual([]);
  });

  it('on the 1 ms step model', () => {
    const learned = cells.filter(([shape, hint, quota]) => {
      let now = START;
      const limiter = learningAimd({ clock: { now: () => now, setTimeout: () => 0, clearTimeout: () => undefined } });
      const runMs = shape === 'fixed-60s' ? 240_000 : shape === 'halve-double' ? 60_000 : 30_000;
      simulate({ shape, quota, hint, limiter, setNow: (ms) => (now = ms), start: START, runMs, offsetMs: shape === 'fixed-60s' ? 20_000 : 300 });
      return limiter.capSnapshot().learned > 0;
    });
    expect(learned).toEqual([]);
  });
});
