import { systemClock, type Clock } from '../model/clock.js';
import type { RateLimiter } from '../model/rate-limiter.js';
import type { AdaptiveConcurrency, AdaptiveDecision, AdaptiveReason, AdaptiveSnapshot } from '../model/state-options.js';
import { LoopDelaySampler } from './adaptive-loop-delay.js';

/** A window's median latency within this share above the baseline is no queueing (noise, not load). */
export const LATENCY_TOLERANCE = 0.15;
/** A window closes once it has this many latency samples, or the limit's worth if more. */
const MIN_SAMPLES = 10;
/** Good windows at the level just under the ceiling before it is tried again: this many, plus a seeded share of HOLD_SPREAD. */
const HOLD_MIN = 6;
const HOLD_SPREAD = 6;
/** An overload (a timeout, a RateLimitError) multiplies the limit by this. */
const OVERLOAD_FACTOR = 0.5;
/** Event-loop delay (ms) above which the limit does not grow, and above which it is cut by EVENT_LOOP_FACTOR. */
export const EVENT_LOOP_HOLD_MS = 50;
export const EVENT_LOOP_CUT_MS = 200;
const EVENT_LOOP_FACTOR = 0.75;
/** Little's law: under a rate limit the limit is at most rate × latency × this, plus one. */
export const LITTLE_HEADROOM = 1.25;
/** A cut for latency that lowers it by less than this share did not help: the queue was not ours. */
const HELPED = 0.9;
/** Decisions kept in `snapshot().recent`. */
const RECENT = 64;

/** How an attempt of an adaptive state ended, as the limit reads it. */
export type AdaptiveOutcome = 'ok' | 'overload' | 'other';

/** The checked settings `adaptive()` makes a limit from. */
export interface AdaptiveSettings {
  readonly initial: number;
  readonly min: number;
  readonly max: number;
  readonly seed: number;
  readonly eventLoopDelay: (() => number) | undefined;
  /** Problems with the options as given, each a sentence after "adaptive(…): " (reported by the graph compiler, naming the state). */
  readonly problems: readonly string[];
}

/**
 * The limit `adaptive()` makes: a windowed, delay- and loss-based concurrency limit in the manner
 * of Netflix's concurrency-limits (Vegas, Gradient2) and Envoy's adaptive concurrency filter. The
 * engine calls `attach` when an execution starts, `started` for each attempt and `finished` when
 * its outcome is known, and reads `current()` as the state's capacity. Not part of the public API.
 *
 * Per window (at least MIN_SAMPLES latencies, or the limit's worth, from attempts started at the
 * current limit) it takes the median latency and, against the baseline (the lowest window median
 * seen), decides once: cut by the ratio when latency rose more than LATENCY_TOLERANCE; else hold
 * when the loop is late or the limit was not used; else grow (double in slow start, else by
 * max(1, limit / 16)), stopping just under the last level that pushed back (the ceiling) for a
 * seeded number of good windows before trying it again; then cap by Little's law under a rate
 * limit. An overload halves it at once.
 *
 * @example
 * ```ts
 * const limit = new AdaptiveLimit({ initial: 4, min: 1, max: 64, seed: 1, eventLoopDelay: undefined, problems: [] });
 * limit.attach(clock, undefined);
 * limit.started(clock.now(), 1);
 * ```
 * @internal
 */
export class AdaptiveLimit implements AdaptiveConcurrency {
  readonly settings: AdaptiveSettings;
  /** The state it serves, once a graph took it (one limit per state). */
  owner: string | undefined = undefined;
  #limit: number;
  #clock: Clock = systemClock;
  #rateLimit: RateLimiter | undefined;
  #sampler: LoopDelaySampler | undefined;
  #attached = 0;
  readonly #random: () => number;
  /** Latencies and overloads count only from attempts started at or after this (the last change of the limit). */
  #changedAt = -Infinity;
  /** When the last overload cut came. */
  #overloadAt = -Infinity;
  #samples: number[] = [];
  /** The most attempts in flight since the window started. */
  #peak = 0;
  #slowStart = true;
  #baseline: number | undefined;
  #latency: number | undefined;
  #ceiling: number | undefined;
  /** Good windows in a row at the level under the ceiling, and how many it takes to try the ceiling. */
  #good = 0;
  #hold: number;
  /** Overloads came since the last window of successes (one episode sets the ceiling once). */
  #overloaded = false;
  /** The last cut for latency: the latency that caused it and the limit before, to tell whether it helped. */
  #cut: { readonly latency: number; readonly from: number } | undefined;
  #loopDelay = 0;
  #decisions = 0;
  #recent: AdaptiveDecision[] = [];

  constructor(settings: AdaptiveSettings) {
    this.settings = settings;
    this.#limit = settings.initial;
    this.#random = mulberry32(settings.seed);
    this.#hold = this.#nextHold();
  }

  current(): number {
    this.#usable();
    return this.#limit;
  }

  snapshot(): AdaptiveSnapshot {
    this.#usable();
    const { min, max } = this.settings;
    return {
      limit: this.#limit,
      min,
      max,
      phase: this.#slowStart ? 'slow-start' : 'steady',
      baselineMs: this.#baseline,
      latencyMs: this.#latency,
      ceiling: this.#ceiling,
      eventLoopDelayMs: this.#loopDelay,
      decisions: this.#decisions,
      last: this.#recent[this.#recent.length - 1],
      recent: [...this.#recent],
    };
  }

  /** An execution starts: decisions use its clock (and its state's rate limiter for Little's law). */
  attach(clock: Clock, rateLimit: RateLimiter | undefined): void {
    this.#clock = clock;
    this.#rateLimit = rateLimit;
    if (this.#attached++ > 0) return;
    this.#changedAt = clock.now();
    this.#samples = [];
    this.#peak = 0;
    if (this.settings.eventLoopDelay === undefined && clock === systemClock) {
      this.#sampler = new LoopDelaySampler();
      this.#sampler.start();
    }
    if (this.#decisions === 0) this.#record('start', this.#limit, `between ${this.settings.min} and ${this.settings.max}`);
  }

  /** An execution ended. */
  detach(): void {
    if (--this.#attached > 0) return;
    this.#sampler?.stop();
    this.#sampler = undefined;
  }

  /** An attempt started; `inFlight` counts it. */
  started(inFlight: number): void {
    if (inFlight > this.#peak) this.#peak = inFlight;
  }

  /**
   * An attempt's outcome is known (`inFlight`: attempts holding a slot now). Returns whether the
   * limit changed.
   */
  finished(startedAt: number, outcome: AdaptiveOutcome, inFlight: number): boolean {
    if (outcome === 'other') return false;
    const now = this.#clock.now();
    // An overload counts unless the attempt was in flight at the last cut for one (that cut was for it too).
    if (outcome === 'overload') return startedAt >= this.#overloadAt && this.#overload(now);
    if (startedAt < this.#changedAt) return false;
    this.#samples.push(now - startedAt);
    if (this.#samples.length < Math.max(MIN_SAMPLES, this.#limit)) return false;
    return this.#decide(now, inFlight);
  }

  /** A timeout or a RateLimitError from an attempt started since the last such cut: halve now. */
  #overload(now: number): boolean {
    const from = this.#limit;
    if (!this.#overloaded) this.#ceiling = from;
    this.#overloaded = true;
    this.#slowStart = true; // back up by doubling, to just under the level that drew it
    this.#good = 0;
    this.#cut = undefined;
    const to = Math.max(this.settings.min, Math.floor(from * OVERLOAD_FACTOR));
    this.#overloadAt = now;
    return this.#apply(now, 'overload', to, 'an attempt timed out or was refused as too many', this.#peak);
  }

  #decide(now: number, inFlight: number): boolean {
    const { min, max } = this.settings;
    const limit = this.#limit;
    const latency = median(this.#samples);
    const peak = this.#peak;
    const used = peak >= limit;
    this.#samples = [];
    this.#peak = inFlight;
    this.#overloaded = false;
    this.#latency = latency;
    this.#baseline = this.#baseline === undefined ? latency : Math.min(this.#baseline, latency);
    this.#loopDelay = this.#readLoopDelay();
    const cut = this.#cut;
    this.#cut = undefined;
    const ratio = latency / this.#baseline;
    const seen = `latency ${ms(latency)}, ${ratio.toFixed(2)}× its baseline of ${ms(this.#baseline)}`;
    if (cut !== undefined && ratio > 1 + LATENCY_TOLERANCE && latency >= cut.latency * HELPED) {
      // Fewer in flight did not lower latency: the service is slower, not queueing for us.
      this.#baseline = latency;
      this.#ceiling = undefined;
      return this.#apply(now, 'rebaseline', Math.max(limit, cut.from), `${seen}, as before the cut from ${cut.from}: the new baseline`, inFlight);
    }
    if (ratio > 1 + LATENCY_TOLERANCE) {
      const target = Math.round((limit * (1 + LATENCY_TOLERANCE)) / ratio);
      const to = Math.max(min, Math.min(limit - 1, Math.max(Math.ceil(limit / 2), target)));
      this.#slowStart = false;
      this.#ceiling = limit;
      this.#good = 0;
      if (to < limit) this.#cut = { latency, from: limit };
      return this.#apply(now, 'latency', to, `${seen}: the service queues`, inFlight);
    }
    const cap = this.#littleCap(latency);
    if (cap !== undefined && limit > cap) return this.#apply(now, 'rate-limit', cap, `${seen}; the rate limit needs ${cap}`, inFlight);
    const loop = this.#loopDelay;
    if (loop > EVENT_LOOP_CUT_MS) return this.#apply(now, 'event-loop', Math.max(min, Math.floor(limit * EVENT_LOOP_FACTOR)), `the event loop is ${ms(loop)} late`, inFlight);
    if (loop > EVENT_LOOP_HOLD_MS) return this.#apply(now, 'event-loop', limit, `the event loop is ${ms(loop)} late: no growth`, inFlight);
    if (!used) return this.#apply(now, 'unused', limit, `${seen}; at most ${peak} in flight`, inFlight);
    if (limit >= max) return this.#apply(now, 'steady', limit, `${seen}; at max`, inFlight);
    return this.#grow(now, limit, cap, seen, inFlight);
  }

  #grow(now: number, limit: number, cap: number | undefined, seen: string, inFlight: number): boolean {
    const ceiling = this.#ceiling;
    let to = this.#slowStart ? limit * 2 : limit + Math.max(1, Math.floor(limit / 16));
    let reason: AdaptiveReason = this.#slowStart ? 'slow-start' : 'grow';
    if (ceiling !== undefined && to >= ceiling) {
      if (limit + 1 < ceiling) to = ceiling - 1;
      else if (++this.#good < this.#hold) return this.#apply(now, 'hold', limit, `${seen}; ${this.#good} of ${this.#hold} good windows before trying ${limit + 1} again`, inFlight);
      else {
        to = limit + 1;
        reason = 'grow';
        this.#good = 0;
        this.#hold = this.#nextHold();
        this.#ceiling = undefined; // tried again: if it pushes back, it is the ceiling again
        this.#slowStart = false;
      }
    }
    to = Math.min(this.settings.max, to);
    if (cap !== undefined && to > cap) {
      to = Math.max(limit, cap);
      if (to === limit) return this.#apply(now, 'rate-limit', limit, `${seen}; the rate limit needs no more`, inFlight);
      reason = 'rate-limit';
    }
    return this.#apply(now, reason, to, seen, inFlight);
  }

  /** Little's law: the most in flight the state's rate limit can use at this latency, with headroom; undefined without a limit. */
  #littleCap(latency: number): number | undefined {
    const limiter = this.#rateLimit;
    if (limiter === undefined) return undefined;
    let rate: number;
    try {
      rate = limiter.current();
    } catch {
      return undefined; // the engine warns about a throwing limiter
    }
    if (!(rate > 0) || !Number.isFinite(rate)) return undefined;
    return Math.max(this.settings.min, Math.ceil(((rate * latency) / 1000) * LITTLE_HEADROOM) + 1);
  }

  #readLoopDelay(): number {
    const source = this.settings.eventLoopDelay;
    try {
      const delay = source !== undefined ? source() : (this.#sampler?.read() ?? 0);
      return typeof delay === 'number' && delay > 0 && Number.isFinite(delay) ? delay : 0;
    } catch {
      return 0;
    }
  }

  #apply(now: number, reason: AdaptiveReason, to: number, detail: string, inFlight: number): boolean {
    const from = this.#limit;
    this.#record(reason, to, detail, now);
    if (to === from) return false;
    this.#limit = to;
    this.#changedAt = now;
    this.#samples = [];
    this.#peak = Math.min(inFlight, to);
    return true;
  }

  #record(reason: AdaptiveReason, to: number, detail: string, at = this.#clock.now()): void {
    this.#decisions++;
    this.#recent.push({ at, reason, from: this.#limit, to, detail });
    if (this.#recent.length > RECENT) this.#recent.shift();
  }

  #nextHold(): number {
    return HOLD_MIN + Math.floor(this.#random() * HOLD_SPREAD);
  }

  #usable(): void {
    if (this.settings.problems.length > 0) throw new TypeError(`adaptive: ${this.settings.problems.join('; ')}`);
  }
}

function median(values: number[]): number {
  const sorted = values.sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function ms(x: number): string {
  return `${x >= 100 ? Math.round(x) : Number(x.toPrecision(3))} ms`;
}

/** A small seeded PRNG (mulberry32): the same seed, the same holds, the same decisions. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
