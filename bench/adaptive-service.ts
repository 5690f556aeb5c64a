// The service of issue #21's adaptive-concurrency goals, and how a run against it is judged: shared
// by the bench (bench/adaptive.ts, a real HTTP server hosting it) and the fake-clock tests
// (test/adaptive-scenarios.test.ts), so both measure the same thing the same way.
//
// The service answers each call after `baseMs` while at most `knee` calls are in flight, and after
// baseMs × (n / knee)² when the call makes n in flight beyond that: throughput n / latency peaks
// at n = knee and falls beyond it (at 12 in flight it is 67 % of the peak, with 2.25× the latency).
// Each latency is scaled by a seeded jitter of ±jitter. During a burst it answers every call
// with a 503 after `failMs`.
import { prng } from '../scripts/prng.js';

/** The service's settings. */
export interface KneeServiceSettings {
  /** Calls in flight beyond which latency climbs. */
  readonly knee: number;
  /** The latency at or below the knee, ms. */
  readonly baseMs: number;
  /** Each latency is scaled by a uniform factor in [1 − jitter, 1 + jitter]. */
  readonly jitter: number;
  readonly seed: number;
  /** Bursts of 503s: [from, to) in ms since the service started. */
  readonly bursts: readonly (readonly [number, number])[];
  /** How fast a 503 comes back, ms. */
  readonly failMs: number;
}

export const DEFAULT_SERVICE: KneeServiceSettings = { knee: 8, baseMs: 50, jitter: 0.05, seed: 42, bursts: [], failMs: 5 };

/** What one call gets: after how long, and whether it is a 503. */
export interface Admission {
  readonly status: 200 | 503;
  readonly latencyMs: number;
}

/** The service's state, on the caller's time base (ms since it started). */
export class KneeService {
  readonly settings: KneeServiceSettings;
  inFlight = 0;
  readonly #random: () => number;

  constructor(settings: KneeServiceSettings) {
    this.settings = settings;
    this.#random = prng(settings.seed);
  }

  /** A call arrives at `t` (ms since the start): how it will be answered. Call `finished()` when it is. */
  admit(t: number): Admission {
    const { knee, baseMs, jitter, bursts, failMs } = this.settings;
    this.inFlight++;
    if (bursts.some(([from, to]) => t >= from && t < to)) return { status: 503, latencyMs: failMs };
    const n = this.inFlight;
    const scale = 1 + jitter * (2 * this.#random() - 1);
    return { status: 200, latencyMs: baseMs * Math.max(1, (n / knee) ** 2) * scale };
  }

  finished(): void {
    this.inFlight--;
  }
}

/** What a run recorded, on the caller's side: each success (when it came back, how long it took) and the limit over time. */
export interface Recorded {
  /** ms since the start at which each success arrived. */
  readonly doneAt: number[];
  /** Each success's latency, ms, in the same order. */
  readonly latencyMs: number[];
  /** The concurrency limit sampled every `sampleMs` (the fixed concurrency for a fixed run). */
  readonly limits: number[];
  readonly sampleMs: number;
  rejected: number;
}

export function recorder(sampleMs: number): Recorded {
  return { doneAt: [], latencyMs: [], limits: [], sampleMs, rejected: 0 };
}

/** The goals (issue #21). */
export const SETTLE_BAND: readonly [number, number] = [6, 12];
export const SETTLE_WITHIN_MS = 30_000;
export const THROUGHPUT_SHARE = 0.9;
export const P95_FACTOR = 2;
export const DROP_WITHIN_MS = 2_000;
export const RECOVER_WITHIN_MS = 30_000;

/** Successes a second over [fromMs, toMs). */
export function throughput(r: Recorded, fromMs: number, toMs: number): number {
  let n = 0;
  for (const t of r.doneAt) if (t >= fromMs && t < toMs) n++;
  return (n * 1000) / (toMs - fromMs);
}

/** The p-th percentile (0–100) of the latencies of successes that came back in [fromMs, toMs). */
export function latencyPercentile(r: Recorded, p: number, fromMs: number, toMs: number): number {
  const xs: number[] = [];
  r.doneAt.forEach((t, i) => {
    if (t >= fromMs && t < toMs) xs.push(r.latencyMs[i] as number);
  });
  xs.sort((a, b) => a - b);
  if (xs.length === 0) return NaN;
  return xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] as number;
}

/** The limit sampled at time t (ms). */
export function limitAt(r: Recorded, t: number): number {
  return r.limits[Math.min(r.limits.length - 1, Math.max(0, Math.floor(t / r.sampleMs)))] as number;
}

/**
 * When the limit settled in the band: the earliest sample time at or after `fromMs` from which
 * every sample up to `toMs` lies in it; undefined when it never did.
 */
export function settledAt(r: Recorded, toMs: number, fromMs = 0, band: readonly [number, number] = SETTLE_BAND): number | undefined {
  const last = Math.min(r.limits.length, Math.floor(toMs / r.sampleMs));
  let from: number | undefined;
  for (let i = Math.floor(fromMs / r.sampleMs); i < last; i++) {
    const x = r.limits[i] as number;
    const inside = x >= band[0] && x <= band[1];
    if (!inside) from = undefined;
    else if (from === undefined) from = i * r.sampleMs;
  }
  return from;
}

/** The lowest limit sampled in [fromMs, toMs]. */
export function lowestLimit(r: Recorded, fromMs: number, toMs: number): number {
  let low = Infinity;
  for (let t = fromMs; t <= toMs; t += r.sampleMs) low = Math.min(low, limitAt(r, t));
  return low;
}

