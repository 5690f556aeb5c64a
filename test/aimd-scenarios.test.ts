// Hidden-capacity scenarios, ported from the original jorb's aimd_scenario_test.go: a service
// allows some rate the client does not know; AIMD has to find it. aimd.classic() must meet the
// original's bounds; aimd.cubic() (slow start, a gentler backoff from an estimate, cubic growth,
// aimd() before the learning limiter) the same bounds and much tighter ones. The last block
// replays the bench's old ratelimit workload (a token-bucket service) in simulated time. The
// learning limiter aimd() makes runs these in test/aimd-learner-scenarios.test.ts.
import { describe, expect, it } from 'vitest';
import { aimd } from '../src/policies/aimd.js';
import type { AimdCubicOptions, AimdLimiter } from '../src/policies/aimd.js';
import { manualClock, paced, tokenBucketService, type ManualClock } from './support/aimd-workloads.js';

/**
 * The original's simulateHiddenAPIServer: one decision per step. If the client's current rate is
 * above the hidden capacity the service answers 429 (a backoff); otherwise the request succeeds,
 * after the clock moves on by one increase interval (1 ms), so each success may raise the rate.
 */
function simulateHiddenApiServer(clock: ManualClock, limiter: AimdLimiter, trueTps: number, steps: number): number[] {
  const series: number[] = [];
  for (let i = 0; i < steps; i++) {
    const current = limiter.current();
    series.push(current);
    if (current > trueTps) {
      limiter.onRateLimited();
    } else {
      clock.add(1);
      limiter.onSuccess();
    }
  }
  return series;
}

/** The original's statsLastN: min, max and mean of the last n values. */
function statsLastN(series: readonly number[], n: number): { min: number; max: number; mean: number } {
  const tail = series.slice(-n);
  return { min: Math.min(...tail), max: Math.max(...tail), mean: tail.reduce((a, b) => a + b, 0) / tail.length };
}

/** What the original's charts show: how fast, how many 429s, how far over. */
function summary(series: readonly number[], trueTps: number) {
  return {
    stepsTo90: series.findIndex((r) => r >= 0.9 * trueTps && r <= trueTps),
    throttled: series.filter((r) => r > trueTps).length,
    peak: Math.max(...series),
    mean: series.reduce((a, b) => a + b, 0) / series.length,
  };
}

type Make = (options: AimdCubicOptions) => AimdLimiter;
const kinds: ReadonlyArray<[string, Make]> = [
  ['aimd.classic()', (o) => aimd.classic(o)],
  ['aimd.cubic()', (o) => aimd.cubic(o)],
];

/** The original's configuration: 1 ms between increases, no backoff merging. */
function scenario(make: Make, trueTps: number, initial: number, max: number, steps: number) {
  const clock = manualClock();
  const limiter = make({ initial, min: 1, max, clock, increaseIntervalMs: 1, disableBackoffMerge: true });
  const series = simulateHiddenApiServer(clock, limiter, trueTps, steps);
  return { limiter, series, final: limiter.current() };
}

describe('AIMD against a hidden capacity (the original scenarios)', () => {
  describe.each(kinds)('%s meets the original bounds', (_name, make) => {
    it('high-quota user (10,000/s) from a conservative start (50) ramps up', () => {
      const { series, final } = scenario(make, 10_000, 50, 15_000, 30_000);
      const { mean } = statsLastN(series, 2000);
      expect(final).toBeGreaterThan(5000);
      expect(final).toBeLessThanOrEqual(15_000 + 1);
      expect(mean).toBeGreaterThan(4000);
    });

    it('low-quota user (10/s) from an aggressive start (8,000) ramps down', () => {
      const { series, final } = scenario(make, 10, 8000, 20_000, 25_000);
      const { mean } = statsLastN(series, 2000);
      expect(final).toBeLessThanOrEqual(50);
      expect(final).toBeGreaterThanOrEqual(1 - 0.01);
      expect(mean).toBeLessThan(100);
    });

    it('scaled: finds 100/s from 20 and 10/s from 200', () => {
      const high = scenario(make, 100, 20, 500, 5000);
      expect(high.final).toBeGreaterThan(65);
      expect(statsLastN(high.series, 500).mean).toBeGreaterThan(65);
      const low = scenario(make, 10, 200, 500, 5000);
      expect(low.final).toBeLessThan(50);
      expect(statsLastN(low.series, 500).mean).toBeLessThan(40);
    });
  });

  describe('the classic climb, as the original charts it', () => {
    it('takes one step per +1: 8,950 steps to 90 % of 10,000 from 50, then a sawtooth between 5,000 and 10,000', () => {
      const { series } = scenario(kinds[0]![1], 10_000, 50, 15_000, 30_000);
      expect(summary(series, 10_000)).toMatchObject({ stepsTo90: 8950, throttled: 5, peak: 10_001 });
      const { min, max } = statsLastN(series, 2000);
      expect(min).toBeGreaterThanOrEqual(5000);
      expect(max).toBeLessThanOrEqual(10_001);
    });
  });

  describe('the cubic limiter learns faster and holds closer to the cap', () => {
    const [classic, learnFast] = [kinds[0]![1], kinds[1]![1]];

    it('reaches 90 % of a 10,000/s cap in 10 steps (classic: 8,950), then holds 85-100 % of it (classic: 50-100 %)', () => {
      const classicRun = scenario(classic, 10_000, 50, 15_000, 30_000);
      const run = scenario(learnFast, 10_000, 50, 15_000, 30_000);
      const fast = summary(run.series, 10_000);
      expect(fast.stepsTo90).toBeLessThanOrEqual(10);
      expect(run.series.findIndex((r) => r > 10_000)).toBeLessThanOrEqual(8); // the cap is found in 8 doublings
      expect(fast.peak).toBeLessThan(2 * 10_000);
      // more work done while learning: the mean rate of the first 10,000 steps (9,603 against 5,025)
      const early = (series: readonly number[]) => summary(series.slice(0, 10_000), 10_000).mean;
      expect(early(run.series)).toBeGreaterThan(1.8 * early(classicRun.series));
      expect(run.limiter.snapshot().phase).toBe('cubic');
      // a sawtooth from 85 % of the cap up to it, mostly on the plateau near the top (mean 9,608 against 8,935)
      const { min, max, mean } = statsLastN(run.series, 2000);
      expect(min).toBeGreaterThanOrEqual(8400);
      expect(max).toBeLessThanOrEqual(10_100);
      expect(mean).toBeGreaterThan(9500);
      // it probes the cap every few steps (one step here is one increase interval)
      expect(fast.throttled).toBeLessThanOrEqual(30_000 / 5);
    });

    it('reaches 90 % of a 100/s cap in at most 10 steps (classic: 70) and holds 95 % of it (classic: 75 %)', () => {
      const slow = scenario(classic, 100, 20, 500, 5000);
      const fast = scenario(learnFast, 100, 20, 500, 5000);
      expect(summary(slow.series, 100).stepsTo90).toBe(70);
      expect(summary(fast.series, 100).stepsTo90).toBeLessThanOrEqual(10);
      expect(summary(fast.series, 100).peak).toBeLessThan(200);
      expect(statsLastN(fast.series, 500).mean).toBeGreaterThan(95);
      expect(statsLastN(slow.series, 500).mean).toBeLessThan(80);
    });

    it('from far above the cap, comes down in under 45 steps and then holds 85-100 % of it (classic: 50-110 %)', () => {
      for (const [trueTps, initial, max, steps] of [[10, 8000, 20_000, 25_000], [10, 200, 500, 5000]] as const) {
        const slow = scenario(classic, trueTps, initial, max, steps);
        const fast = scenario(learnFast, trueTps, initial, max, steps);
        expect(summary(fast.series, trueTps).stepsTo90).toBeLessThan(45); // 0.85 a step when nothing is measured
        expect(statsLastN(slow.series, 500).min).toBeLessThanOrEqual(5.01);
        const { min, max: top, mean } = statsLastN(fast.series, 500);
        expect(min).toBeGreaterThanOrEqual(8.4);
        expect(top).toBeLessThanOrEqual(10.1);
        expect(mean).toBeGreaterThan(9.5);
      }
    });
  });
});

describe('AIMD in real time against a hidden quota (default windows)', () => {
  it('the cubic limiter finds a 10,000/s quota from 50 within 8 s and holds 90 % of it; classic is still near 80/s after 30 s', () => {
    const clock = manualClock();
    const fast = paced(aimd.cubic({ initial: 50, max: 15_000, clock }), clock, 10_000, 30);
    expect(fast.firstThrottleMs).toBeLessThanOrEqual(8000);
    expect(fast.rate).toBeGreaterThanOrEqual(8000);
    expect(fast.rate).toBeLessThanOrEqual(10_100);
    expect(fast.okAfter(10)).toBeGreaterThan(0.9 * 10_000 * 20); // seconds 10 to 30
    expect(fast.throttled).toBeLessThanOrEqual(10); // the retry-after pause stops a 429 storm

    const clock2 = manualClock();
    const slow = paced(aimd.classic({ initial: 50, max: 15_000, clock: clock2 }), clock2, 10_000, 30);
    expect(slow.throttled).toBe(0);
    expect(slow.rate).toBeLessThanOrEqual(81);
    expect(fast.ok).toBeGreaterThan(100 * slow.ok);
  });

  it('comes down from 8,000/s to a 10/s quota within seconds, one 429 per second at most; the cubic limiter with fewer 429s and more done', () => {
    const results = [aimd.cubic, aimd.classic].map((make) => {
      const clock = manualClock();
      return paced(make({ initial: 8000, max: 20_000, clock }), clock, 10, 30);
    });
    for (const result of results) {
      expect(result.rate).toBeLessThanOrEqual(20);
      expect(result.throttled).toBeLessThanOrEqual(30);
      expect(result.ok).toBeLessThanOrEqual(10 * 30);
      expect(result.ok).toBeGreaterThan(7 * 30);
    }
    const [fast, slow] = results as [ReturnType<typeof paced>, ReturnType<typeof paced>];
    expect(fast.ok).toBeGreaterThanOrEqual(280); // classic: 273
    expect(fast.throttled).toBeLessThanOrEqual(10); // classic: 14
    expect(slow.throttled).toBeGreaterThan(fast.throttled);
  });
});

describe('the bench workload in simulated time: a token-bucket quota, from initial 50, 20 s', () => {
  it.each([10, 100, 1000, 5000])('the cubic limiter meets the targets at %i/s: 90 %% within 10 s, steady goodput >= 90 %%, 429s <= 5 %%', (quota) => {
    const clock = manualClock();
    const r = tokenBucketService(aimd.cubic({ initial: 50, clock }), clock, quota, 20);
    expect(r.secondsTo90).toBeLessThanOrEqual(quota === 5000 ? 7.5 : 5);
    expect(r.steady).toBeGreaterThanOrEqual(0.95);
    expect(r.share429).toBeLessThanOrEqual(quota === 10 ? 0.04 : 0.01);
  });

  it('classic misses them from 100/s up: +1 a second from 50', () => {
    for (const quota of [100, 1000, 5000]) {
      const clock = manualClock();
      const r = tokenBucketService(aimd.classic({ initial: 50, clock }), clock, quota, 20);
      expect(r.steady).toBeLessThan(0.7);
    }
  });
});
