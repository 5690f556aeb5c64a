// Bounded samples of durations, and the figures the ledger shows of them; not part of the public API.
import type { DurationFigures } from './run-ledger.js';

/**
 * The most recent `size` durations, in a fixed ring (constant memory, nothing allocated per
 * sample), with the sum and count of every duration since it was made. Figures are computed on
 * demand (a copy of the ring, sorted): exact quantiles over the recent sample.
 *
 * @example
 * ```ts
 * const service = new RecentDurations(512);
 * service.add(101);
 * service.figures(); // { mean: 101, p50: 101, p95: 101, count: 1, total: 1, sumMs: 101 }
 * ```
 * @internal
 */
export class RecentDurations {
  readonly #ring: Float64Array;
  #next = 0;
  #filled = 0;
  /** Every duration added, and their sum (ms). */
  total = 0;
  sum = 0;

  constructor(size: number) {
    this.#ring = new Float64Array(size);
  }

  /** A duration, standing for `weight` durations in the total and the sum (one timed in `weight`). */
  add(ms: number, weight = 1): void {
    const ring = this.#ring;
    ring[this.#next] = ms;
    this.#next = this.#next + 1 === ring.length ? 0 : this.#next + 1;
    if (this.#filled < ring.length) this.#filled++;
    this.total += weight;
    this.sum += ms * weight;
  }

  figures(): DurationFigures | undefined {
    if (this.#filled === 0) return undefined;
    return { ...figuresOf(this.#ring.slice(0, this.#filled)), total: this.total, sumMs: this.sum };
  }
}

/**
 * A uniform sample of at most `size` durations out of any number (Vitter's algorithm R), drawn
 * with a seeded generator so the same durations give the same figures; the sum and count cover
 * all of them. For a run's histories, which come in no time order.
 *
 * @internal
 */
export class SampledDurations {
  readonly #sample: Float64Array;
  #seed: number;
  total = 0;
  sum = 0;

  constructor(size: number, seed = 1) {
    this.#sample = new Float64Array(size);
    this.#seed = seed;
  }

  add(ms: number): void {
    const sample = this.#sample;
    this.total++;
    this.sum += ms;
    if (this.total <= sample.length) {
      sample[this.total - 1] = ms;
      return;
    }
    this.#seed = (this.#seed * 16807) % 2147483647;
    const j = Math.floor(((this.#seed - 1) / 2147483646) * this.total);
    if (j < sample.length) sample[j] = ms;
  }

  figures(): DurationFigures | undefined {
    if (this.total === 0) return undefined;
    const kept = this.#sample.slice(0, Math.min(this.total, this.#sample.length));
    return { ...figuresOf(kept), mean: this.sum / this.total, total: this.total, sumMs: this.sum };
  }
}

/** Mean, median and 95th percentile (nearest rank) of a non-empty set of durations; sorts `values`. */
function figuresOf(values: Float64Array): { mean: number; p50: number; p95: number; count: number } {
  values.sort();
  let sum = 0;
  for (const v of values) sum += v;
  const n = values.length;
  const rank = (q: number) => values[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))] as number;
  return { mean: sum / n, p50: rank(0.5), p95: rank(0.95), count: n };
}
