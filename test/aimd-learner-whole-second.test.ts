// aimd(), the learning limiter (issue #21), against a long fixed window that answers with
// whole-second `Retry-After` (the bench's scaled-down "minute": windows of 10 s, the quota a
// window 10 s of it). Deciding the pause, the learner takes `Retry-After: N` as "the window opens
// N - 1 to N s from now": a block begun at that rejection, paused N - 1 s, then probed a quarter
// second apart until the window opens; its end measures the window's cycle. It used to back off,
// pause, and then, the window not open yet, take the `Retry-After: 1` refusals after the pause for a
// block begun there, measuring its ceiling from the second just spent paused: next to nothing, the
// rate down to 1 a second for the rest of the run (the bench's per-minute window at 1,000/s with
// whole-second hints, 50 % goodput). Deterministic: a hand-moved clock, and the event-loop model of
// the bench's client (bench/ratelimit-loop.ts) with fixed seeds.
import { describe, expect, it } from 'vitest';
import { aimd } from '../src/policies/aimd.js';
import { measure } from '../bench/ratelimit-sim.js';
import { simulateLoop } from '../bench/ratelimit-loop.js';
import { LONG_WINDOW_MS as WINDOW_MS, longFixedWindow } from './support/aimd-workloads.js';


/** The window allowing `perWindow` calls, the run starting `offsetMs` into one, refusals answered with whole-second waits. */
function wholeSecondWindow(seconds: number, perWindow: number, offsetMs: number) {
  return longFixedWindow(seconds, perWindow, offsetMs, 'seconds');
}

/** The bench's cell on the event-loop model: 1,000 a second, a 40 s run starting `offsetMs` into a window. */
function loopCell(offsetMs: number, seed: number, quota = 1000) {
  const start = 1_000_000;
  let now = start;
  const clock = { now: () => now, setTimeout: () => 0, clearTimeout: () => undefined };
  const outcome = simulateLoop({
    shape: 'fixed-60s',
    quota,
    hint: 'seconds',
    limiter: aimd({ clock }),
    setNow: (ms) => (now = ms),
    start,
    runMs: 40_000,
    longWindowMs: WINDOW_MS,
    offsetMs,
    seed,
  });
  return measure('fixed-60s', quota, outcome);
}

describe('the learner against a long fixed window with whole-second Retry-After', () => {
  // windows open at 7.5 s, 17.5 s, 27.5 s and 37.5 s; the pause after a window runs out ends within
  // the last second before one opens (the run began 2.5 s into a window)
  it('at 1,000 a second, a block begun by a whole-second pause keeps the rate: every window after the first is served (it fell to 1 a second, and served none)', () => {
    const { okAt } = wholeSecondWindow(50, 10_000, 2500);
    for (const opens of [17_500, 27_500, 37_500]) {
      expect(okAt.filter((t) => t >= opens && t < opens + WINDOW_MS).length).toBeGreaterThanOrEqual(9500);
    }
  });

  it('on the event-loop model of the bench, at 1,000 a second, meets the goals wherever in a window the run starts (2.5-3.5 s in: it served 0-50 %)', () => {
    for (const offset of [2500, 2750, 3000, 3250, 3500]) {
      for (const seed of [1, 2]) {
        const g = loopCell(offset, seed);
        expect(g.pass, `offset ${offset}, seed ${seed}: ${JSON.stringify({ goodput: g.goodput, rejected: g.rejected })}`).toEqual({ to90: true, goodput: true, rejected: true, all: true });
      }
    }
  });

  it('at 10 a second, a window that runs out costs its whole-second refusal and at most 4 probes a quarter second apart (not 2 more at the rate, then probes from 25 ms)', () => {
    const { okAt, rejectedAt } = wholeSecondWindow(60, 100, 3000);
    // refusals less than 2.5 s apart are one block
    const blocks: number[][] = [];
    for (const t of rejectedAt) {
      const last = blocks[blocks.length - 1];
      if (last !== undefined && t - (last[last.length - 1] as number) < 2500) last.push(t);
      else blocks.push([t]);
    }
    // the first is slow start's, after the window before the run's first opening ran out
    for (const block of blocks.slice(1)) expect(block.length).toBeLessThanOrEqual(5);
    expect(rejectedAt.length / (rejectedAt.length + okAt.length)).toBeLessThanOrEqual(0.03);
  });
});
