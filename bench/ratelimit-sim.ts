// The ratelimit workload's goals, measured the same way on a real server (bench/ratelimit.ts) and
// in simulated time (test/aimd-shapes.test.ts, with `simulate` below standing in for the engine).
import type { RateLimiter } from '../src/index.js';
import { hintedWait, makeService } from './ratelimit-shapes.js';
import type { Hint, ShapeName, ShapeSettings } from './ratelimit-shapes.js';

/** Issue #21's goals. */
export const TARGET_SECONDS_TO_90 = 10;
export const TARGET_GOODPUT = 0.9;
export const TARGET_REJECTED = 0.05;

/** What a run saw from the client's side. */
export interface Outcome {
  /** ms from the start of the run of each success, in order. */
  readonly successes: readonly number[];
  readonly rejected: number;
  readonly runMs: number;
}

/** The three goals' figures for a run. */
export interface Goals {
  /**
   * Seconds from each rise of the quota (the start; for halve-double also the doubling) until the
   * successes of the last second first reach 90 % of it; the worst of them; null if never.
   */
  readonly secondsTo90: number | null;
  /** Successes over the second half of each phase of the quota, over what the quota allowed then. */
  readonly goodput: number;
  /** Rejected calls over all calls. */
  readonly rejected: number;
  readonly pass: { readonly to90: boolean; readonly goodput: boolean; readonly rejected: boolean; readonly all: boolean };
}

/** The phases of a shape's quota over a run: [start, end, requests a second], in ms from the start. */
export function phases(shape: ShapeName, quota: number, runMs: number): [number, number, number][] {
  if (shape !== 'halve-double') return [[0, runMs, quota]];
  const third = runMs / 3;
  return [
    [0, third, quota],
    [third, 2 * third, quota / 2],
    [2 * third, runMs, quota],
  ];
}

/** The first time (ms) from `from` at which the successes within the last second reach `need`; null if never. */
export function msToReach(successes: readonly number[], from: number, need: number): number | null {
  let lo = lowerBound(successes, from);
  for (let i = lo; i < successes.length; i++) {
    const t = successes[i] as number;
    while ((successes[lo] as number) <= t - 1000) lo++;
    if (i - lo + 1 >= need) return t - from;
  }
  return null;
}

function lowerBound(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((xs[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Measures a run against the goals. `quota` as the shape has it (a concurrency cap's k / latency). */
export function measure(shape: ShapeName, quota: number, outcome: Outcome): Goals {
  const { successes, rejected, runMs } = outcome;
  const ps = phases(shape, quota, runMs);
  let worst: number | null = 0;
  let served = 0;
  let allowed = 0;
  for (const [start, end, q] of ps) {
    if (start === 0 || q > (ps[0]?.[2] ?? q) / 2) {
      const ms = msToReach(successes, start, 0.9 * q);
      worst = worst === null || ms === null || ms > end - start ? null : Math.max(worst, ms / 1000);
    }
    const half = (start + end) / 2;
    served += lowerBound(successes, end) - lowerBound(successes, half);
    allowed += ((end - half) * q) / 1000;
  }
  const goodput = served / allowed;
  const share = rejected / Math.max(1, rejected + successes.length);
  const pass = { to90: worst !== null && worst <= TARGET_SECONDS_TO_90, goodput: goodput >= TARGET_GOODPUT, rejected: share <= TARGET_REJECTED };
  return { secondsTo90: worst, goodput, rejected: share, pass: { ...pass, all: pass.to90 && pass.goodput && pass.rejected } };
}

/** A clock the simulation moves by hand, synchronously. */
export interface SimClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface SimSettings extends Omit<ShapeSettings, 'start'> {
  readonly hint: Hint;
  /** The limiter under test, made on `clock`. */
  readonly limiter: RateLimiter;
  /** The clock the limiter was made with; the simulation sets it. */
  readonly setNow: (ms: number) => void;
  readonly start: number;
  /** Attempts in flight at most (the state's concurrency). @defaultValue 256 */
  readonly concurrency?: number;
  /** Round trip of a request the service answers at once, ms. @defaultValue 1 */
  readonly rttMs?: number;
}

/**
 * Runs a state against a modelled service in 1 ms steps, as the engine does: each step delivers
 * the responses due (telling the limiter, and pausing the state as the engine does: for what the
 * limiter's onRateLimited returns, else for the rejection's wait), then starts attempts while a slot is free, the state is not paused and the
 * limiter gives a permit. Callers always have work.
 */
export function simulate(s: SimSettings): Outcome {
  const service = makeService(s);
  const concurrency = s.concurrency ?? 256;
  const rtt = s.rttMs ?? 1;
  const latency = Math.max(rtt, service.latencyMs);
  // responses due, by ms: a ring of lists long enough for the longest latency
  const ringSize = latency + 2;
  const due: { ok: boolean; wait: number | undefined }[][] = Array.from({ length: ringSize }, () => []);
  const successes: number[] = [];
  let rejected = 0;
  let inFlight = 0;
  let pausedUntil = 0;
  for (let ms = 0; ms < s.runMs; ms++) {
    const now = s.start + ms;
    s.setNow(now);
    const slot = due[ms % ringSize] as { ok: boolean; wait: number | undefined }[];
    for (const r of slot) {
      inFlight--;
      if (r.ok) {
        service.finished(now);
        successes.push(ms);
        s.limiter.onSuccess();
      } else {
        rejected++;
        const pause = enginePause(s.limiter.onRateLimited(r.wait), r.wait);
        if (pause > 0) pausedUntil = Math.max(pausedUntil, now + pause);
      }
    }
    slot.length = 0;
    while (inFlight < concurrency && now >= pausedUntil && s.limiter.tryAcquire() === 0) {
      const a = service.admit(now);
      inFlight++;
      const ok = a.status === 200;
      const at = ms + (ok ? latency : rtt);
      (due[at % ringSize] as { ok: boolean; wait: number | undefined }[]).push({ ok, wait: ok ? undefined : hintedWait(s.hint, a.waitMs) });
    }
  }
  return { successes, rejected, runMs: s.runMs };
}

/**
 * How long the engine pauses the state after a rejection (src/engine/execution.ts, `#rateLimited`):
 * what the limiter's onRateLimited returned when that is a finite number >= 0, else the wait the
 * service gave, else none (the state has a limiter to slow it).
 */
export function enginePause(decided: number | void, waitMs: number | undefined): number {
  if (typeof decided === 'number' && Number.isFinite(decided) && decided >= 0) return decided;
  return waitMs ?? 0;
}
