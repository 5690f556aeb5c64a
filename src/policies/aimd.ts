import type { Clock } from './clock.js';
import type { RateLimiter } from './rate-limiter.js';
import { ClockSlot, TokenBucket, checkClock, describeValue, usableWait } from './token-bucket.js';

/** The floor when `min` is left out, zero or negative (permits a second). */
const DEFAULT_MIN = 1;
/** The original's default time between increases (jorb's `defaultIncreaseInterval`, 1 s). */
const DEFAULT_INCREASE_INTERVAL_MS = 1000;
/** The original's default window that merges rate-limit signals into one backoff (500 ms). */
const DEFAULT_BACKOFF_DEBOUNCE_MS = 500;
const DEFAULT_SLOW_START_FACTOR = 2;
/** The multiplicative decrease: each backoff halves the rate, as in the original. */
const DECREASE_FACTOR = 0.5;
/** The bucket holds this much time's worth of permits: burst = max(1, rate × 0.1 s). */
const BURST_WINDOW_MS = 100;

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
   * The least time between two increases (+1 permit a second each, or ×`slowStartFactor` during slow
   * start): successes in between do not raise the rate again. The window runs from the last
   * increase; a backoff clears it, so the first success after a backoff raises the rate at once.
   * Zero or negative means the default.
   * Minimum: above 0 (Infinity: never increase).
   * @defaultValue 1000 (the original's one second)
   */
  readonly increaseIntervalMs?: number;
  /**
   * Rate-limit signals within this time of the last applied backoff are merged into it: a burst
   * of 429s from attempts already in flight halves the rate once, not once per attempt. The
   * window runs from the backoff that was applied, so a steady stream of 429s still halves the
   * rate once per window. Zero or negative means the default; see `disableBackoffMerge` for none.
   * Minimum: above 0.
   * @defaultValue 500 (the original's)
   */
  readonly backoffDebounceMs?: number;
  /**
   * Applies every rate-limit signal as a full halving, with no merging window (for simulations
   * and tests that step the limiter one signal at a time).
   * @defaultValue false
   */
  readonly disableBackoffMerge?: boolean;
  /**
   * Learn fast: until the first rate-limit signal, each increase multiplies the rate by
   * `slowStartFactor` instead of adding 1, so a high quota is found in a few increase intervals
   * (50 → 12,800 in 8 doublings) instead of thousands. The first signal halves the rate (back to
   * the last rate that worked, for the default factor) and ends slow start for good; from there
   * the limiter is classic AIMD. Overshoot is bounded: the rate is at most `slowStartFactor` times
   * the last rate that drew no 429.
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
   * The clock for pacing, pauses and the increase and merge windows.
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
  /** `'slow-start'` until the first rate-limit signal (with slow start on), then `'additive'`. */
  readonly phase: 'slow-start' | 'additive';
  /** How long `tryAcquire()` still answers with a pause after a retry-after, in ms (0 if none). */
  readonly pausedForMs: number;
  /** Increases applied. */
  readonly increases: number;
  /** Backoffs applied (each halved the rate, down to `min`). */
  readonly backoffs: number;
  /** Rate-limit signals merged into an earlier backoff by the debounce window. */
  readonly mergedBackoffs: number;
}

/**
 * A rate limiter that adapts to the service: additive increase, multiplicative decrease (AIMD),
 * with an optional slow start. Made by {@link aimd}.
 *
 * @example
 * ```ts
 * const limiter: AimdLimiter = aimd({ initial: 50 });
 * limiter.onRateLimited();       // a 429: the rate halves
 * limiter.current();             // 25
 * limiter.snapshot().phase;      // 'additive'
 * ```
 * @public
 */
export interface AimdLimiter extends RateLimiter {
  /** The rate, bounds, phase, pause and counts, as of now. */
  snapshot(): AimdSnapshot;
}

/**
 * An adaptive rate limit shared by every worker of a state, after the original jorb's AIMD
 * limiter: it finds how fast a service lets you go by going faster until told "too many
 * requests", then settles into a sawtooth just under that.
 *
 * - **Increase.** On success, at most once per `increaseIntervalMs` (1 s): +1 permit a second,
 *   up to `max`. During slow start (on by default) ×`slowStartFactor` (2) instead, so a high quota
 *   is found in a few seconds, not hours.
 * - **Decrease.** On a rate-limit signal (`onRateLimited`, which the processor calls when an exec
 *   throws a `RateLimitError`): ×0.5, down to `min`; signals within `backoffDebounceMs` (500 ms) of
 *   the last applied backoff are merged into it, unless `disableBackoffMerge`. A backoff ends slow
 *   start and lets the next success increase at once.
 * - **Pause.** A signal with a retry-after pauses the limiter: `tryAcquire()` returns the rest of
 *   the pause until it is over, then hands out one permit and refills from there.
 * - **Pacing.** A token bucket at the current rate, holding max(1, rate × 100 ms) permits, so
 *   attempts are spread over each tenth of a second rather than fired in one-second bursts.
 *
 * `aimd.classic(options)` is the original's behaviour exactly: no slow start, and increases on any
 * success (`growOnlyWhenLimiting: false`).
 *
 * @param options - See {@link AimdOptions}; every option has a default.
 * @example
 * ```ts
 * // start at 50/s, learn fast up to whatever the service allows (at most 15,000/s)
 * .state('call-api', { concurrency: 64, rateLimit: aimd({ initial: 50, max: 15_000 }) })
 * // the original jorb behaviour: +1/s per second, ×0.5 per 429
 * .state('call-api', { concurrency: 64, rateLimit: aimd.classic({ initial: 100, min: 10, max: 200 }) })
 * ```
 * @public
 */
export const aimd: {
  (options?: AimdOptions): AimdLimiter;
  /**
   * The original jorb AIMD limiter: +1 per increase interval on any success from the start (no
   * slow start), ×0.5 per backoff. Takes the options of {@link aimd} but `slowStart` and
   * `slowStartFactor`; `growOnlyWhenLimiting` defaults to false here.
   *
   * @example
   * ```ts
   * .state('call-api', { rateLimit: aimd.classic({ initial: 100, min: 10, max: 200 }) })
   * ```
   */
  classic(options?: Omit<AimdOptions, 'slowStart' | 'slowStartFactor'>): AimdLimiter;
} = Object.assign((options: AimdOptions = {}): AimdLimiter => new AimdRateLimiter(settings('aimd', options, true)), {
  classic: (options: Omit<AimdOptions, 'slowStart' | 'slowStartFactor'> = {}): AimdLimiter =>
    new AimdRateLimiter(settings('aimd.classic', { ...options, slowStart: false }, false)),
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
  readonly growOnlyWhenLimiting: boolean;
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
  checkClock(factory, options.clock);

  return {
    initial,
    min,
    max,
    increaseIntervalMs: positive(interval) ? interval : DEFAULT_INCREASE_INTERVAL_MS,
    backoffDebounceMs: flag('disableBackoffMerge', false) ? 0 : positive(debounce) ? debounce : DEFAULT_BACKOFF_DEBOUNCE_MS,
    slowStart: flag('slowStart', learnFast),
    slowStartFactor: factor ?? DEFAULT_SLOW_START_FACTOR,
    growOnlyWhenLimiting: flag('growOnlyWhenLimiting', learnFast),
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
  /** When the last increase was applied; undefined before the first and after each backoff. */
  #lastIncrease: number | undefined;
  /** When the last backoff was applied (the start of the merge window). */
  #lastBackoff: number | undefined;
  /** Whether tryAcquire has ever been called (else the limiter is a model fed only outcomes). */
  #paced = false;
  /** Whether a tryAcquire had to wait for a permit since the last increase. */
  #limitedSinceIncrease = false;
  #increases = 0;
  #backoffs = 0;
  #merged = 0;

  constructor(s: Settings) {
    this.#s = s;
    this.#rate = s.initial;
    this.#slowStart = s.slowStart;
    this.#clock = new ClockSlot(s.clock);
    this.#bucket = new TokenBucket(s.initial, burstFor(s.initial), this.#clock.now());
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
    if (this.#rate >= max) return;
    const now = this.#clock.now();
    if (this.#lastIncrease !== undefined && now - this.#lastIncrease < increaseIntervalMs) return;
    if (growOnlyWhenLimiting && this.#paced && !this.#limitedSinceIncrease) return;
    this.#lastIncrease = now;
    this.#limitedSinceIncrease = false;
    this.#rate = Math.min(max, this.#slowStart ? this.#rate * slowStartFactor : this.#rate + 1);
    this.#increases++;
    this.#bucket.set(this.#rate, burstFor(this.#rate), now);
  }

  onRateLimited(retryAfterMs?: number): void {
    const now = this.#clock.now();
    const wait = usableWait(retryAfterMs);
    if (wait !== undefined) {
      this.#pausedUntil = Math.max(this.#pausedUntil, now + wait);
      this.#bucket.holdUntil(this.#pausedUntil, now);
    }
    const debounce = this.#s.backoffDebounceMs;
    if (debounce > 0 && this.#lastBackoff !== undefined && now - this.#lastBackoff < debounce) {
      this.#merged++;
      return;
    }
    this.#lastBackoff = now;
    this.#lastIncrease = undefined;
    this.#slowStart = false;
    this.#rate = Math.max(this.#s.min, this.#rate * DECREASE_FACTOR);
    this.#backoffs++;
    this.#bucket.set(this.#rate, burstFor(this.#rate), now);
  }

  current(): number {
    return this.#rate;
  }

  snapshot(): AimdSnapshot {
    return {
      rate: this.#rate,
      min: this.#s.min,
      max: this.#s.max,
      phase: this.#slowStart ? 'slow-start' : 'additive',
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
    this.#bucket.shift(delta);
  }
}
