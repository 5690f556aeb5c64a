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

/** How many recent durations the service and wait figures are over. */
const SAMPLE = 512;

/**
 * The live ledger of one state: counts since the execution started, and per-second buckets of
 * the last few seconds (arrivals, completions, attempts started and failed, busy slot time, time
 * blocked on rate-limit permits), in one fixed typed array: recording allocates nothing. Every
 * method takes the time the engine read already.
 *
 * @example
 * ```ts
 * const meter = new StateMeter(0);
 * meter.arrive(0, true);
 * meter.started(5, 5);
 * meter.finished(105, 100, false);
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
  /** Attempts running now (start to outcome), integrated into BUSY_MS. */
  inFlight = 0;
  /** Whether ready jobs and a free slot wait for a rate-limit permit now, integrated into BLOCKED_MS. */
  blocked = false;
  /** All the time blocked, ms, and the attempts started. */
  blockedMs = 0;
  starts = 0;
  readonly #startAt: number;
  readonly #buckets = new Float64Array(BUCKETS * SLOTS);
  /** The counters (arrivals, completions, starts, failures, rate-limited) as the current second began. */
  readonly #base = new Float64Array(5);
  /** Attempts that failed (threw, timed out), all the execution. */
  #failures = 0;
  /** The second (since the start) the current bucket holds, and when busy and blocked time were last integrated. */
  #second = 0;
  /** The current bucket's time span [start, end) and its row in #buckets: the hot path's test is two comparisons. */
  #secondStart: number;
  #secondEnd: number;
  #row = 0;
  #integratedAt: number;

  constructor(startAt: number) {
    this.#startAt = startAt;
    this.#integratedAt = startAt;
    this.#secondStart = startAt;
    this.#secondEnd = startAt + 1000;
  }

  arrive(at: number, first: boolean): void {
    if (at >= this.#secondEnd) this.#roll(at);
    this.arrivals++;
    if (first) this.firstVisits++;
  }

  /** An attempt starts, after `waitMs` in the queue. */
  started(at: number, waitMs: number): void {
    this.#integrate(at);
    this.inFlight++;
    this.starts++;
    this.wait.add(waitMs);
  }

  /** An attempt's outcome is known, `serviceMs` after it started (`failed`: it threw or timed out). */
  finished(at: number, serviceMs: number, failed: boolean): void {
    this.#integrate(at);
    if (this.inFlight > 0) this.inFlight--;
    this.service.add(serviceMs);
    if (failed) this.#failures++;
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
    this.#integrate(at);
    this.blocked = blocked;
  }

  /** Sums of the window (the last WINDOW_S seconds and the current one, up to `at`), and the ms it covers. */
  window(at: number): WindowFigures {
    this.#integrate(at);
    this.#roll(at);
    this.#writeCounts();
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

  /**
   * Writes the counts of the current second into its row: what the counters gained since it began.
   * The hot path only counts; the rows are written as a second is left and when the window is read.
   */
  #writeCounts(): void {
    const b = this.#buckets;
    const row = this.#row;
    const base = this.#base;
    b[row + ARRIVALS] = this.arrivals - (base[0] as number);
    b[row + COMPLETIONS] = this.completions - (base[1] as number);
    b[row + STARTS] = this.starts - (base[2] as number);
    b[row + FAILURES] = this.#failures - (base[3] as number);
    b[row + RATE_LIMITED] = this.rateLimited - (base[4] as number);
  }

  /** Moves the current bucket to the second of `at`, clearing the seconds passed; returns that second, or -1 when it is out of the window. */
  #roll(at: number): number {
    const second = Math.floor((at - this.#startAt) / 1000);
    if (second <= this.#second) return second > this.#second - BUCKETS && second >= 0 ? second : -1;
    // Every count so far was of the second being left (events come in time order): close its row.
    this.#writeCounts();
    const base = this.#base;
    base[0] = this.arrivals;
    base[1] = this.completions;
    base[2] = this.starts;
    base[3] = this.#failures;
    base[4] = this.rateLimited;
    const b = this.#buckets;
    const from = Math.max(this.#second + 1, second - BUCKETS + 1);
    for (let s = from; s <= second; s++) b.fill(0, (s % BUCKETS) * SLOTS, (s % BUCKETS) * SLOTS + SLOTS);
    this.#second = second;
    this.#secondStart = this.#startAt + second * 1000;
    this.#secondEnd = this.#secondStart + 1000;
    this.#row = (second % BUCKETS) * SLOTS;
    return second;
  }

  /** Adds busy slot time and blocked time up to `at`, second by second. */
  #integrate(at: number): void {
    let from = this.#integratedAt;
    if (at <= from) return;
    this.#integratedAt = at;
    if (from >= this.#secondStart && at < this.#secondEnd) {
      // the common case: within the current second
      const b = this.#buckets;
      if (this.inFlight > 0) b[this.#row + BUSY_MS]! += this.inFlight * (at - from);
      if (this.blocked) {
        b[this.#row + BLOCKED_MS]! += at - from;
        this.blockedMs += at - from;
      }
      return;
    }
    if (this.inFlight === 0 && !this.blocked) {
      this.#roll(at);
      return;
    }
    if (this.blocked) this.blockedMs += at - from;
    from = Math.max(from, at - BUCKETS * 1000);
    while (from < at) {
      const second = Math.floor((from - this.#startAt) / 1000);
      const end = Math.min(at, this.#startAt + (second + 1) * 1000);
      const s = this.#roll(from);
      if (s >= 0) {
        const row = (s % BUCKETS) * SLOTS;
        const b = this.#buckets;
        b[row + BUSY_MS]! += this.inFlight * (end - from);
        if (this.blocked) b[row + BLOCKED_MS]! += end - from;
      }
      from = end;
    }
    this.#roll(at);
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
