// fixedRate: a token bucket shared by every worker of a state, on fake time.
import { describe, expect, it } from 'vitest';
import { fixedRate } from '../src/policies/fixed-rate.js';
import type { Clock } from '../src/model/clock.js';
import { FakeClock } from '../src/testing/fake-clock.js';

/** A clock that moves only by `add`, synchronously (no timers needed here). */
function manualClock(start = 0): Clock & { add(ms: number): void } {
  let now = start;
  return { now: () => now, setTimeout: () => 0, clearTimeout: () => undefined, add: (ms) => void (now += ms) };
}

/** Runs `workers` callers that each take permits as soon as the limiter allows, waiting as told; returns grant times. */
async function drive(clock: FakeClock, limiter: ReturnType<typeof fixedRate>, workers: number, forMs: number): Promise<number[][]> {
  const grants: number[][] = Array.from({ length: workers }, () => []);
  const end = clock.now() + forMs;
  const sleep = (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
  const worker = async (mine: number[]) => {
    for (;;) {
      const wait = limiter.tryAcquire();
      if (wait > 0) {
        if (clock.now() + wait > end) return;
        await sleep(wait);
      } else mine.push(clock.now());
    }
  };
  const done = Promise.all(grants.map(worker));
  await clock.advance(forMs);
  await done;
  return grants;
}

describe('fixedRate', () => {
  it('hands out perSecond permits a second, evenly spaced by default (burst 1)', async () => {
    const clock = new FakeClock();
    const limiter = fixedRate(50, { clock });
    const [times = []] = await drive(clock, limiter, 1, 10_000);
    expect(times).toHaveLength(1 + 50 * 10);
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    expect(Math.min(...gaps)).toBe(20);
    expect(Math.max(...gaps)).toBe(20);
    expect(limiter.current()).toBe(50);
  });

  it('is shared by every caller: four workers together still get perSecond', async () => {
    const clock = new FakeClock();
    const limiter = fixedRate(20, { clock });
    const grants = await drive(clock, limiter, 4, 5_000);
    const all = grants.flat().sort((a, b) => a - b);
    expect(all).toHaveLength(1 + 20 * 5);
    // (which worker gets a permit is first come, first served: the limiter counts, it does not queue)
    // no one-second window holds more than its share (plus the one permit the full bucket starts with)
    for (const t of all) expect(all.filter((u) => u >= t && u < t + 1000).length).toBeLessThanOrEqual(21);
  });

  it('lets a burst through after a quiet spell, never more than burst at once', () => {
    const clock = manualClock();
    const limiter = fixedRate(10, { burst: 5, clock });
    const takeAll = () => {
      let n = 0;
      while (limiter.tryAcquire() === 0) n++;
      return n;
    };
    expect(takeAll()).toBe(5);
    expect(limiter.tryAcquire()).toBe(100);
    clock.add(100);
    expect(takeAll()).toBe(1);
    clock.add(60_000); // a long quiet spell refills the bucket, up to burst only
    expect(takeAll()).toBe(5);
    // over 10 s of steady demand: the burst, then 10 a second
    let granted = 0;
    for (let ms = 0; ms < 10_000; ms++) {
      clock.add(1);
      granted += takeAll();
    }
    expect(granted).toBe(100);
  });

  it('allows fractional rates: 0.5 a second is one permit every 2 s', () => {
    const clock = manualClock();
    const limiter = fixedRate(0.5, { clock });
    expect(limiter.tryAcquire()).toBe(0);
    expect(limiter.tryAcquire()).toBe(2000);
    clock.add(1999);
    expect(limiter.tryAcquire()).toBe(1);
    clock.add(1);
    expect(limiter.tryAcquire()).toBe(0);
  });

  it('pauses for a retry-after, then hands out one permit and paces from there', () => {
    const clock = manualClock();
    const limiter = fixedRate(10, { burst: 5, clock });
    limiter.onRateLimited(1_500);
    expect(limiter.tryAcquire()).toBe(1_500);
    clock.add(1_000);
    expect(limiter.tryAcquire()).toBe(500);
    limiter.onRateLimited(200); // a shorter retry-after does not cut the pause short
    expect(limiter.tryAcquire()).toBe(500);
    clock.add(500);
    expect(limiter.tryAcquire()).toBe(0);
    expect(limiter.tryAcquire()).toBe(100); // not a burst of 5 saved up during the pause
    limiter.onSuccess();
    limiter.onRateLimited(); // no retry-after: a fixed rate does not change
    limiter.onRateLimited(Number.NaN);
    expect(limiter.tryAcquire()).toBe(100);
    expect(limiter.current()).toBe(10);
  });

  it("uses the processor's clock unless it was given one", () => {
    const processorClock = manualClock(1_000_000);
    const shared = fixedRate(1);
    shared.useClock(processorClock);
    expect(shared.tryAcquire()).toBe(0);
    expect(shared.tryAcquire()).toBe(1000);
    processorClock.add(1000);
    expect(shared.tryAcquire()).toBe(0);

    const own = manualClock();
    const pinned = fixedRate(1, { clock: own });
    pinned.useClock(processorClock);
    expect(pinned.tryAcquire()).toBe(0);
    processorClock.add(5000);
    expect(pinned.tryAcquire()).toBe(1000); // its own clock has not moved
  });

  it('keeps a pause across a change of clock', () => {
    const limiter = fixedRate(1);
    limiter.onRateLimited(60_000); // on the system clock
    const clock = manualClock();
    limiter.useClock(clock);
    const left = limiter.tryAcquire();
    expect(left).toBeGreaterThan(59_000);
    expect(left).toBeLessThanOrEqual(60_000);
    clock.add(left);
    expect(limiter.tryAcquire()).toBe(0);
  });

  it('says exactly what is wrong with its options', () => {
    expect(() => fixedRate(0)).toThrow(new TypeError('fixedRate: perSecond must be a positive number, got 0'));
    expect(() => fixedRate(-5)).toThrow('fixedRate: perSecond must be a positive number, got -5');
    expect(() => fixedRate(Number.NaN)).toThrow('fixedRate: perSecond must be a positive number, got NaN');
    expect(() => fixedRate('10' as unknown as number)).toThrow('fixedRate: perSecond must be a positive number, got "10"');
    expect(() => fixedRate(Infinity)).toThrow('fixedRate: perSecond must be finite (leave rateLimit out for no limit), got Infinity');
    expect(() => fixedRate(10, { burst: 0 })).toThrow('fixedRate: burst must be a whole number from 1 up, got 0');
    expect(() => fixedRate(10, { burst: 2.5 })).toThrow('fixedRate: burst must be a whole number from 1 up, got 2.5');
    expect(() => fixedRate(10, { burst: '5' as unknown as number })).toThrow('fixedRate: burst must be a whole number from 1 up, got "5"');
    expect(() => fixedRate(10, { clock: {} as Clock })).toThrow('fixedRate: clock must be a Clock (an object with now(), setTimeout() and clearTimeout()), got an object');
    expect(() => fixedRate(10, null as unknown as object)).toThrow('fixedRate: options must be an object such as { burst: 5 }, got null');
  });
});
