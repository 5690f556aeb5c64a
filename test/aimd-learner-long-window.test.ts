// aimd(), the learning limiter (issue #21), against a long fixed window with no retry hint: 100
// calls a window of 10 s (10 a second, the bench's scaled-down "minute"), the run starting 3 s
// into a window; callers take every permit the limiter gives, each millisecond, and the service
// answers at once. Once a block has outlasted a short window's, the learner knows the window is
// long: its next blocks begin after 2 rejections in a row and probe at gaps that double from the
// first, and once a cycle from one opening to the next has measured the window, it holds that rate
// 20 rounds before probing above it (each probe runs the window out: a block). Deterministic (a
// hand-moved clock).
import { describe, expect, it } from 'vitest';
import { aimd } from '../src/policies/aimd.js';
import { manualClock } from './support/aimd-workloads.js';

const WINDOW_MS = 10_000;
const PER_WINDOW = 100;
const OFFSET_MS = 3000;

/** Runs the window for `seconds`: the ms of each success and each rejection, from the start. */
function longWindow(seconds: number) {
  const clock = manualClock();
  const limiter = aimd({ clock });
  const okAt: number[] = [];
  const rejectedAt: number[] = [];
  let window = -1;
  let served = 0;
  for (let ms = 0; ms < seconds * 1000; ms++) {
    const w = Math.floor((ms + OFFSET_MS) / WINDOW_MS);
    if (w !== window) {
      window = w;
      served = 0;
    }
    while (limiter.tryAcquire() === 0) {
      if (served < PER_WINDOW) {
        served++;
        okAt.push(ms);
        limiter.onSuccess();
      } else {
        rejectedAt.push(ms);
        limiter.onRateLimited();
      }
    }
    clock.add(1);
  }
  return { okAt, rejectedAt };
}

/** Rejections less than 1.5 s apart: a block (the rejections that began it and its probes). */
function blocks(rejectedAt: readonly number[]): number[][] {
  const out: number[][] = [];
  for (const t of rejectedAt) {
    const last = out[out.length - 1];
    if (last !== undefined && t - (last[last.length - 1] as number) < 1500) last.push(t);
    else out.push([t]);
  }
  return out;
}

describe('the learner against a long fixed window with no hint (10 a second, windows of 10 s)', () => {
  it('a block after the first, once the window is known long, costs 2 rejections and a few probes (it cost 11)', () => {
    const found = blocks(longWindow(45).rejectedAt);
    expect(found.length).toBeGreaterThanOrEqual(2);
    // the first: slow start's overshoot at 128 a second, then probes every quarter second until it is a long window's
    expect(found[0]?.length).toBeGreaterThan(8);
    for (const block of found.slice(1)) expect(block.length).toBeLessThanOrEqual(6);
  });

  it('holds the rate a cycle from opening to opening measured: no probe runs a window out for 20 rounds after it', () => {
    const { okAt, rejectedAt } = longWindow(50);
    const found = blocks(rejectedAt);
    // the second block measures the first whole cycle (the first began with the run, 3 s into a window)
    const second = found[1] as number[];
    const measuredAt = second[second.length - 1] as number;
    expect(rejectedAt.filter((t) => t > measuredAt && t < measuredAt + 20_000)).toEqual([]);
    // while serving each window it holds to at least 90 % of its calls
    const opening = Math.ceil((measuredAt + OFFSET_MS) / WINDOW_MS) * WINDOW_MS - OFFSET_MS;
    expect(okAt.filter((t) => t >= opening && t < opening + WINDOW_MS).length).toBeGreaterThanOrEqual(0.9 * PER_WINDOW);
    expect(rejectedAt.length / (rejectedAt.length + okAt.length)).toBeLessThanOrEqual(0.05);
  });
});
