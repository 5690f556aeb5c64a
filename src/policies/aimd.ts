import type { Clock } from '../model/clock.js';
import type { RateLimiter } from '../model/rate-limiter.js';
import { ClockSlot, TokenBucket, checkClock, describeValue, usableWait } from './token-bucket.js';

/** The floor when `min` is left out, zero or negative (permits a second). */
const DEFAULT_MIN = 1;
/** The original's default time between increases (jorb's `defaultIncreaseInterval`, 1 s). */
const DEFAULT_INCREASE_INTERVAL_MS = 1000;
/** The original's default window that merges rate-limit signals into one backoff (500 ms). */
const DEFAULT_BACKOFF_DEBOUNCE_MS = 500;
const DEFAULT_SLOW_START_FACTOR = 2;
/** The original's multiplicative decrease: each backoff halves the rate (`aimd.classic()`). */
const CLASSIC_BACKOFF_FACTOR = 0.5;
/** The default's gentler decrease: 85 % of the estimated limit. */
const DEFAULT_BACKOFF_FACTOR = 0.85;
/** Cubic growth: the number of increases after a backoff that bring the rate back to the estimate. */
const RECOVERY_INCREASES = 4;
/** A delivered rate is measured from at least this many successes... */
const MIN_DELIVERED_SUCCESSES = 2;
/** ...spread over at least this share of the increase interval (50 ms by default). */
const MIN_DELIVERED_SPAN = 1 / 20;
/** The bucket holds this much time's worth of permits: burst = max(1, rate × 0.1 s). */
const BURST_WINDOW_MS = 100;

type AimdGrowth = 'cubic' | 'additive';
type AimdBackoffFrom = 'estimate' | 'rate';
type AimdClassicOptions = Omit<AimdOptions, 'slowStart' | 'slowStartFactor' | 'growth' | 'backoffFactor' | 'backoffFrom'>;

/**
 * Options of {@link aimd} and `aimd.classic`. Rates are in permits (attempts) a second, times in ms.
 * Out-of-range numbers are normalised as the original jorb does, each as its entry says; a value
 * that is not a number at all (or NaN) throws a `TypeError` naming the option.
 *
 * @example
 * ```ts
 * const options: AimdOptions = { initial: 50, min: 1, max: 15_000 };
 * .state('call-api', { concurrency: 64, rateLimit: aimd(options) })
 * ```
 * @public
 */
export interface AimdOptions {
  /**
   * The rate to start at. Clamped into `[min, max]`; left out, zero or negative, it is `min`.
   * Minimum: above 0, finite.
   * @defaultValue `min`
   */
  readonly initial?: number;
  /**
   * The floor that backoffs never go below. Left out, zero or negative, it is 1. (The original
   * floors at 1e-9 permits a second, one attempt every 30 years, a stall rather than a floor; set a
   * small positive `min` such as 0.1 for services that allow less than one call a second.)
   * When both `min` and `max` are given and `min > max`, the two are swapped, as in the original.
   * Minimum: above 0, finite.
   * @defaultValue 1
   */
  readonly min?: number;
  /**
   * The ceiling that increases never go above. Left out, zero or negative, there is none. (The
   * original, given no max, pinned the rate at min.) A `max` below the default `min` lowers the floor
   * to `max`.
   * Minimum: above 0 (Infinity allowed).
   * @defaultValue `Infinity`
   */
  readonly max?: number;
  /**
   * The least time between two increases: successes in between do not raise the rate again. It is
   * also the unit of the default's cubic curve (4 increases, 4 s, from a backoff back to the
   * estimate). The window runs from the last increase. After a backoff, additive growth (the
   * original's) lets the first success increase at once; cubic growth counts its window from the
   * backoff. Zero or negative means the default.
   * Minimum: above 0 (Infinity: never increase).
   * @defaultValue 1000 (the original's one second)
   */
  readonly increaseIntervalMs?: number;
  /**
   * Rate-limit signals within this time of the last applied backoff are merged into it: a burst
   * of 429s from attempts already in flight backs off once, not once per attempt. The
   * window runs from the backoff that was applied, so a steady stream of 429s still backs off
   * once per window. (With `backoffFrom: 'estimate'` a merged signal may still correct the
   * estimate down to what the service let through since the backoff; it never multiplies by
   * `backoffFactor` again.) Zero or negative means the default; see `disableBackoffMerge` for none.
   * Minimum: above 0.
   * @defaultValue 500 (the original's)
   */
  readonly backoffDebounceMs?: number;
  /**
   * Applies every rate-limit signal as a full backoff, with no merging window (for simulations
   * and tests that step the limiter one signal at a time).
   * @defaultValue false
   */
  readonly disableBackoffMerge?: boolean;
  /**
   * Learn fast: until the first rate-limit signal, each increase multiplies the rate by
   * `slowStartFactor` instead of growing as `growth` says, so a high quota is found in a few
   * increase intervals (50 → 6,400 in 7 doublings) instead of thousands. The first signal ends slow
   * start for good. Overshoot is bounded: the rate is at most `slowStartFactor` times the last rate
   * that drew no 429.
   * @defaultValue true for `aimd()`; `aimd.classic()` has no slow start
   */
  readonly slowStart?: boolean;
  /**
   * The multiplier of each slow-start increase.
   * Minimum: above 1, finite.
   * @defaultValue 2
   */
  readonly slowStartFactor?: number;
  /**
   * How the rate grows outside slow start. `'cubic'`: the n-th increase after a backoff sets the
   * rate to `estimate × (1 + (1 − backoffFactor) × ((n − 4) / 4)³)`: quickly back up to just
   * under the estimate, a plateau around it, then probing above it ever faster (see {@link aimd}).
   * Before any backoff (slow start off) it starts on the plateau at `initial`. `'additive'`: +1
   * permit a second per increase, as the original.
   * @defaultValue `'cubic'` for `aimd()`; `aimd.classic()` is `'additive'`
   */
  readonly growth?: 'cubic' | 'additive';
  /**
   * What a backoff multiplies: `backoffFrom` (the estimate or the rate) times this.
   * Minimum: above 0; maximum: below 1.
   * @defaultValue 0.85 for `aimd()`; `aimd.classic()` halves (0.5), as the original
   */
  readonly backoffFactor?: number;
  /**
   * What a backoff starts from. `'estimate'`: the lowest of the rate, the rate the service let
   * through since the rate last changed (measured from the successes, when at least 2 of them span
   * at least a twentieth of `increaseIntervalMs`, and only for a limiter whose `tryAcquire()` is
   * called), and, outside slow start, the rate before the last increase; or, when lower than
   * `backoffFactor` times all of those, the rate it let through since the previous backoff
   * (successes over the time since). Within the merge window, a later signal lowers the estimate
   * (and the rate to `backoffFactor` times it) when the service let through less since the
   * backoff. `'rate'`: the rate, as the original.
   * @defaultValue `'estimate'` for `aimd()`; `aimd.classic()` is `'rate'`
   */
  readonly backoffFrom?: 'estimate' | 'rate';
  /**
   * Raises the rate only when it is what holds callers back: an increase needs a `tryAcquire()`
   * since the previous increase that had to wait for a permit. A state whose concurrency (or a
   * quiet queue) keeps it under the rate then leaves the rate where it is, instead of climbing
   * unchecked (slow start would double it every interval) to a number that protects nothing and
   * takes many backoffs to come down from. A limiter whose `tryAcquire()` is never called (fed
   * only outcomes, as the scenario simulations do) counts as limiting.
   * @defaultValue true for `aimd()`; false for `aimd.classic()`, which grows on any success as the original does
   */
  readonly growOnlyWhenLimiting?: boolean;
  /**
   * The clock for pacing, pauses, the increase and merge windows and the delivered rate.
   * @defaultValue the processor's clock (handed over through `useClock`), else `systemClock`
   */
  readonly clock?: Clock;
}

/**
 * What an AIMD limiter knows right now, for status displays, logs and tests.
 *
 * @example
 * ```ts
 * const { rate, phase, backoffs } = limiter.snapshot();
 * console.log(`${phase} at ${rate.toFixed(1)}/s after ${backoffs} backoffs`);
 * ```
 * @public
 */
export interface AimdSnapshot {
  /** The rate in permits a second (the same as `current()`). */
  readonly rate: number;
  /** The floor, after normalisation. */
  readonly min: number;
  /** The ceiling, after normalisation (`Infinity` for none). */
  readonly max: number;
  /** `'slow-start'` until the first rate-limit signal (with slow start on), then how the rate grows: `'cubic'` or `'additive'`. */
  readonly phase: 'slow-start' | 'cubic' | 'additive';
  /** What the last backoff started from (the estimate of the service's limit, or the rate); `Infinity` before the first. */
  readonly estimate: number;
  /** How long `tryAcquire()` still answers with a pause after a retry-after, in ms (0 if none). */
  readonly pausedForMs: number;
  /** Increases applied. */
  readonly increases: number;
  /** Backoffs applied (each multiplied by `backoffFactor`, down to `min`). */
  readonly backoffs: number;
  /** Rate-limit signals merged into an earlier backoff by the debounce window (corrections of the estimate included). */
  readonly mergedBackoffs: number;
}

/**
 * A rate limiter that adapts to the service: multiplicative decrease on "too many requests",
 * slow start and cubic growth by default, additive growth (AIMD) for `aimd.classic()`. Made by
 * {@link aimd}.
 *
 * @example
 * ```ts
 * const limiter: AimdLimiter = aimd.classic({ initial: 50 });
 * limiter.onRateLimited();       // a 429: the rate halves
 * limiter.current();             // 25
 * limiter.snapshot().phase;      // 'additive'
 * ```
 * @public
 */
export interface AimdLimiter extends RateLimiter {
  /** The rate, bounds, phase, estimate, pause and counts, as of now. */
  snapshot(): AimdSnapshot;
  /** Uses `clock` unless the limiter was made with a clock of its own (the processor calls this). */
  useClock(clock: Clock): void;
}

/**
 * An adaptive rate limit shared by every worker of a state: it finds how fast a service lets you
 * go by going faster until told "too many requests" (the processor calls `onRateLimited` when an
 * exec throws a `RateLimitError`), then holds just under that. `aimd()` learns fast and settles
 * close to the limit; `aimd.classic()` is the original jorb limiter exactly.
 *
 * The default, `aimd()`:
 *
 * - **Slow start.** Until the first rate-limit signal, each increase (at most one per
 *   `increaseIntervalMs`, 1 s) doubles the rate (`slowStartFactor`), so 50/s reaches 6,400/s in
 *   7 s. The limiter opens with one permit, not a full bucket: it does not know the service yet.
 * - **Backoff.** A signal backs off to 85 % (`backoffFactor`) of an *estimate* of what the service
 *   allows: the lowest of the rate, the rate the service actually let through since the rate last
 *   changed (successes over time: above its limit, a service lets through exactly its limit), and
 *   the rate before the last increase (the last one that drew no 429); or what it let through
 *   since the previous backoff, when that is lower still than where the backoff would land (a
 *   service that lets bursts through and then refuses, such as a fixed window, delivers its
 *   successes in clumps that no shorter measure reads right). Halving from the rate, as
 *   the original does, throws away half the throughput on every 429 and, for a limiter that
 *   overshot 5×, still takes seconds of 429s to come down; backing off from what was delivered
 *   lands just under the limit in one step, whatever the overshoot. Signals within
 *   `backoffDebounceMs` (500 ms) of the last backoff are merged into it (429s of attempts already
 *   in flight back off once), but may still lower the estimate to what was delivered since.
 * - **Cubic growth.** After a backoff the n-th increase sets the rate to
 *   `estimate × (1 + 0.15 × ((n − 4) / 4)³)` (0.15 = 1 − `backoffFactor`), as TCP CUBIC grows
 *   its window toward the size at its last loss: 85 % → 93.7 % → 98.1 % → 99.8 % of the estimate
 *   in three increases, a plateau around it (100 %, 100.2 %, 101.9 %), then probing above it
 *   ever faster (106 %, 115 %, 129 %, 150 %, then ×2.2 by the 12th) in case the limit went up.
 *   Each step is proportional to the rate, so it takes as long at 10/s as at 10,000/s (the
 *   original's +1 per second needs 42 minutes to climb from 2,500 to 5,000/s).
 * - **Pause.** A signal with a retry-after pauses the limiter: `tryAcquire()` returns the rest of
 *   the pause until it is over, then hands out one permit and refills from there.
 * - **Pacing.** A token bucket at the current rate, holding max(1, rate × 100 ms) permits, so
 *   attempts are spread over each tenth of a second rather than fired in one-second bursts.
 * - **Only when limiting.** An increase needs a caller that had to wait for a permit since the
 *   last one (`growOnlyWhenLimiting`), so a rate no one uses does not climb.
 *
 * Against a real HTTP server with a hidden token-bucket quota that answers 429 with the exact
 * wait (`npm run bench -- --only ratelimit`), from `initial: 50`, the default reaches 90 % of a
 * 5,000/s quota in about 6.5 s and then delivers 97-99 % of it, with well under 1 % of requests
 * answered 429; the classic limiter is at 70/s after 20 s. A retry-after rounded up to whole
 * seconds pauses the state a second per 429 and reads as a service that allows far less: pass
 * the precise wait when the service gives one.
 *
 * `aimd.classic(options)` is the original's behaviour exactly: no slow start, +1 per increase on
 * any success (`growOnlyWhenLimiting: false`), ×0.5 of the rate per backoff, a full bucket at start.
 * Each part of the default can be switched on its own: `slowStart`, `growth`, `backoffFactor`,
 * `backoffFrom`, `growOnlyWhenLimiting`.
 *
 * @param options - See {@link AimdOptions}; every option has a default.
 * @example
 * ```ts
 * // start at 50/s, learn fast up to whatever the service allows (at most 15,000/s)
 * .state('call-api', { concurrency: 256, rateLimit: aimd({ initial: 50, max: 15_000 }) })
 * // the original jorb behaviour: +1/s per second, ×0.5 per 429
 * .state('call-api', { concurrency: 64, rateLimit: aimd.classic({ initial: 100, min: 10, max: 200 }) })
 * ```
 * @public
 */
export const aimd: {
  (options?: AimdOptions): AimdLimiter;
  /**
   * The original jorb AIMD limiter: +1 per increase interval on any success from the start (no
   * slow start), ×0.5 of the rate per backoff. Takes the options of {@link aimd} but `slowStart`,
   * `slowStartFactor`, `growth`, `backoffFactor` and `backoffFrom`; `growOnlyWhenLimiting`
   * defaults to false here.
   *
   * @example
   * ```ts
   * .state('call-api', { rateLimit: aimd.classic({ initial: 100, min: 10, max: 200 }) })
   * ```
   */
  classic(options?: Omit<AimdOptions, 'slowStart' | 'slowStartFactor' | 'growth' | 'backoffFactor' | 'backoffFrom'>): AimdLimiter;
} = Object.assign((options: AimdOptions = {}): AimdLimiter => new AimdRateLimiter(settings('aimd', options, true)), {
  classic: (options: AimdClassicOptions = {}): AimdLimiter =>
    new AimdRateLimiter(
      settings('aimd.classic', { ...options, slowStart: false, growth: 'additive', backoffFactor: CLASSIC_BACKOFF_FACTOR, backoffFrom: 'rate' }, false),
    ),
});

interface Settings {
  readonly initial: number;
  readonly min: number;
  readonly max: number;
  readonly increaseIntervalMs: number;
  /** 0 when signals are never merged. */
  readonly backoffDebounceMs: number;
  readonly slowStart: boolean;
  readonly slowStartFactor: number;
  readonly growth: AimdGrowth;
  readonly backoffFactor: number;
  readonly backoffFrom: AimdBackoffFrom;
  readonly growOnlyWhenLimiting: boolean;
  /** Whether the bucket opens with one permit rather than full (the default; the original opens full). */
  readonly openWithOnePermit: boolean;
  readonly clock: Clock | undefined;
}

/** Checks the options and normalises them as `AimdOptions` documents. */
function settings(factory: string, options: AimdOptions, learnFast: boolean): Settings {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${factory}: options must be an object such as { initial: 10 }, got ${describeValue(options)}`);
  }
  const number = (name: keyof AimdOptions, finite: boolean): number | undefined => {
    const value: unknown = options[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`${factory}: ${name} must be a number, got ${describeValue(value)}`);
    if (finite && !Number.isFinite(value)) throw new TypeError(`${factory}: ${name} must be finite, got ${value}`);
    return value;
  };
  const flag = (name: keyof AimdOptions, fallback: boolean): boolean => {
    const value: unknown = options[name];
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') throw new TypeError(`${factory}: ${name} must be true or false, got ${describeValue(value)}`);
    return value;
  };
  const oneOf = <T extends string>(name: keyof AimdOptions, allowed: readonly T[], fallback: T): T => {
    const value: unknown = options[name];
    if (value === undefined) return fallback;
    if (!allowed.includes(value as T)) throw new TypeError(`${factory}: ${name} must be ${allowed.map((a) => `'${a}'`).join(' or ')}, got ${describeValue(value)}`);
    return value as T;
  };
  const given = { initial: number('initial', true), min: number('min', true), max: number('max', false) };
  const positive = (n: number | undefined): n is number => n !== undefined && n > 0;

  let max = positive(given.max) ? given.max : Infinity;
  let min = positive(given.min) ? given.min : Math.min(DEFAULT_MIN, max);
  if (min > max) [min, max] = [max, min];
  let initial = positive(given.initial) ? given.initial : min;
  initial = Math.min(Math.max(initial, min), max);

  const interval = number('increaseIntervalMs', false);
  const debounce = number('backoffDebounceMs', false);
  const factor = number('slowStartFactor', true);
  if (factor !== undefined && !(factor > 1)) throw new TypeError(`${factory}: slowStartFactor must be a number above 1, got ${factor}`);
  const backoffFactor = number('backoffFactor', true);
  if (backoffFactor !== undefined && !(backoffFactor > 0 && backoffFactor < 1)) {
    throw new TypeError(`${factory}: backoffFactor must be a number above 0 and below 1, got ${backoffFactor}`);
  }
  checkClock(factory, options.clock);

  return {
    initial,
    min,
    max,
    increaseIntervalMs: positive(interval) ? interval : DEFAULT_INCREASE_INTERVAL_MS,
    backoffDebounceMs: flag('disableBackoffMerge', false) ? 0 : positive(debounce) ? debounce : DEFAULT_BACKOFF_DEBOUNCE_MS,
    slowStart: flag('slowStart', learnFast),
    slowStartFactor: factor ?? DEFAULT_SLOW_START_FACTOR,
    growth: oneOf<AimdGrowth>('growth', ['cubic', 'additive'], 'cubic'),
    backoffFactor: backoffFactor ?? DEFAULT_BACKOFF_FACTOR,
    backoffFrom: oneOf<AimdBackoffFrom>('backoffFrom', ['estimate', 'rate'], 'estimate'),
    growOnlyWhenLimiting: flag('growOnlyWhenLimiting', learnFast),
    openWithOnePermit: learnFast,
    clock: options.clock,
  };
}

function burstFor(rate: number): number {
  return Math.max(1, (rate * BURST_WINDOW_MS) / 1000);
}

class AimdRateLimiter implements AimdLimiter {
  readonly #s: Settings;
  readonly #clock: ClockSlot;
  readonly #bucket: TokenBucket;
  #rate: number;
  #slowStart: boolean;
  #pausedUntil = -Infinity;
  /**
   * When the increase window started: the last increase, or a backoff under cubic growth;
   * undefined before the first increase and after a backoff under additive growth.
   */
  #lastIncrease: number | undefined;
  /** When the last backoff was applied (the start of the merge window). */
  #lastBackoff: number | undefined;
  /** Whether tryAcquire has ever been called (else the limiter is a model fed only outcomes). */
  #paced = false;
  /** Whether a tryAcquire had to wait for a permit since the last increase. */
  #limitedSinceIncrease = false;
  /** What the last backoff started from; cubic growth aims at it (`initial` before any backoff). */
  #estimate: number;
  /** Cubic growth: increases applied since the last backoff (starting on the plateau before any). */
  #sinceBackoff = RECOVERY_INCREASES;
  /** The rate before the last increase outside slow start, until the next backoff. */
  #beforeIncrease: number | undefined;
  /** Successes since the rate last changed, and when the first and the last of them came. */
  #spanSuccesses = 0;
  /** Successes since the last backoff. */
  #cycleSuccesses = 0;
  #spanFirst = 0;
  #spanLast = 0;
  #increases = 0;
  #backoffs = 0;
  #merged = 0;

  constructor(s: Settings) {
    this.#s = s;
    this.#rate = s.initial;
    this.#estimate = s.initial;
    this.#slowStart = s.slowStart;
    this.#clock = new ClockSlot(s.clock);
    const now = this.#clock.now();
    this.#bucket = new TokenBucket(this.#rate, burstFor(this.#rate), now);
    if (s.openWithOnePermit) this.#bucket.holdUntil(now, now);
  }

  tryAcquire(): number {
    const now = this.#clock.now();
    if (now < this.#pausedUntil) return Math.ceil(this.#pausedUntil - now);
    this.#paced = true;
    const wait = this.#bucket.take(now);
    if (wait > 0) this.#limitedSinceIncrease = true;
    return wait;
  }

  onSuccess(): void {
    const { max, increaseIntervalMs, growOnlyWhenLimiting, slowStartFactor } = this.#s;
    const now = this.#clock.now();
    if (this.#spanSuccesses++ === 0) this.#spanFirst = now;
    this.#cycleSuccesses++;
    this.#spanLast = now;
    if (this.#rate >= max) return;
    if (this.#lastIncrease !== undefined && now - this.#lastIncrease < increaseIntervalMs) return;
    if (growOnlyWhenLimiting && this.#paced && !this.#limitedSinceIncrease) return;
    this.#lastIncrease = now;
    this.#limitedSinceIncrease = false;
    this.#increases++;
    if (this.#slowStart) {
      this.#setRate(Math.min(max, this.#rate * slowStartFactor), now);
    } else {
      this.#beforeIncrease = this.#rate;
      this.#setRate(Math.min(max, this.#grown()), now);
    }
  }

  /** The rate after one increase outside slow start. */
  #grown(): number {
    if (this.#s.growth === 'additive') return this.#rate + 1;
    const k = (++this.#sinceBackoff - RECOVERY_INCREASES) / RECOVERY_INCREASES;
    return Math.max(this.#rate, this.#estimate * (1 + (1 - this.#s.backoffFactor) * k ** 3));
  }

  onRateLimited(retryAfterMs?: number): void {
    const now = this.#clock.now();
    const wait = usableWait(retryAfterMs);
    if (wait !== undefined) {
      this.#pausedUntil = Math.max(this.#pausedUntil, now + wait);
      this.#bucket.holdUntil(this.#pausedUntil, now);
    }
    const { min, backoffFactor, backoffDebounceMs: debounce } = this.#s;
    const byEstimate = this.#s.backoffFrom === 'estimate';
    if (debounce > 0 && this.#lastBackoff !== undefined && now - this.#lastBackoff < debounce) {
      this.#merged++;
      // still over the limit since the backoff: what got through since is the limit
      const delivered = byEstimate ? this.#deliveredAtRate() : undefined;
      if (delivered !== undefined && delivered < this.#estimate) {
        this.#estimate = delivered;
        if (delivered * backoffFactor < this.#rate) this.#setRate(Math.max(min, delivered * backoffFactor), now);
      }
      return;
    }
    const from = byEstimate ? this.#estimateNow(now) : this.#rate;
    this.#cycleSuccesses = 0;
    this.#lastBackoff = now;
    // additive growth (the original's) lets the first success after a backoff increase at once;
    // cubic growth counts its increases from the backoff
    this.#lastIncrease = this.#s.growth === 'additive' ? undefined : now;
    this.#slowStart = false;
    this.#estimate = from;
    this.#sinceBackoff = 0;
    this.#beforeIncrease = undefined;
    this.#backoffs++;
    this.#setRate(Math.max(min, from * backoffFactor), now);
  }

  /** Sets the rate and starts measuring what the service delivers at it afresh. */
  #setRate(rate: number, now: number): void {
    this.#rate = rate;
    this.#spanSuccesses = 0;
    this.#bucket.set(rate, burstFor(rate), now);
  }

  /**
   * What a backoff starts from under `backoffFrom: 'estimate'`: the lowest of the rate, the
   * rate delivered since it was set and the rate before the last increase; or what was delivered
   * since the previous backoff when that is lower still than where the backoff would go.
   */
  #estimateNow(now: number): number {
    const from = Math.min(this.#rate, this.#deliveredAtRate() ?? Infinity, this.#beforeIncrease ?? Infinity);
    const sinceBackoff = this.#deliveredSinceBackoff(now);
    return sinceBackoff !== undefined && sinceBackoff < from * this.#s.backoffFactor ? sinceBackoff : from;
  }

  /**
   * The rate the service let through since the rate last changed, in successes a second between
   * the first and the last of them (precise for a steady stream, whatever the count); undefined
   * when there are too few, too close together, or when the limiter paces no one (a model fed
   * only outcomes has no real time).
   */
  #deliveredAtRate(): number | undefined {
    if (!this.#paced || this.#spanSuccesses < MIN_DELIVERED_SUCCESSES) return undefined;
    const ms = this.#spanLast - this.#spanFirst;
    return ms > 0 && ms >= this.#s.increaseIntervalMs * MIN_DELIVERED_SPAN ? ((this.#spanSuccesses - 1) * 1000) / ms : undefined;
  }

  /**
   * The rate the service let through since the previous backoff: successes over the time since
   * (right for services that let a burst through and then refuse, such as fixed windows, where
   * successes come in clumps); undefined before a backoff, or with too little to go on.
   */
  #deliveredSinceBackoff(now: number): number | undefined {
    if (!this.#paced || this.#lastBackoff === undefined || this.#cycleSuccesses < MIN_DELIVERED_SUCCESSES) return undefined;
    const ms = now - this.#lastBackoff;
    return ms > 0 && ms >= this.#s.increaseIntervalMs * MIN_DELIVERED_SPAN ? (this.#cycleSuccesses * 1000) / ms : undefined;
  }

  current(): number {
    return this.#rate;
  }

  snapshot(): AimdSnapshot {
    return {
      rate: this.#rate,
      min: this.#s.min,
      max: this.#s.max,
      phase: this.#slowStart ? 'slow-start' : this.#s.growth,
      estimate: this.#backoffs > 0 ? this.#estimate : Infinity,
      pausedForMs: Math.max(0, this.#pausedUntil - this.#clock.now()),
      increases: this.#increases,
      backoffs: this.#backoffs,
      mergedBackoffs: this.#merged,
    };
  }

  useClock(clock: Clock): void {
    const delta = this.#clock.use(clock);
    if (delta === 0) return;
    this.#pausedUntil += delta;
    if (this.#lastIncrease !== undefined) this.#lastIncrease += delta;
    if (this.#lastBackoff !== undefined) this.#lastBackoff += delta;
    this.#spanFirst += delta;
    this.#spanLast += delta;
    this.#bucket.shift(delta);
  }
}
