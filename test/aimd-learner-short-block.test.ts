// aimd(), the learning limiter (issue #21), against a fixed window of 1 s at 10 calls a second, the
// cell whose refusals depend on where in a window the run starts. Slow start runs the window out at
// 32 a second; the block that follows is probed from one permit's time at the rate before that last
// doubling (16 a second: 62 ms, not 31: a probe fewer), and when it ends, its ceiling is measured
// again over the successes since a round before its last refusal (the window that ran out opened
// after then), no longer counting the window before's tail too (16 for 10, and the next window ran
// out as well). Deterministic: the event-loop model of the bench's client (bench/ratelimit-loop.ts)
// on a fake clock with a fixed seed.
import { describe, expect, it } from 'vitest';
import { aimd } from '../src/policies/aimd.js';
import type { RateLimiter } from '../src/index.js';
import { RecentCount } from '../src/policies/aimd-round.js';
import { measure } from '../bench/ratelimit-sim.js';
import { simulateLoop } from '../bench/ratelimit-loop.js';

const START = 1_000_000;

interface Refusal {
  readonly at: number;
  /** The limiter's phase when the refusal came. */
  readonly phase: string;
}

/** A 20 s run against a fixed window of 1 s at `quota` a second, starting `offsetMs` into a window. */
function fixedWindowRun(offsetMs: number, quota = 10) {
  let now = START;
  const clock = { now: () => now, setTimeout: () => 0, clearTimeout: () => undefined };
  const limiter = aimd({ clock });
  const refusals: Refusal[] = [];
  /** The learned ceiling just after the first block ended. */
  let ceilingAfterBlock: number | undefined;
  let blocked = false;
  const traced: RateLimiter = {
    tryAcquire: () => limiter.tryAcquire(),
    onSuccess: () => {
      limiter.onSuccess();
      const s = limiter.snapshot();
      if (blocked && s.phase !== 'blocked' && ceilingAfterBlock === undefined) ceilingAfterBlock = s.estimate;
    },
    onRateLimited: (retryAfterMs?: number) => {
      const phase = limiter.snapshot().phase;
      refusals.push({ at: now - START, phase });
      const pause = limiter.onRateLimited(retryAfterMs);
      if (limiter.snapshot().phase === 'blocked') blocked = true;
      return pause;
    },
    onFailure: () => limiter.onFailure?.(),
    current: () => limiter.current(),
  };
  const outcome = simulateLoop({ shape: 'fixed-1s', quota, hint: 'none', limiter: traced, setNow: (ms) => (now = ms), start: START, runMs: 20_000, offsetMs, seed: 1 });
  return { goals: measure('fixed-1s', quota, outcome), refusals, ceilingAfterBlock };
}

describe('the learner against a fixed window of 1 s at 10 a second', () => {
  it('probes a block begun in slow start a permit apart at the rate before the last doubling (62 ms at 32 a second; it was 31)', () => {
    const { refusals } = fixedWindowRun(300);
    const firstBlocked = refusals.findIndex((r) => r.phase === 'blocked');
    expect(firstBlocked).toBeGreaterThan(0);
    const began = refusals[firstBlocked - 1] as Refusal;
    expect(began.phase).toBe('slow-start');
    expect((refusals[firstBlocked] as Refusal).at - began.at).toBeGreaterThanOrEqual(60);
  });

  it("measures the first block's ceiling from a round before its last refusal: 14 at most for the quota of 10 (it was 16: 15.97)", () => {
    const { ceilingAfterBlock } = fixedWindowRun(300);
    expect(ceilingAfterBlock).toBeDefined();
    expect(ceilingAfterBlock as number).toBeLessThanOrEqual(14);
    expect(ceilingAfterBlock as number).toBeGreaterThanOrEqual(10);
  });

  it('meets the goals at half of 60 starting phases, 5 % refused on average (it met 14, 6.9 % refused)', () => {
    let met = 0;
    let refused = 0;
    for (let i = 0; i < 60; i++) {
      const { goals } = fixedWindowRun(Math.round((i * 1000) / 60));
      if (goals.pass.all) met++;
      refused += goals.rejected;
    }
    expect(met).toBeGreaterThanOrEqual(28);
    expect(refused / 60).toBeLessThan(0.052);
  });

  it('still meets at 100 and 1,000 a second wherever the run starts (12 phases each)', () => {
    for (const quota of [100, 1000]) {
      for (let i = 0; i < 12; i++) expect(fixedWindowRun(Math.round((i * 1000) / 12), quota).goals.pass.all).toBe(true);
    }
  });
});

describe('RecentCount.countSince', () => {
  it('counts from a time up to two spans back, to the slot (a hundredth of the span)', () => {
    const recent = new RecentCount(1000);
    for (const t of [0, 400, 900, 1500, 1990]) recent.add(t);
    expect(recent.count(2000)).toBe(2); // 1500 and 1990: the last span
    expect(recent.countSince(905, 2000)).toBe(3); // 900's slot (900-909) counts
    expect(recent.countSince(0, 2000)).toBe(4); // 0 is past two spans
    expect(recent.countSince(3000, 2000)).toBe(0);
  });
});
