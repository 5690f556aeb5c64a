// The learning limiter of issue #21 (src/policies/aimd-learner.ts, not yet what aimd() makes) on
// the scenarios test/aimd-scenarios.test.ts runs for aimd(): the bench's old ratelimit workload in
// simulated time (a token bucket holding 100 ms of quota, precise waits, from 50; 4 quotas x 3
// targets, the "12 targets" aimd() meets) and a per-second window in real time. Judged by issue
// #21's goals (90 % within 10 s, >= 90 % steady goodput, <= 5 % refused), and beside aimd() where
// aimd()'s own tighter bounds hold and the learner's do not. Deterministic (a hand-moved clock).
import { describe, expect, it } from 'vitest';
import { aimd } from '../src/policies/aimd.js';
import type { AimdLimiter } from '../src/policies/aimd.js';
import { learningAimd } from '../src/policies/aimd-learner.js';
import type { Clock } from '../src/model/clock.js';

type ManualClock = Clock & { add(ms: number): void };

function manualClock(start = 1_700_000_000_000): ManualClock {
  let now = start;
  return { now: () => now, setTimeout: () => 0, clearTimeout: () => undefined, add: (ms) => void (now += ms) };
}

/**
 * The same question in real time, with the default windows (1 s increase interval, 500 ms merge):
 * callers that always have work take every permit the limiter gives, each one millisecond; the
 * service counts requests per wall-clock second and answers 429 over its quota, with a
 * retry-after up to the next second. Returns what the client saw.
 */
function paced(limiter: AimdLimiter, clock: ManualClock, quota: number, seconds: number) {
  const okAt: number[] = [];
  let ok = 0;
  let throttled = 0;
  let firstThrottleMs = -1;
  let served = 0;
  const start = clock.now();
  for (let ms = 0; ms < seconds * 1000; ms++) {
    if (ms % 1000 === 0) served = 0;
    const windowEnd = start + (Math.floor(ms / 1000) + 1) * 1000;
    while (limiter.tryAcquire() === 0) {
      if (++served > quota) {
        throttled++;
        if (firstThrottleMs < 0) firstThrottleMs = ms;
        limiter.onRateLimited(windowEnd - clock.now());
      } else {
        ok++;
        okAt.push(ms);
        limiter.onSuccess();
      }
    }
    clock.add(1);
  }
  const okAfter = (second: number) => okAt.filter((ms) => ms >= second * 1000).length;
  return { ok, throttled, firstThrottleMs, rate: limiter.current(), okAfter };
}

/**
 * The `npm run bench` ratelimit workload in simulated time: a service with a token-bucket quota
 * (refilled at `quota` a second, holding 100 ms of it, at least 2) answers at once, 429 with the
 * exact wait for the next token when the bucket is empty; callers always have work and take
 * every permit the limiter gives, each millisecond. Measured as the bench measures: when the
 * successes of the last second first reach 90 % of the quota, successes over the last half of
 * the run, and the share of 429s.
 */
function tokenBucketService(limiter: AimdLimiter, clock: ManualClock, quota: number, seconds: number) {
  const burst = Math.max(2, quota / 10);
  let tokens = burst;
  const start = clock.now();
  let stamp = start;
  const successes: number[] = [];
  let throttled = 0;
  for (let ms = 0; ms < seconds * 1000; ms++) {
    const now = clock.now();
    tokens = Math.min(burst, tokens + ((now - stamp) * quota) / 1000);
    stamp = now;
    while (limiter.tryAcquire() === 0) {
      if (tokens >= 1) {
        tokens -= 1;
        successes.push(ms);
        limiter.onSuccess();
      } else {
        throttled++;
        limiter.onRateLimited(((1 - tokens) * 1000) / quota);
      }
    }
    clock.add(1);
  }
  let from = 0;
  let secondsTo90 = Infinity;
  for (let i = 0; i < successes.length; i++) {
    while ((successes[from] as number) <= (successes[i] as number) - 1000) from++;
    if (i - from + 1 >= 0.9 * quota) {
      secondsTo90 = (successes[i] as number) / 1000;
      break;
    }
  }
  const steady = successes.filter((t) => t >= (seconds * 1000) / 2).length / (seconds / 2) / quota;
  return { secondsTo90, steady, share429: throttled / (throttled + successes.length) };
}

describe('the learner on the token-bucket workload aimd() meets (simulated time, from 50, 20 s, precise waits)', () => {
  it.each([100, 1000, 5000])('meets issue #21\'s goals at %i/s', (quota) => {
    const clock = manualClock();
    const r = tokenBucketService(learningAimd({ initial: 50, clock }), clock, quota, 20);
    expect(r.secondsTo90).toBeLessThanOrEqual(5);
    expect(r.steady).toBeGreaterThanOrEqual(0.95);
    expect(r.share429).toBeLessThanOrEqual(0.025);
  });

  it('at 10/s misses the share refused (5.6 %; aimd(): 3.0 %): slow start from 50 is 5 times the quota, and each probe rejected is a tenth of a second of it', () => {
    const clock = manualClock();
    const r = tokenBucketService(learningAimd({ initial: 50, clock }), clock, 10, 20);
    expect(r.secondsTo90).toBeLessThanOrEqual(1);
    expect(r.steady).toBeGreaterThanOrEqual(0.9);
    expect(r.share429).toBeGreaterThan(0.05);
    const clock2 = manualClock();
    expect(tokenBucketService(aimd({ initial: 50, clock: clock2 }), clock2, 10, 20).share429).toBeLessThan(r.share429);
  });

  it('reaches 90 % sooner than aimd() from 1000/s up, and refuses more (1.7-2.0 % against under 0.1 %)', () => {
    for (const quota of [1000, 5000]) {
      const c1 = manualClock();
      const learner = tokenBucketService(learningAimd({ initial: 50, clock: c1 }), c1, quota, 20);
      const c2 = manualClock();
      const dflt = tokenBucketService(aimd({ initial: 50, clock: c2 }), c2, quota, 20);
      expect(learner.secondsTo90).toBeLessThan(dflt.secondsTo90);
      expect(learner.steady).toBeGreaterThanOrEqual(dflt.steady);
      expect(learner.share429).toBeGreaterThan(dflt.share429);
    }
  });
});

describe('the learner against a per-second window in real time (precise waits)', () => {
  it('serves all of a 10,000/s quota from second 10 on, with a pause per window rather than a lower rate', () => {
    const clock = manualClock();
    const r = paced(learningAimd({ initial: 50, max: 15_000, clock }), clock, 10_000, 30);
    expect(r.firstThrottleMs).toBeLessThanOrEqual(8000);
    expect(r.okAfter(10)).toBeGreaterThanOrEqual(0.99 * 10_000 * 20);
    expect(r.throttled).toBeLessThanOrEqual(30);
  });

  it('comes down from 8,000/s to a 10/s quota with a handful of 429s', () => {
    const clock = manualClock();
    const r = paced(learningAimd({ initial: 8000, max: 20_000, clock }), clock, 10, 30);
    expect(r.ok).toBeGreaterThanOrEqual(280);
    expect(r.ok).toBeLessThanOrEqual(10 * 30);
    expect(r.throttled).toBeLessThanOrEqual(10);
  });
});
