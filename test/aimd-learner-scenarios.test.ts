// The learning limiter of issue #21 (src/policies/aimd-learner.ts, not yet what aimd() makes) on
// the scenarios test/aimd-scenarios.test.ts runs for aimd(): the bench's old ratelimit workload in
// simulated time (a token bucket holding 100 ms of quota, precise waits, from 50; 4 quotas x 3
// targets, the "12 targets" aimd() meets) and a per-second window in real time. Judged by issue
// #21's goals (90 % within 10 s, >= 90 % steady goodput, <= 5 % refused), and beside aimd() where
// aimd()'s own tighter bounds hold and the learner's do not. Deterministic (a hand-moved clock).
import { describe, expect, it } from 'vitest';
import { aimd } from '../src/policies/aimd.js';
import { learningAimd } from '../src/policies/aimd-learner.js';
import { manualClock, paced, tokenBucketService } from './support/aimd-workloads.js';

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
