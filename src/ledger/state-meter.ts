// The live figures of one state, kept by the engine as attempts run; not part of the public API.
import { RecentDurations } from './duration-sample.js';

/** Seconds of the sliding window rates, shares and utilisation are measured over. */
export const WINDOW_S = 5;
/** One bucket per second of the window, and the second being filled. */
const BUCKETS = WINDOW_S + 1;

/** What each one-second bucket counts (one slot of the bucket's row each). */
const ARRIVALS = 0;
const COMPLETIONS = 1;
const STARTS = 2;
const FAILURES = 3;
const BUSY_MS = 4;
const BLOCKED_MS = 5;
const RATE_LIMITED = 6;
const SLOTS = 7;

/** Where each time sum sits in StateMeter's #t. */
const BUSY_DONE = 0;
const RUNNING_STARTS = 1;
const BLOCKED_DONE = 2;
const BLOCKED_SINCE = 3;
const BUSY_BASE = 4;
const BLOCKED_BASE = 5;

/** How many recent durations the service and wait figures are over. */
const SAMPLE = 512;

/**
 * How many attempts a second the ledger times (reads the clock at their start and end): all of
 * them up to TIMED_PER_S_HIGH; above that one in k (a power of 2, at most MAX_TIMED_EVERY), set
 * as each second is left from the attempts it started, and raised within a second every
 * TIMING_CHECK timed attempts when they start faster than TIMED_PER_S_HIGH. TIMING_CHECK is
 * small so that a state starting a hundred thousand attempts a second reaches its k within a few
 * thousand: the engine's hot code is compiled early, and compiled with the timed path inlined
 * while every attempt is timed.
 */
const TIMED_PER_S_HIGH = 1000;
const TIMED_PER_S_TARGET = 500;
const TIMING_CHECK = 16;
const MAX_TIMED_EVERY = 4096;

/**
 * The live ledger of one state: counts since the execution started, and per-second buckets of
 * the last few seconds (arrivals, completions, attempts started and failed, busy slot time, time
 * blocked on rate-limit permits), in one fixed typed array: recording allocates nothing. Every
 * method takes the time the engine read already.
 *
 * Counts are exact. Time is measured (the clock read at an attempt's start and end) on every
 * attempt while a state starts fewer than about a thousand a second, and on one in `k` above
 * that (k a power of 2, so that some 500 to 1,000 attempts a second are timed): service and wait
 * figures are then over that systematic sample, and busy time counts each timed attempt k times.
 * At a hundred thousand attempts a second, reading the clock and keeping the sums for every
 * attempt costs a few per cent of the engine's throughput; a sample of a thousand a second gives
 * the same figures.
 *
 * @example
 * ```ts
 * const attempts = { started: 0 };
 * const meter = new StateMeter(0, attempts);
 * meter.arrive(0, true);
 * // The engine times an attempt whose number has the mask's bits clear (all of them while the mask is 0).
 * const weight = (attempts.started & meter.timingMask) === 0 ? meter.timingMask + 1 : 0; // 1
 * attempts.started++;
 * meter.started(5, 5, weight);
 * meter.finished(105, 100, weight);
 * meter.completed(105);
 * meter.window(1000).completions; // 1
 * ```
 * @internal
 */
export class StateMeter {
  readonly service = new RecentDurations(SAMPLE);
  readonly wait = new RecentDurations(SAMPLE);
  arrivals = 0;
  completions = 0;
  /** Jobs that visited the state for the first time (by their history). */
  firstVisits = 0;
  errors = 0;
  retries = 0;
  timeouts = 0;
  rateLimited = 0;
  /** Timed attempts running now, each counted as the attempts it stands for (start to outcome). */
  #inFlight = 0;
  /** Whether ready jobs and a free slot wait for a rate-limit permit now. */
  blocked = false;
  /** Attempts started: the engine's count (the state's pool), which the meter reads. */
  readonly #attempts: { readonly started: number };
  /**
   * One attempt in #every is timed: the engine times the attempts whose number (counted from 0)
   * has the bits of `timingMask` (#every − 1) clear, and each stands for #every attempts.
   */
  #every = 1;
  timingMask = 0;
  /** Timed starts since the last look at their pace, and the time of that look. */
  #timedSinceCheck = 0;
  #checkedAt: number;
  readonly #startAt: number;
  readonly #buckets = new Float64Array(BUCKETS * SLOTS);
  /** The counters (arrivals, completions, starts, failures, rate-limited) as the current second began. */
  readonly #base = new Float64Array(5);
  /** Attempts that failed (threw, timed out), all the execution. */
  #failures = 0;
  /**
   * Busy slot time without integrating it at every event: all of it up to t (ms since the start)
   * is BUSY_DONE + #inFlight × t − RUNNING_STARTS, the service time of the attempts that finished
   * plus the time so far of those running (the sum of their start times). Blocked time likewise
   * (BLOCKED_DONE, BLOCKED_SINCE), and both up to the start of the current second (BUSY_BASE,
   * BLOCKED_BASE). In a typed array: a field that holds a small integer and later a larger or
   * fractional number changes the meter's hidden class, which throws away the engine's compiled
   * code that counts into the meter.
   */
  readonly #t = new Float64Array(6);
  /** The second (since the start) the current bucket holds. */
  #second = 0;
  /** The current bucket's end, and its row in #buckets: the hot path's test is one comparison. */
  #secondEnd: number;
  #row = 0;

  constructor(startAt: number, attempts: { readonly started: number } = { started: 0 }) {
    this.#attempts = attempts;
    this.#startAt = startAt;
    this.#secondEnd = startAt + 1000;
    this.#checkedAt = startAt;
  }

  arrive(at: number, first: boolean): void {
    if (at >= this.#secondEnd) this.#roll(at);
    this.arrivals++;
    if (first) this.firstVisits++;
  }

  /** Attempts started. */
  get starts(): number {
    return this.#attempts.started;
  }

  /** A timed attempt starts at `at`, after `waitMs` in the queue, standing for `weight` attempts. */
  started(at: number, waitMs: number, weight: number): void {
    if (at >= this.#secondEnd) this.#roll(at);
    this.#inFlight += weight;
    this.#t[RUNNING_STARTS] = (this.#t[RUNNING_STARTS] as number) + weight * (at - this.#startAt);
    this.wait.add(waitMs, weight);
    if (++this.#timedSinceCheck === TIMING_CHECK) this.#pace(at);
  }

  /** A timed attempt's outcome is known at `at`, `serviceMs` after it started. */
  finished(at: number, serviceMs: number, weight: number): void {
    if (at >= this.#secondEnd) this.#roll(at);
    if (this.#inFlight >= weight) {
      this.#inFlight -= weight;
      this.#t[RUNNING_STARTS] = (this.#t[RUNNING_STARTS] as number) - weight * (at - serviceMs - this.#startAt);
      this.#t[BUSY_DONE] = (this.#t[BUSY_DONE] as number) + weight * serviceMs;
    }
    this.service.add(serviceMs, weight);
  }

  /** An attempt (timed or not) threw or timed out, at `at`. */
  failed(at: number): void {
    if (at >= this.#secondEnd) this.#roll(at);
    this.#failures++;
  }

  /** A transition out of the state (or back into it) was applied. */
  completed(at: number): void {
    if (at >= this.#secondEnd) this.#roll(at);
    this.completions++;
  }

  bounced(at: number): void {
    if (at >= this.#secondEnd) this.#roll(at);
    this.rateLimited++;
  }

  /** Whether the state waits for a permit now (ready jobs, a free slot, no permit). */
  setBlocked(at: number, blocked: boolean): void {
    if (blocked === this.blocked) return;
    if (at >= this.#secondEnd) this.#roll(at);
    const t = at - this.#startAt;
    if (blocked) this.#t[BLOCKED_SINCE] = t;
    else this.#t[BLOCKED_DONE] = (this.#t[BLOCKED_DONE] as number) + t - (this.#t[BLOCKED_SINCE] as number);
    this.blocked = blocked;
  }

  /** All the time blocked on permits up to `at`, ms. */
  blockedMs(at: number): number {
    return this.#blockedUntil(Math.max(0, at - this.#startAt));
  }

  /** Sums of the window (the last WINDOW_S seconds and the current one, up to `at`), and the ms it covers. */
  window(at: number): WindowFigures {
    this.#roll(at);
    this.#writeRow(Math.max(this.#second * 1000, at - this.#startAt));
    const b = this.#buckets;
    let arrivals = 0;
    let completions = 0;
    let starts = 0;
    let failures = 0;
    let busyMs = 0;
    let blockedMs = 0;
    let rateLimited = 0;
    for (let i = 0; i < BUCKETS; i++) {
      const row = i * SLOTS;
      arrivals += b[row + ARRIVALS] as number;
      completions += b[row + COMPLETIONS] as number;
      starts += b[row + STARTS] as number;
      failures += b[row + FAILURES] as number;
      busyMs += b[row + BUSY_MS] as number;
      blockedMs += b[row + BLOCKED_MS] as number;
      rateLimited += b[row + RATE_LIMITED] as number;
    }
    const elapsed = Math.max(0, at - this.#startAt);
    const spanMs = Math.min(elapsed, WINDOW_S * 1000 + (elapsed % 1000));
    return { spanMs, arrivals, completions, starts, failures, busyMs, blockedMs, rateLimited };
  }

  #busyUntil(t: number): number {
    return (this.#t[BUSY_DONE] as number) + this.#inFlight * t - (this.#t[RUNNING_STARTS] as number);
  }

  /** Within a second: times fewer attempts when the last TIMING_CHECK timed ones started faster than TIMED_PER_S_HIGH a second. */
  #pace(at: number): void {
    const perSecond = (TIMING_CHECK * 1000) / Math.max(1, at - this.#checkedAt);
    if (perSecond > 4 * TIMED_PER_S_HIGH) this.#timeOneIn(this.#every * 4);
    else if (perSecond > TIMED_PER_S_HIGH) this.#timeOneIn(this.#every * 2);
    this.#timedSinceCheck = 0;
    this.#checkedAt = at;
  }

  /** As a second is left: times one attempt in k of the next, from the `starts` of the second left. */
  #retime(starts: number): void {
    let every = 1;
    if (starts > TIMED_PER_S_HIGH) while (every * 2 * TIMED_PER_S_TARGET <= starts) every *= 2;
    this.#timeOneIn(every);
  }

  #timeOneIn(every: number): void {
    this.#every = Math.min(MAX_TIMED_EVERY, every);
    this.timingMask = this.#every - 1;
  }

  #blockedUntil(t: number): number {
    return (this.#t[BLOCKED_DONE] as number) + (this.blocked ? t - (this.#t[BLOCKED_SINCE] as number) : 0);
  }

  /**
   * Writes the current second's row up to t (ms since the start): what the counters and the busy
   * and blocked time gained since it began. The hot path only counts; rows are written as a second
   * is left and when the window is read.
   */
  #writeRow(t: number): void {
    const b = this.#buckets;
    const row = this.#row;
    const base = this.#base;
    b[row + ARRIVALS] = this.arrivals - (base[0] as number);
    b[row + COMPLETIONS] = this.completions - (base[1] as number);
    b[row + STARTS] = this.starts - (base[2] as number);
    b[row + FAILURES] = this.#failures - (base[3] as number);
    b[row + RATE_LIMITED] = this.rateLimited - (base[4] as number);
    b[row + BUSY_MS] = this.#busyUntil(t) - (this.#t[BUSY_BASE] as number);
    b[row + BLOCKED_MS] = this.#blockedUntil(t) - (this.#t[BLOCKED_BASE] as number);
  }

  /** Moves the current bucket to the second of `at`, closing the one left and filling the seconds passed with no event. */
  #roll(at: number): void {
    const second = Math.floor((at - this.#startAt) / 1000);
    if (second <= this.#second) return;
    // Every event so far was of the second being left or earlier (events come in time order): close its row.
    this.#writeRow((this.#second + 1) * 1000);
    const base = this.#base;
    this.#retime(this.starts - (base[2] as number));
    base[0] = this.arrivals;
    base[1] = this.completions;
    base[2] = this.starts;
    base[3] = this.#failures;
    base[4] = this.rateLimited;
    // The seconds between had no event: as many in flight, and as blocked, all through them.
    const b = this.#buckets;
    const from = Math.max(this.#second + 1, second - BUCKETS + 1);
    for (let s = from; s <= second; s++) {
      const row = (s % BUCKETS) * SLOTS;
      b.fill(0, row, row + SLOTS);
      if (s < second) {
        b[row + BUSY_MS] = this.#inFlight * 1000;
        b[row + BLOCKED_MS] = this.blocked ? 1000 : 0;
      }
    }
    this.#second = second;
    this.#secondEnd = this.#startAt + (second + 1) * 1000;
    this.#row = (second % BUCKETS) * SLOTS;
    this.#t[BUSY_BASE] = this.#busyUntil(second * 1000);
    this.#t[BLOCKED_BASE] = this.#blockedUntil(second * 1000);
  }
}

/** The sums of a state's window. */
export interface WindowFigures {
  readonly spanMs: number;
  readonly arrivals: number;
  readonly completions: number;
  readonly starts: number;
  readonly failures: number;
  readonly busyMs: number;
  readonly blockedMs: number;
  readonly rateLimited: number;
}
