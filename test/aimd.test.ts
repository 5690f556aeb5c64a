// aimd: the original jorb AIMD semantics (ported from its ratelimit_test.go), slow start, pauses
// and pacing, all on a hand-moved clock.
import { describe, expect, it } from 'vitest';
import { aimd } from '../src/policies/aimd.js';
import type { AimdLimiter, AimdCubicOptions } from '../src/policies/aimd.js';
import type { Clock } from '../src/model/clock.js';

/** A clock that moves only by `add`, synchronously. */
function manualClock(start = 0): Clock & { add(ms: number): void } {
  let now = start;
  return { now: () => now, setTimeout: () => 0, clearTimeout: () => undefined, add: (ms) => void (now += ms) };
}

/** The original's test setup: 1 ms between increases, every backoff applied in full. */
function stepped(initial: number, min: number, max: number, extra: Partial<AimdCubicOptions> = {}) {
  const clock = manualClock(1_700_000_000_000);
  const limiter = aimd.classic({ initial, min, max, clock, increaseIntervalMs: 1, disableBackoffMerge: true, ...extra });
  const succeed = (times: number) => {
    for (let i = 0; i < times; i++) {
      clock.add(1);
      limiter.onSuccess();
    }
  };
  return { clock, limiter, succeed };
}

describe('aimd: multiplicative decrease', () => {
  it('halves the rate per backoff, down to min', () => {
    const { limiter } = stepped(100, 10, 200);
    expect(limiter.current()).toBe(100);
    const rates = [1, 2, 3, 4].map(() => (limiter.onRateLimited(), limiter.current()));
    expect(rates).toEqual([50, 25, 12.5, 10]);
    limiter.onRateLimited();
    expect(limiter.current()).toBe(10);
    expect(limiter.snapshot()).toMatchObject({ backoffs: 5, mergedBackoffs: 0 });
  });

  it('merges signals within 500 ms of the last applied backoff into it (the default)', () => {
    const clock = manualClock();
    const limiter = aimd.classic({ initial: 100, min: 10, max: 200, clock });
    for (let i = 0; i < 20; i++) limiter.onRateLimited(); // a burst of 429s from attempts in flight
    expect(limiter.current()).toBe(50);
    clock.add(499);
    limiter.onRateLimited();
    expect(limiter.current()).toBe(50);
    clock.add(1);
    limiter.onRateLimited();
    expect(limiter.current()).toBe(25);
    expect(limiter.snapshot()).toMatchObject({ backoffs: 2, mergedBackoffs: 20 });
  });

  it('measures the window from the backoff applied, so a steady stream of 429s halves once per window', () => {
    const clock = manualClock();
    const limiter = aimd.classic({ initial: 1024, max: 2048, clock });
    for (let t = 0; t <= 1000; t += 100) {
      limiter.onRateLimited();
      clock.add(100);
    }
    expect(limiter.current()).toBe(128); // applied at 0, 500 and 1000 ms
    expect(limiter.snapshot()).toMatchObject({ backoffs: 3, mergedBackoffs: 8 });
  });

  it('takes another merge window through backoffDebounceMs', () => {
    const clock = manualClock();
    const limiter = aimd.classic({ initial: 100, min: 1, max: 200, backoffDebounceMs: 50, clock });
    limiter.onRateLimited();
    clock.add(49);
    limiter.onRateLimited();
    expect(limiter.current()).toBe(50);
    clock.add(1);
    limiter.onRateLimited();
    expect(limiter.current()).toBe(25);
  });

  it('applies every signal in full with disableBackoffMerge', () => {
    const clock = manualClock();
    const limiter = aimd.classic({ initial: 100, min: 1, max: 200, disableBackoffMerge: true, backoffDebounceMs: 10_000, clock });
    for (let i = 0; i < 3; i++) limiter.onRateLimited();
    expect(limiter.current()).toBe(12.5);
  });
});

describe('aimd: additive increase', () => {
  it('adds 1 per success, one step per increase interval, up to max', () => {
    const { limiter, succeed } = stepped(100, 10, 200);
    succeed(1);
    expect(limiter.current()).toBe(101);
    succeed(99);
    expect(limiter.current()).toBe(200);
    succeed(5);
    expect(limiter.current()).toBe(200);
  });

  it('draws the original sawtooth: slow climb, fast drop', () => {
    const { limiter, succeed } = stepped(100, 10, 200);
    succeed(50);
    expect(limiter.current()).toBe(150);
    limiter.onRateLimited();
    expect(limiter.current()).toBe(75);
    succeed(25);
    expect(limiter.current()).toBe(100);
  });

  it('recovers and drops as the original integration test says', () => {
    const { limiter, succeed } = stepped(100, 10, 200);
    succeed(10);
    expect(limiter.current()).toBe(110);
    limiter.onRateLimited();
    expect(limiter.current()).toBe(55);
    succeed(20);
    expect(limiter.current()).toBe(75);
    for (let i = 0; i < 10; i++) limiter.onRateLimited();
    expect(limiter.current()).toBe(10);
  });

  it('waits the increase interval between steps: 1 s by default, the original default', () => {
    const clock = manualClock();
    const limiter = aimd.classic({ initial: 100, min: 10, max: 200, clock });
    for (let i = 0; i < 50; i++) limiter.onSuccess();
    expect(limiter.current()).toBe(101);
    clock.add(999);
    limiter.onSuccess();
    expect(limiter.current()).toBe(101);
    clock.add(1);
    limiter.onSuccess();
    expect(limiter.current()).toBe(102);
  });

  it('takes another interval through increaseIntervalMs', () => {
    const clock = manualClock();
    const limiter = aimd.classic({ initial: 100, min: 10, max: 200, clock, increaseIntervalMs: 500, disableBackoffMerge: true });
    for (let i = 0; i < 50; i++) limiter.onSuccess();
    expect(limiter.current()).toBe(101);
    clock.add(600);
    limiter.onSuccess();
    expect(limiter.current()).toBe(102);
  });

  it('lets the first success after a backoff increase at once, even at max', () => {
    const clock = manualClock();
    const limiter = aimd.classic({ initial: 200, min: 10, max: 200, clock, increaseIntervalMs: 3_600_000, disableBackoffMerge: true });
    limiter.onRateLimited();
    expect(limiter.current()).toBe(100);
    limiter.onSuccess();
    expect(limiter.current()).toBe(101);
    limiter.onSuccess();
    expect(limiter.current()).toBe(101);
  });
});

describe('aimd: bounds', () => {
  it.each([
    // the original's boundary table: [initial, min, max]
    ['zero initial', 0, 0, 100],
    ['same min and max', 50, 50, 50],
    ['initial equals min', 10, 10, 100],
    ['initial equals max', 100, 10, 100],
    ['very small values', 0.1, 0.01, 1],
    ['very large values', 10_000, 1_000, 50_000],
    ['min greater than max swapped', 30, 100, 10],
  ])('keeps the rate within bounds: %s', (_name, initial, min, max) => {
    // aimd() and aimd.cubic() refuse rates that are no rates (zero, min above max); aimd.classic() normalises them as the original did.
    const valid = initial > 0 && min <= max && initial >= min && initial <= max;
    for (const make of valid ? [aimd, aimd.cubic, aimd.classic] : [aimd.classic]) {
      const limiter = make({ initial, min, max, clock: manualClock() });
      limiter.onRateLimited();
      limiter.onSuccess();
      const s = limiter.snapshot();
      expect(s.rate).toBeGreaterThanOrEqual(s.min);
      expect(s.rate).toBeLessThanOrEqual(s.max);
    }
  });

  it.each<[string, AimdCubicOptions, { initial: number; min: number; max: number }]>([
    ['min > max: swapped, as in the original', { initial: 30, min: 100, max: 10 }, { initial: 30, min: 10, max: 100 }],
    ['initial above max: clamped to max', { initial: 500, min: 1, max: 200 }, { initial: 200, min: 1, max: 200 }],
    ['initial below min: raised to min', { initial: 2, min: 5, max: 200 }, { initial: 5, min: 5, max: 200 }],
    ['initial zero or negative: min', { initial: -3, min: 5, max: 200 }, { initial: 5, min: 5, max: 200 }],
    ['initial left out: min', { min: 5, max: 200 }, { initial: 5, min: 5, max: 200 }],
    ['min zero: the default floor 1', { initial: 10, min: 0, max: 200 }, { initial: 10, min: 1, max: 200 }],
    ['min negative: the default floor 1', { initial: 10, min: -4, max: 200 }, { initial: 10, min: 1, max: 200 }],
    ['max zero: no ceiling', { initial: 10, min: 2, max: 0 }, { initial: 10, min: 2, max: Infinity }],
    ['max negative: no ceiling', { initial: 10, max: -1 }, { initial: 10, min: 1, max: Infinity }],
    ['max below the default floor: the floor comes down to it', { initial: 5, max: 0.5 }, { initial: 0.5, min: 0.5, max: 0.5 }],
    ['nothing given', {}, { initial: 1, min: 1, max: Infinity }],
    ['all zero (Go zero values)', { initial: 0, min: 0, max: 0 }, { initial: 1, min: 1, max: Infinity }],
  ])('aimd.classic() normalises its rates as the original did: %s', (_name, options, expected) => {
    const s = aimd.classic({ ...options, clock: manualClock() }).snapshot();
    expect({ initial: s.rate, min: s.min, max: s.max }).toEqual(expected);
  });

  it.each<[AimdCubicOptions, string]>([
    [{ initial: 30, min: 100, max: 10 }, 'aimd.cubic: min (100) must not be above max (10)'],
    [{ initial: 500, min: 1, max: 200 }, 'aimd.cubic: initial (500) must not be above max (200)'],
    [{ initial: 2, min: 5, max: 200 }, 'aimd.cubic: initial (2) must not be below min (5)'],
    [{ initial: -1 }, 'aimd.cubic: initial must be a rate above 0 (permits a second), got -1'],
    [{ initial: 10, min: 0 }, 'aimd.cubic: min must be a rate above 0 (permits a second), got 0'],
    [{ initial: 10, max: -1 }, 'aimd.cubic: max must be a rate above 0 (permits a second), got -1'],
  ])('aimd.cubic() refuses rates that are none, as fixedRate() does, naming the option: %o', (options, message) => {
    expect(() => aimd.cubic(options)).toThrow(new TypeError(message));
    // so does aimd(), the learning limiter, naming itself
    expect(() => aimd(options)).toThrow(new TypeError(message.replace('aimd.cubic:', 'aimd:')));
  });

  it.each<[AimdCubicOptions, { initial: number; min: number; max: number }]>([
    [{ min: 5, max: 200 }, { initial: 5, min: 5, max: 200 }],
    [{}, { initial: 1, min: 1, max: Infinity }],
    [{ max: 0.5 }, { initial: 0.5, min: 0.5, max: 0.5 }],
  ])('aimd.cubic() fills in what is left out: %o', (options, expected) => {
    const s = aimd.cubic({ ...options, clock: manualClock() }).snapshot();
    expect({ initial: s.rate, min: s.min, max: s.max }).toEqual(expected);
    const learner = aimd({ ...options, clock: manualClock() }).snapshot(); // as aimd() does
    expect({ initial: learner.rate, min: learner.min, max: learner.max }).toEqual(expected);
  });

  it('takes the default windows for zero or negative intervals', () => {
    const clock = manualClock();
    const limiter = aimd.classic({ initial: 100, max: 200, increaseIntervalMs: 0, backoffDebounceMs: -5, clock });
    limiter.onSuccess();
    clock.add(999);
    limiter.onSuccess();
    expect(limiter.current()).toBe(101); // a 1000 ms increase interval
    limiter.onRateLimited();
    clock.add(499);
    limiter.onRateLimited();
    expect(limiter.current()).toBe(50.5); // a 500 ms merge window
  });

  it('rejects what is not a number at all, naming the option', () => {
    expect(() => aimd.cubic({ initial: Number.NaN })).toThrow(new TypeError('aimd.cubic: initial must be a number, got NaN'));
    expect(() => aimd.cubic({ max: '100' as unknown as number })).toThrow('aimd.cubic: max must be a number, got "100"');
    expect(() => aimd.cubic({ min: Infinity })).toThrow('aimd.cubic: min must be finite, got Infinity');
    expect(() => aimd.cubic({ initial: Infinity })).toThrow('aimd.cubic: initial must be finite, got Infinity');
    expect(() => aimd.cubic({ increaseIntervalMs: Number.NaN })).toThrow('aimd.cubic: increaseIntervalMs must be a number, got NaN');
    expect(() => aimd.cubic({ slowStartFactor: 1 })).toThrow('aimd.cubic: slowStartFactor must be a number above 1, got 1');
    expect(() => aimd.cubic({ slowStart: 'yes' as unknown as boolean })).toThrow('aimd.cubic: slowStart must be true or false, got "yes"');
    expect(() => aimd.classic({ backoffDebounceMs: {} as number })).toThrow('aimd.classic: backoffDebounceMs must be a number, got an object');
    expect(() => aimd.cubic({ clock: Date as unknown as Clock })).toThrow('aimd.cubic: clock must be a Clock');
    expect(() => aimd.cubic(5 as unknown as AimdCubicOptions)).toThrow('aimd.cubic: options must be an object such as { initial: 10 }, got 5');
    expect(aimd.cubic({ max: Infinity, increaseIntervalMs: Infinity }).snapshot().max).toBe(Infinity);
  });
});

describe('aimd: retry-after pause', () => {
  it('backs off and pauses: tryAcquire answers with the rest of the pause until it is over', () => {
    const clock = manualClock();
    const limiter = aimd.classic({ initial: 100, max: 200, clock });
    limiter.onRateLimited(2_000);
    expect(limiter.current()).toBe(50);
    expect(limiter.tryAcquire()).toBe(2_000);
    expect(limiter.snapshot().pausedForMs).toBe(2_000);
    clock.add(1_500);
    expect(limiter.tryAcquire()).toBe(500);
    clock.add(500);
    expect(limiter.snapshot().pausedForMs).toBe(0);
    expect(limiter.tryAcquire()).toBe(0);
    expect(limiter.tryAcquire()).toBe(20); // one probe, then the new rate (50/s), not a saved-up burst
  });

  it('honours the retry-after even when the backoff itself is merged, and never shortens a pause', () => {
    const clock = manualClock();
    const limiter = aimd.classic({ initial: 100, max: 200, clock });
    limiter.onRateLimited();
    clock.add(100);
    limiter.onRateLimited(3_000); // merged into the first backoff, but the service asked to wait
    expect(limiter.current()).toBe(50);
    expect(limiter.tryAcquire()).toBe(3_000);
    limiter.onRateLimited(1_000);
    expect(limiter.tryAcquire()).toBe(3_000);
    limiter.onRateLimited(Number.NaN);
    limiter.onRateLimited(-1);
    expect(limiter.tryAcquire()).toBe(3_000);
  });

  it('does not pause without a retry-after: the halved rate is the answer', () => {
    const clock = manualClock();
    const limiter = aimd.classic({ initial: 100, max: 200, clock });
    limiter.onRateLimited();
    expect(limiter.tryAcquire()).toBe(0);
    expect(limiter.snapshot().pausedForMs).toBe(0);
  });
});

describe('aimd: pacing', () => {
  it('is a token bucket at the current rate holding a tenth of a second of permits', () => {
    const clock = manualClock();
    const limiter = aimd.classic({ initial: 100, max: 200, clock, disableBackoffMerge: true });
    let burst = 0;
    while (limiter.tryAcquire() === 0) burst++;
    expect(burst).toBe(10);
    expect(limiter.tryAcquire()).toBe(10);
    clock.add(10);
    expect(limiter.tryAcquire()).toBe(0);
    limiter.onRateLimited(); // 50/s
    expect(limiter.tryAcquire()).toBe(20);
    for (let i = 0; i < 3; i++) limiter.onRateLimited(); // 6.25/s: the bucket still holds one permit
    clock.add(160);
    expect(limiter.tryAcquire()).toBe(0);
    expect(limiter.tryAcquire()).toBe(160);
  });

  it('shares its permits between every caller of the state', () => {
    const clock = manualClock();
    const limiter = aimd.classic({ initial: 20, max: 20, clock });
    let granted = 0;
    for (let ms = 0; ms <= 10_000; ms++) {
      for (let caller = 0; caller < 8; caller++) if (limiter.tryAcquire() === 0) granted++;
      clock.add(1);
    }
    expect(granted).toBe(2 + 20 * 10); // the full bucket (2), then 20 a second
  });
});

describe('aimd.cubic: slow start, then AIMD', () => {
  it('doubles per increase interval until the first rate-limit signal, then backs off to 85 %', () => {
    const clock = manualClock();
    const limiter = aimd.cubic({ initial: 50, max: 100_000, clock });
    expect(limiter.snapshot()).toMatchObject({ phase: 'slow-start', estimate: Infinity });
    const seen: number[] = [];
    for (let s = 0; s < 8; s++) {
      limiter.onSuccess();
      seen.push(limiter.current());
      clock.add(1000);
    }
    expect(seen).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 12_800]);
    limiter.onSuccess(); // a ninth interval
    expect(limiter.current()).toBe(25_600);
    limiter.onRateLimited(); // fed only outcomes: the estimate is the rate
    expect(limiter.current()).toBe(21_760);
    expect(limiter.snapshot()).toMatchObject({ phase: 'cubic', estimate: 25_600, backoffs: 1 });
  });

  it('never overshoots max', () => {
    const clock = manualClock();
    const limiter = aimd.cubic({ initial: 50, max: 150, clock });
    limiter.onSuccess();
    clock.add(1000);
    limiter.onSuccess();
    expect(limiter.current()).toBe(150);
  });

  it('grows by slowStartFactor', () => {
    const clock = manualClock();
    const limiter = aimd.cubic({ initial: 10, slowStartFactor: 4, clock });
    limiter.onSuccess();
    clock.add(1000);
    limiter.onSuccess();
    expect(limiter.current()).toBe(160);
  });

  it('can be turned off: slowStart false and additive growth is classic AIMD with the default safeguards', () => {
    const clock = manualClock();
    const limiter = aimd.cubic({ initial: 50, slowStart: false, growth: 'additive', clock });
    expect(limiter.snapshot().phase).toBe('additive');
    limiter.onSuccess();
    expect(limiter.current()).toBe(51);
  });

  it('without slow start, cubic growth starts on the plateau at initial and probes ever faster', () => {
    const clock = manualClock();
    const limiter = aimd.cubic({ initial: 1000, slowStart: false, clock });
    expect(limiter.snapshot().phase).toBe('cubic');
    const seen: number[] = [];
    for (let s = 0; s < 8; s++) {
      limiter.onSuccess();
      seen.push(Math.round(limiter.current() * 10) / 10);
      clock.add(1000);
    }
    // 1000 × (1 + 0.15 × (n / 4)³) for n = 1, 2, …
    expect(seen).toEqual([1002.3, 1018.8, 1063.3, 1150, 1293, 1506.3, 1803.9, 2200]);
  });

  it('grows only while the rate holds callers back (growOnlyWhenLimiting)', () => {
    const clock = manualClock();
    const limiter = aimd.cubic({ initial: 50, clock });
    // a state whose concurrency keeps it at 10 attempts a second: never waits for a permit
    for (let s = 0; s < 30; s++) {
      for (let i = 0; i < 10; i++) {
        expect(limiter.tryAcquire()).toBe(0);
        limiter.onSuccess();
        clock.add(100);
      }
    }
    expect(limiter.current()).toBe(50); // not 50 × 2^30
    // demand now exceeds the rate: callers wait, and the rate grows
    while (limiter.tryAcquire() === 0);
    limiter.onSuccess();
    expect(limiter.current()).toBe(100);
    limiter.onSuccess();
    clock.add(1000);
    limiter.onSuccess();
    expect(limiter.current()).toBe(100); // no wait since that increase
  });

  it('classic grows on any success, as the original does, and never slow-starts', () => {
    const clock = manualClock();
    const limiter = aimd.classic({ initial: 50, clock });
    expect(limiter.snapshot().phase).toBe('additive');
    for (let s = 0; s < 30; s++) {
      expect(limiter.tryAcquire()).toBe(0);
      limiter.onSuccess();
      clock.add(1000);
    }
    expect(limiter.current()).toBe(80);
    expect(aimd.classic({ initial: 50, clock, growOnlyWhenLimiting: true }).snapshot().phase).toBe('additive');
  });
});

describe('aimd.cubic: its backoff and cubic growth', () => {
  /** A limiter fed only outcomes (no tryAcquire): its estimate is always the rate. */
  function unpaced(options: AimdCubicOptions = {}) {
    const clock = manualClock();
    return { clock, limiter: aimd.cubic({ initial: 1000, slowStart: false, clock, ...options }) };
  }

  /** Lets `perSecond` successes through for `ms`, each one after a permit. */
  function deliver(clock: ReturnType<typeof manualClock>, limiter: AimdLimiter, perSecond: number, ms: number) {
    const gap = 1000 / perSecond;
    for (let t = 0; t < ms; t += gap) {
      limiter.tryAcquire();
      limiter.onSuccess();
      clock.add(gap);
    }
  }

  it('backs off to 85 % of the estimate, then climbs back along a cubic curve: 4 increases to the estimate, a plateau, then probing', () => {
    const { clock, limiter } = unpaced();
    limiter.onRateLimited();
    expect(limiter.current()).toBe(850);
    limiter.onSuccess(); // cubic growth counts its interval from the backoff: no increase at once
    expect(limiter.current()).toBe(850);
    const seen: number[] = [];
    for (let n = 1; n <= 10; n++) {
      clock.add(1000);
      limiter.onSuccess();
      seen.push(Math.round(limiter.current() * 10) / 10);
    }
    // 1000 × (1 + 0.15 × ((n − 4) / 4)³)
    expect(seen).toEqual([936.7, 981.3, 997.7, 1000, 1002.3, 1018.8, 1063.3, 1150, 1293, 1506.3]);
    expect(limiter.snapshot()).toMatchObject({ phase: 'cubic', estimate: 1000, increases: 10, backoffs: 1 });
  });

  it('takes the rate before the last increase as the estimate: it was the last one that drew no 429', () => {
    const { clock, limiter } = unpaced();
    for (let n = 0; n < 7; n++) {
      clock.add(1000);
      limiter.onSuccess();
    }
    expect(Math.round(limiter.current())).toBe(1804); // probing above 1000
    limiter.onRateLimited();
    expect(limiter.snapshot().estimate).toBeCloseTo(1506.3, 1);
    expect(limiter.current()).toBeCloseTo(0.85 * 1506.3, 1);
  });

  it('backs off from what the service delivered when that is below the rate', () => {
    const clock = manualClock();
    const limiter = aimd.cubic({ initial: 1000, slowStart: false, clock });
    deliver(clock, limiter, 200, 500); // the service answers 200 a second, whatever we send
    limiter.onRateLimited();
    expect(limiter.snapshot().estimate).toBeCloseTo(200, 6);
    expect(limiter.current()).toBeCloseTo(170, 6);
  });

  it('measures nothing from one success, or from successes within a twentieth of the interval', () => {
    const estimateAfter = (successes: number, gapMs: number) => {
      const clock = manualClock();
      const limiter = aimd.cubic({ initial: 1000, slowStart: false, clock });
      limiter.tryAcquire();
      for (let i = 0; i < successes; i++) {
        limiter.onSuccess();
        clock.add(gapMs);
      }
      limiter.onRateLimited();
      return limiter.snapshot().estimate;
    };
    expect(estimateAfter(1, 500)).toBe(1000); // one success: no rate to tell
    expect(estimateAfter(5, 10)).toBe(1000); // 4 gaps of 10 ms: 40 ms, under 50
    expect(estimateAfter(6, 10)).toBeCloseTo(100, 6); // 50 ms: 100 a second
  });

  it('lets a merged signal correct the estimate to what got through since the backoff, never applying the factor twice', () => {
    const clock = manualClock();
    const limiter = aimd.cubic({ initial: 1000, slowStart: false, clock });
    limiter.tryAcquire();
    limiter.onRateLimited(); // nothing measured yet: from the rate
    expect(limiter.current()).toBe(850);
    deliver(clock, limiter, 100, 300); // still over the limit: 100 a second get through
    limiter.onRateLimited(); // within 500 ms: merged
    expect(limiter.snapshot()).toMatchObject({ backoffs: 1, mergedBackoffs: 1 });
    expect(limiter.snapshot().estimate).toBeCloseTo(100, 6);
    expect(limiter.current()).toBeCloseTo(85, 6);
    limiter.onRateLimited(); // nothing new measured since: no change
    expect(limiter.current()).toBeCloseTo(85, 6);
    expect(limiter.snapshot().mergedBackoffs).toBe(2);
  });

  it('never corrects upward, and never below min', () => {
    const clock = manualClock();
    const limiter = aimd.cubic({ initial: 100, min: 50, slowStart: false, clock });
    limiter.tryAcquire();
    limiter.onRateLimited();
    expect(limiter.current()).toBe(85);
    deliver(clock, limiter, 20, 300);
    limiter.onRateLimited();
    expect(limiter.current()).toBe(50);
    deliver(clock, limiter, 500, 100);
    limiter.onRateLimited();
    expect(limiter.snapshot().estimate).toBeCloseTo(20, 6);
  });

  it('backs off from what a bursty service let through since the previous backoff, when that is far below the rate', () => {
    // a fixed window: 10 requests pass at the start of each second, then 429 until the next
    const clock = manualClock();
    const limiter = aimd.cubic({ initial: 1000, slowStart: false, clock });
    for (let i = 0; i < 10; i++) {
      limiter.tryAcquire();
      limiter.onSuccess();
    }
    limiter.onRateLimited(1000);
    expect(limiter.current()).toBe(850); // ten in no time: nothing to measure
    clock.add(1000);
    for (let i = 0; i < 10; i++) {
      limiter.tryAcquire();
      limiter.onSuccess();
      clock.add(1);
    }
    limiter.onRateLimited(990);
    expect(limiter.snapshot().estimate).toBeCloseTo((10 * 1000) / 1010, 6);
  });

  it("backoffFrom 'rate' and backoffFactor give the original's decrease on a limiter that measures", () => {
    const clock = manualClock();
    const limiter = aimd.cubic({ initial: 1000, slowStart: false, backoffFrom: 'rate', backoffFactor: 0.5, clock });
    deliver(clock, limiter, 200, 500);
    limiter.onRateLimited();
    expect(limiter.current()).toBe(500);
    expect(limiter.snapshot().estimate).toBe(1000);
  });

  it('keeps the cubic curve in step with backoffFactor: back to the estimate in 4 increases', () => {
    const { clock, limiter } = unpaced({ backoffFactor: 0.7 });
    limiter.onRateLimited();
    expect(limiter.current()).toBe(700);
    for (let n = 1; n <= 4; n++) {
      clock.add(1000);
      limiter.onSuccess();
    }
    expect(limiter.current()).toBe(1000);
  });

  it('opens with one permit, not a full bucket; classic opens full, as the original', () => {
    const opened = (make: (options: AimdCubicOptions) => AimdLimiter) => {
      const limiter = make({ initial: 100, clock: manualClock() });
      let n = 0;
      while (limiter.tryAcquire() === 0) n++;
      return n;
    };
    expect(opened(aimd.cubic)).toBe(1);
    expect(opened(aimd.classic)).toBe(10);
  });

  it('honours a retry-after as classic does', () => {
    const clock = manualClock();
    const limiter = aimd.cubic({ initial: 100, clock });
    limiter.onRateLimited(2_000);
    expect(limiter.tryAcquire()).toBe(2_000);
    clock.add(2_000);
    expect(limiter.tryAcquire()).toBe(0);
    expect(limiter.tryAcquire()).toBeGreaterThan(0);
  });

  it('rejects a growth, backoffFrom or backoffFactor it does not know', () => {
    expect(() => aimd.cubic({ growth: 'linear' as 'cubic' })).toThrow(new TypeError("aimd.cubic: growth must be 'cubic' or 'additive', got \"linear\""));
    expect(() => aimd.cubic({ backoffFrom: 'guess' as 'rate' })).toThrow("aimd.cubic: backoffFrom must be 'estimate' or 'rate', got \"guess\"");
    for (const f of [0, 1, 1.5, -0.5]) expect(() => aimd.cubic({ backoffFactor: f })).toThrow(`aimd.cubic: backoffFactor must be a number above 0 and below 1, got ${f}`);
    expect(() => aimd.cubic({ backoffFactor: Number.NaN })).toThrow('aimd.cubic: backoffFactor must be a number, got NaN');
  });

  it('classic ignores the options that make the cubic limiter (for callers without types)', () => {
    const clock = manualClock();
    const options = { initial: 100, clock, growth: 'cubic', backoffFactor: 0.9, backoffFrom: 'estimate' } as AimdCubicOptions;
    const limiter = aimd.classic(options);
    limiter.onRateLimited();
    expect(limiter.current()).toBe(50);
    limiter.onSuccess();
    expect(limiter.current()).toBe(51);
  });
});

describe('aimd: clocks', () => {
  it("uses the processor's clock unless it was given one, keeping its windows across the change", () => {
    const limiter = aimd.classic({ initial: 10, max: 100 });
    limiter.onSuccess(); // on the system clock: 11, and the next increase 1 s away
    const clock = manualClock(5);
    limiter.useClock(clock);
    limiter.onSuccess();
    expect(limiter.current()).toBe(11);
    clock.add(1000);
    limiter.onSuccess();
    expect(limiter.current()).toBe(12);

    const own = manualClock();
    const pinned = aimd.cubic({ initial: 10, clock: own });
    pinned.onRateLimited(1000);
    pinned.useClock(manualClock(1e12));
    expect(pinned.tryAcquire()).toBe(1000);
  });
});
