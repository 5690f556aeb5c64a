import type { Clock } from '../model/clock.js';
import { aBoolean, aNumber, anObject, checkOption, checkOptions, numberIn, oneOf, optionKeys, optional, rule } from '../model/check-option.js';
import { checkClock } from './token-bucket.js';
import { renderValue } from '../model/render-value.js';

/** The floor when `min` is left out, zero or negative (permits a second). */
const DEFAULT_MIN = 1;
/** The original's default time between increases (jorb's `defaultIncreaseInterval`, 1 s). */
const DEFAULT_INCREASE_INTERVAL_MS = 1000;
/** The original's default window that merges rate-limit signals into one backoff (500 ms). */
const DEFAULT_BACKOFF_DEBOUNCE_MS = 500;
/** Slow start doubles the rate at each increase. */
const DEFAULT_SLOW_START_FACTOR = 2;
/** The original's multiplicative decrease: each backoff halves the rate (`aimd.classic()`). */
export const CLASSIC_BACKOFF_FACTOR = 0.5;
/** The cubic limiter's gentler decrease: 85 % of the estimated limit. */
const DEFAULT_BACKOFF_FACTOR = 0.85;

/** How the rate grows outside slow start. */
export type AimdGrowth = 'cubic' | 'additive';
/** What a backoff starts from. */
export type AimdBackoffFrom = 'estimate' | 'rate';
/**
 * The options `aimd.classic` takes: those of {@link AimdCubicOptions} but the parts of the cubic
 * limiter it leaves out (`slowStart`, `slowStartFactor`, `growth`, `backoffFactor`, `backoffFrom`).
 *
 * @example
 * ```ts
 * const options: AimdClassicOptions = { initial: 100, min: 10, max: 200, backoffDebounceMs: 1000 };
 * .state('call-api', { rateLimit: aimd.classic(options) })
 * ```
 * @public
 */
export type AimdClassicOptions = Omit<AimdCubicOptions, 'slowStart' | 'slowStartFactor' | 'growth' | 'backoffFactor' | 'backoffFrom'>;

/**
 * Options of {@link aimd}, the learning limiter (also taken by `aimd.cubic` and `aimd.classic`,
 * whose {@link AimdCubicOptions} add the cubic limiter's own). Rates are in permits (attempts) a
 * second, times in ms. A value that is not a number at all (or NaN) throws a `TypeError` naming
 * the option; so does an option of `aimd.cubic` given to `aimd()`, which would mean nothing to it.
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
   * The rate to start at, within `[min, max]` (`aimd()` and `aimd.cubic()` throw otherwise;
   * `aimd.classic()` clamps it, and takes zero or negative as left out, as the original did).
   * Left out, it is `min`.
   * Minimum: above 0, finite.
   * @defaultValue `min`
   */
  readonly initial?: number;
  /**
   * The floor the rate never goes below. Left out, it is 1. (The original floors at 1e-9
   * permits a second, one attempt every 30 years, a stall rather than a floor; set a small positive
   * `min` such as 0.1 for services that allow less than one call a second.) `min > max`, zero or
   * negative is an error for `aimd()` and `aimd.cubic()`; `aimd.classic()` swaps and defaults them
   * as the original did.
   * Minimum: above 0, finite.
   * @defaultValue 1
   */
  readonly min?: number;
  /**
   * The ceiling the rate never goes above. Left out, there is none (`aimd.classic()` also
   * takes zero or negative as none; the original, given no max, pinned the rate at min). A `max`
   * below the default `min` lowers the floor to `max`.
   * Minimum: above 0 (Infinity allowed).
   * @defaultValue `Infinity`
   */
  readonly max?: number;
  /**
   * For `aimd()`, the measuring round: what the service delivered over one round is one measure
   * of it, and the rate changes at most once a round on a clean one (each half round in slow
   * start), so a longer round learns more slowly and more surely. For `aimd.cubic()` and
   * `aimd.classic()`, the least time between two increases: successes in between do not raise
   * the rate again (see {@link AimdCubicOptions}). Zero or negative means the default.
   * Minimum: above 0 (Infinity: never increase).
   * @defaultValue 1000 (the original's one second)
   */
  readonly increaseIntervalMs?: number;
  /**
   * The clock for pacing, pauses, rounds and windows and the delivered rate.
   * @defaultValue the processor's clock (handed over through `useClock`), else `systemClock`
   */
  readonly clock?: Clock;
}

/**
 * Options of `aimd.cubic` (the cubic limiter) and, but for the parts it leaves out, of
 * `aimd.classic`: those of {@link AimdOptions} and the cubic limiter's own. Out-of-range numbers
 * are normalised as the original jorb does, each as its entry says; a value that is not a number
 * at all (or NaN) throws a `TypeError` naming the option.
 *
 * @example
 * ```ts
 * const options: AimdCubicOptions = { initial: 50, max: 15_000, backoffFactor: 0.7 };
 * .state('call-api', { concurrency: 64, rateLimit: aimd.cubic(options) })
 * ```
 * @public
 */
export interface AimdCubicOptions extends AimdOptions {
  /**
   * The least time between two increases: successes in between do not raise the rate again. It is
   * also the unit of the cubic curve (4 increases, 4 s, from a backoff back to the estimate). The
   * window runs from the last increase. After a backoff, additive growth (the original's) lets the
   * first success increase at once; cubic growth counts its window from the backoff. Zero or
   * negative means the default.
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
   * @defaultValue true for `aimd.cubic()`; `aimd.classic()` has no slow start
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
   * under the estimate, a plateau around it, then probing above it ever faster (see `aimd.cubic`).
   * Before any backoff (slow start off) it starts on the plateau at `initial`. `'additive'`: +1
   * permit a second per increase, as the original.
   * @defaultValue `'cubic'` for `aimd.cubic()`; `aimd.classic()` is `'additive'`
   */
  readonly growth?: 'cubic' | 'additive';
  /**
   * What a backoff multiplies: `backoffFrom` (the estimate or the rate) times this.
   * Minimum: above 0; maximum: below 1.
   * @defaultValue 0.85 for `aimd.cubic()`; `aimd.classic()` halves (0.5), as the original
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
   * @defaultValue `'estimate'` for `aimd.cubic()`; `aimd.classic()` is `'rate'`
   */
  readonly backoffFrom?: 'estimate' | 'rate';
  /**
   * Raises the rate only when it is what holds callers back: an increase needs a `tryAcquire()`
   * since the previous increase that had to wait for a permit. A state whose concurrency (or a
   * quiet queue) keeps it under the rate then leaves the rate where it is, instead of climbing
   * unchecked (slow start would double it every interval) to a number that protects nothing and
   * takes many backoffs to come down from. A limiter whose `tryAcquire()` is never called (fed
   * only outcomes, as the scenario simulations do) counts as limiting.
   * @defaultValue true for `aimd.cubic()`; false for `aimd.classic()`, which grows on any success as the original does
   */
  readonly growOnlyWhenLimiting?: boolean;
}

/** The keys of {@link AimdOptions}, for `aimd()`'s unknown-option check (the compiler keeps it in step). */
export const AIMD_OPTION_KEYS = optionKeys<AimdOptions>({
  initial: true,
  min: true,
  max: true,
  increaseIntervalMs: true,
  clock: true,
});

/** The options of the cubic limiter alone: those of {@link AimdCubicOptions} that {@link AimdOptions} has not. */
export type AimdCubicOnlyOptions = Omit<AimdCubicOptions, keyof AimdOptions>;

/** The keys of {@link AimdCubicOnlyOptions}: `aimd()` refuses them, naming `aimd.cubic()` (the compiler keeps it in step). */
export const AIMD_CUBIC_ONLY_OPTION_KEYS = optionKeys<AimdCubicOnlyOptions>({
  backoffDebounceMs: true,
  disableBackoffMerge: true,
  slowStart: true,
  slowStartFactor: true,
  growth: true,
  backoffFactor: true,
  backoffFrom: true,
  growOnlyWhenLimiting: true,
});

/** The keys of {@link AimdCubicOptions}, for the unknown-option check of `aimd.cubic()` and `aimd.classic()`. */
export const AIMD_CUBIC_OPTION_KEYS: readonly (keyof AimdCubicOptions)[] = Object.freeze([...AIMD_OPTION_KEYS, ...AIMD_CUBIC_ONLY_OPTION_KEYS]);

/**
 * Checks `aimd()`'s options as an object with none but its own keys, before any is read: an
 * option of the cubic limiter alone throws a TypeError naming it and `aimd.cubic()` (given as
 * `undefined`, it asks for nothing, and passes), any other key as unknown (the cubic limiter's
 * keys among those a typo may have meant).
 *
 * @example
 * ```ts
 * checkLearnerOptions('aimd', { initial: 50, slowStart: false });
 * // throws: aimd: slowStart is an option of aimd.cubic(), not of aimd() (the learning limiter has no such setting): …
 * ```
 * @internal
 */
export function checkLearnerOptions(factory: string, options: unknown): void {
  const object = checkOption(factory, 'options', options, anObject('{ initial: 10 }'));
  for (const key of AIMD_CUBIC_ONLY_OPTION_KEYS) {
    const value = (object as Record<string, unknown>)[key];
    if (Object.hasOwn(object, key) && value !== undefined) {
      throw new TypeError(`${factory}: ${key} is an option of aimd.cubic(), not of aimd() (the learning limiter has no such setting): use aimd.cubic({ ${key}: ${renderValue(value)} }) for the cubic limiter, or leave it out`);
    }
  }
  // the others are unknown (the cubic limiter's are known: one left as undefined asks for nothing)
  checkOptions(factory, object, AIMD_CUBIC_OPTION_KEYS, '{ initial: 10 }');
}

/**
 * The options of a limiter after checking and normalisation: every default applied. Not part of
 * the public API.
 *
 * @example
 * ```ts
 * const s: AimdSettings = aimdSettings('aimd', { initial: 50 }, true); // s.min === 1, s.max === Infinity
 * ```
 * @internal
 */
export interface AimdSettings {
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

const FINITE = rule('finite', (value): value is number => Number.isFinite(value));
const GROWTH = optional(oneOf<AimdGrowth>(['cubic', 'additive']));
const BACKOFF_FROM = optional(oneOf<AimdBackoffFrom>(['estimate', 'rate']));

/**
 * Checks `options` (throwing a TypeError that names `factory` and the option) and normalises them
 * as {@link AimdCubicOptions} documents; `learnFast` picks the cubic limiter's defaults (slow
 * start, growing only when limiting, one permit at start, `aimd()`'s bounds check) over the
 * original's.
 *
 * @example
 * ```ts
 * aimdSettings('aimd.classic', { initial: 100, slowStart: false, growth: 'additive', backoffFactor: 0.5, backoffFrom: 'rate' }, false);
 * ```
 * @internal
 */
export function aimdSettings(factory: string, options: AimdCubicOptions, learnFast: boolean): AimdSettings {
  checkOptions(factory, options, AIMD_CUBIC_OPTION_KEYS, '{ initial: 10 }');
  const number = (name: keyof AimdCubicOptions, finite: boolean): number | undefined => {
    const value = checkOption(factory, name, options[name], optional(aNumber));
    return finite ? checkOption(factory, name, value, optional(FINITE)) : value;
  };
  const flag = (name: keyof AimdCubicOptions, fallback: boolean): boolean => checkOption(factory, name, options[name], optional(aBoolean)) ?? fallback;
  const given = { initial: number('initial', true), min: number('min', true), max: number('max', false) };
  const positive = (n: number | undefined): n is number => n !== undefined && n > 0;

  // aimd() and aimd.cubic() refuse what is no rate, as fixedRate() does; aimd.classic() keeps the original's
  // normalising (0 meant "not set" in Go, and min > max was swapped).
  if (learnFast) checkBounds(factory, given);
  let max = positive(given.max) ? given.max : Infinity;
  let min = positive(given.min) ? given.min : Math.min(DEFAULT_MIN, max);
  if (min > max) [min, max] = [max, min];
  let initial = positive(given.initial) ? given.initial : min;
  initial = Math.min(Math.max(initial, min), max);

  const interval = number('increaseIntervalMs', false);
  const debounce = number('backoffDebounceMs', false);
  const factor = checkOption(factory, 'slowStartFactor', number('slowStartFactor', true), optional(numberIn({ above: 1 })));
  const backoffFactor = checkOption(factory, 'backoffFactor', number('backoffFactor', true), optional(numberIn({ above: 0, below: 1 })));
  checkClock(factory, options.clock);

  return {
    initial,
    min,
    max,
    increaseIntervalMs: positive(interval) ? interval : DEFAULT_INCREASE_INTERVAL_MS,
    backoffDebounceMs: flag('disableBackoffMerge', false) ? 0 : positive(debounce) ? debounce : DEFAULT_BACKOFF_DEBOUNCE_MS,
    slowStart: flag('slowStart', learnFast),
    slowStartFactor: factor ?? DEFAULT_SLOW_START_FACTOR,
    growth: checkOption(factory, 'growth', options.growth, GROWTH) ?? 'cubic',
    backoffFactor: backoffFactor ?? DEFAULT_BACKOFF_FACTOR,
    backoffFrom: checkOption(factory, 'backoffFrom', options.backoffFrom, BACKOFF_FROM) ?? 'estimate',
    growOnlyWhenLimiting: flag('growOnlyWhenLimiting', learnFast),
    openWithOnePermit: learnFast,
    clock: options.clock,
  };
}

/** The rule of aimd() and aimd.cubic(): a rate given must be above 0, `min` ≤ `max`, `initial` within them. */
function checkBounds(factory: string, given: { readonly initial: number | undefined; readonly min: number | undefined; readonly max: number | undefined }): void {
  for (const name of ['initial', 'min', 'max'] as const) {
    const value = given[name];
    if (value !== undefined && !(value > 0)) throw new TypeError(`${factory}: ${name} must be a rate above 0 (permits a second), got ${renderValue(value)}`);
  }
  const { initial, min, max } = given;
  if (min !== undefined && max !== undefined && min > max) throw new TypeError(`${factory}: min (${min}) must not be above max (${max})`);
  if (initial !== undefined && min !== undefined && initial < min) throw new TypeError(`${factory}: initial (${initial}) must not be below min (${min})`);
  if (initial !== undefined && max !== undefined && initial > max) throw new TypeError(`${factory}: initial (${initial}) must not be above max (${max})`);
}
