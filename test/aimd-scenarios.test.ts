// Hidden-capacity scenarios, ported from the original jorb's aimd_scenario_test.go: a service
// allows some rate the client does not know; AIMD has to find it. aimd.classic() must meet the
// original's bounds; the default aimd() (slow start) the same bounds and tighter ones.
import { describe, expect, it } from 'vitest';
import { aimd } from '../src/policies/aimd.js';
import type { AimdLimiter, AimdOptions } from '../src/policies/aimd.js';
import type { Clock } from '../src/policies/clock.js';

type ManualClock = Clock & { add(ms: number): void };

function manualClock(start = 1_700_000_000_000): ManualClock {
  let now = start;
  return { now: () => now, setTimeout: () => 0, clearTimeout: () => undefined, add: (ms) => void (now += ms) };
}

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

type Make = (options: AimdOptions) => AimdLimiter;
const kinds: ReadonlyArray<[string, Make]> = [
  ['aimd.classic()', (o) => aimd.classic(o)],
  ['aimd() with slow start', (o) => aimd(o)],
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

  describe('slow start learns faster', () => {
    const [classic, learnFast] = [kinds[0]![1], kinds[1]![1]];

    it('reaches 90 % of a 10,000/s cap in under a third of the classic steps, overshooting less than 2×', () => {
      const classicRun = scenario(classic, 10_000, 50, 15_000, 30_000);
      const slow = summary(classicRun.series, 10_000);
      const run = scenario(learnFast, 10_000, 50, 15_000, 30_000);
      const fast = summary(run.series, 10_000);
      expect(fast.stepsTo90).toBeLessThan(slow.stepsTo90 / 3);
      expect(run.series.findIndex((r) => r > 10_000)).toBeLessThanOrEqual(8); // the cap is found in 8 doublings
      expect(fast.peak).toBeLessThan(2 * 10_000);
      expect(fast.throttled).toBeLessThanOrEqual(10);
      // more work done while learning: the mean rate of the first 10,000 steps (7,498 against 5,025)
      const early = (series: readonly number[]) => summary(series.slice(0, 10_000), 10_000).mean;
      expect(early(run.series)).toBeGreaterThan(1.4 * early(classicRun.series));
      expect(run.limiter.snapshot().phase).toBe('additive');
      // and then it holds the classic sawtooth
      const { min, max } = statsLastN(run.series, 2000);
      expect(min).toBeGreaterThanOrEqual(5000);
      expect(max).toBeLessThanOrEqual(10_001);
    });

    it('reaches 90 % of a 100/s cap in at most 20 steps (classic: 70)', () => {
      const slow = summary(scenario(classic, 100, 20, 500, 5000).series, 100);
      const fast = summary(scenario(learnFast, 100, 20, 500, 5000).series, 100);
      expect(slow.stepsTo90).toBe(70);
      expect(fast.stepsTo90).toBeLessThanOrEqual(20);
      expect(fast.peak).toBeLessThan(200);
    });

    it('changes nothing when the cap is below the start: the first 429 ends slow start', () => {
      for (const [trueTps, initial, max, steps] of [[10, 8000, 20_000, 25_000], [10, 200, 500, 5000]] as const) {
        const a = scenario(classic, trueTps, initial, max, steps).series;
        const b = scenario(learnFast, trueTps, initial, max, steps).series;
        expect(b).toEqual(a);
      }
    });
  });
});

/**
 * The same question in real time, with the default windows (1 s increase interval, 500 ms merge):
 * callers that always have work take every permit the limiter gives, each one millisecond; the
 * service counts requests per wall-clock second and answers 429 over its quota, with a
 * retry-after up to the next second. Returns what the client saw.
 */
function paced(limiter: AimdLimiter, clock: ManualClock, quota: number, seconds: number) {
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
        limiter.onSuccess();
      }
    }
    clock.add(1);
  }
  return { ok, throttled, firstThrottleMs, rate: limiter.current() };
}

describe('AIMD in real time against a hidden quota (default windows)', () => {
  it('slow start finds a 10,000/s quota from 50 within 8 s; classic is still near 80/s after 30 s', () => {
    const clock = manualClock();
    const fast = paced(aimd({ initial: 50, max: 15_000, clock }), clock, 10_000, 30);
    expect(fast.firstThrottleMs).toBeLessThanOrEqual(8000);
    expect(fast.rate).toBeGreaterThanOrEqual(5000);
    expect(fast.rate).toBeLessThanOrEqual(10_000);
    expect(fast.throttled).toBeLessThanOrEqual(3); // the retry-after pause stops a 429 storm

    const clock2 = manualClock();
    const slow = paced(aimd.classic({ initial: 50, max: 15_000, clock: clock2 }), clock2, 10_000, 30);
    expect(slow.throttled).toBe(0);
    expect(slow.rate).toBeLessThanOrEqual(81);
    expect(fast.ok).toBeGreaterThan(30 * slow.ok);
  });

  it('comes down from 8,000/s to a 10/s quota within seconds, one 429 per second at most', () => {
    for (const make of [aimd, aimd.classic]) {
      const clock = manualClock();
      const result = paced(make({ initial: 8000, max: 20_000, clock }), clock, 10, 30);
      expect(result.rate).toBeLessThanOrEqual(20);
      expect(result.throttled).toBeLessThanOrEqual(30);
      expect(result.ok).toBeLessThanOrEqual(10 * 30);
      expect(result.ok).toBeGreaterThan(7 * 30);
    }
  });
});
