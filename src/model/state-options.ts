import type { RateLimiter } from './rate-limiter.js';
import { optionKeys } from './check-option.js';

/**
 * A per-attempt time limit for a state.
 *
 * @example
 * ```ts
 * .state('fetch', { timeout: { ms: 30_000, failState: 'fetch-failed' } }).to('parse', 'fetch-failed')
 * ```
 * @public
 */
export interface TimeoutOptions<F extends string = string> {
  /**
   * How long one attempt may run, in milliseconds. On expiry the attempt's `signal` aborts,
   * `timed out after <ms>ms` is recorded in `job.errors[state]` and the job moves to `failState`.
   *
   * Minimum: greater than 0.
   */
  readonly ms: number;
  /** Where a timed-out job goes; must be one of the state's `.to(...)` targets. */
  readonly failState: F;
  /**
   * Fresh attempts after a timeout before the job goes to `failState`; each timeout is recorded.
   * Minimum: 0.
   * @defaultValue 0
   */
  readonly retries?: number;
}

/** The keys of {@link TimeoutOptions}, for the unknown-option check (the compiler keeps it in step). */
export const TIMEOUT_OPTION_KEYS = optionKeys<TimeoutOptions>({ ms: true, failState: true, retries: true });

/**
 * Exponential backoff between retries: attempt `n` waits up to `initialMs × multiplier^(n-1)`,
 * capped at `maxMs`; with full jitter (the default) a random time between 0 and that.
 *
 * @example
 * ```ts
 * const backoff: BackoffOptions = { initialMs: 200, maxMs: 10_000, multiplier: 2, jitter: 'full' };
 * ```
 * @public
 */
export interface BackoffOptions {
  /** The first wait. Minimum: 0. @defaultValue 100 */
  readonly initialMs?: number;
  /** The longest wait. Minimum: `initialMs`. @defaultValue 30,000, or `initialMs` when that is longer */
  readonly maxMs?: number;
  /** Growth per attempt. Minimum: 1. @defaultValue 2 */
  readonly multiplier?: number;
  /** `full`: a uniformly random wait up to the computed one (spreads a thundering herd); `none`: exactly it. @defaultValue 'full' */
  readonly jitter?: 'full' | 'none';
}

/** The keys of {@link BackoffOptions}, for the unknown-option check (the compiler keeps it in step). */
export const BACKOFF_OPTION_KEYS = optionKeys<BackoffOptions>({ initialMs: true, maxMs: true, multiplier: true, jitter: true });

/**
 * Retries of a state's exec when it throws.
 *
 * @example
 * ```ts
 * .state('fetch', { retry: { attempts: 5, backoff: { initialMs: 500 }, then: 'fetch-failed' } }).to('parse', 'fetch-failed')
 * ```
 * @public
 */
export interface RetryOptions<R extends string = string> {
  /**
   * How many times exec runs at most for one visit of the state, the first included; each thrown
   * error is recorded. Counting restarts from 1 when the process restarts.
   * Minimum: 1.
   */
  readonly attempts: number;
  /** The wait between attempts, spent without holding a concurrency slot. */
  readonly backoff?: BackoffOptions;
  /** Which errors are worth another attempt. @defaultValue every error */
  readonly retryOn?: (error: unknown) => boolean;
  /** Where the job goes when attempts run out; one of the state's `.to(...)` targets. @defaultValue it stays, marked failed */
  readonly then?: R;
}

/** The keys of {@link RetryOptions}, for the unknown-option check (the compiler keeps it in step). */
export const RETRY_OPTION_KEYS = optionKeys<RetryOptions>({ attempts: true, backoff: true, retryOn: true, then: true });

/**
 * Hedging: when an attempt has not finished after `afterMs`, start another, up to `max` at once;
 * the first to return wins, the others are aborted, and it counts as one transition. Hedges share
 * the job's concurrency slot and take a rate-limit permit each (a hedge waits when there is none).
 *
 * @example
 * ```ts
 * .state('lookup', { hedge: { afterMs: 200, max: 2 } })
 * ```
 * @public
 */
export interface HedgeOptions {
  /** How long an attempt runs before a hedge starts. Minimum: greater than 0. */
  readonly afterMs: number;
  /** Most execs of one attempt in flight at once, the first included. Minimum: 2. */
  readonly max: number;
}

/** The keys of {@link HedgeOptions}, for the unknown-option check (the compiler keeps it in step). */
export const HEDGE_OPTION_KEYS = optionKeys<HedgeOptions>({ afterMs: true, max: true });

/**
 * A join: a job entering the state waits there, holding no slot, until every child it has kicked
 * has settled (reached a terminal state, or been marked failed); then its exec runs once with
 * `children`. `failState` routes it at once to one of the state's `.to(...)` targets when a child
 * fails, without running the exec; without it a failed child is a settled child (`failed: true`).
 *
 * @example
 * ```ts
 * .state('merge', { join: { failState: 'partial' } }).to('done', 'partial')
 * ```
 * @public
 */
export interface JoinOptions<F extends string = string> {
  /** Where the job goes as soon as one of its children fails; one of the state's `.to(...)` targets. */
  readonly failState?: F;
}

/** The keys of {@link JoinOptions}, for the unknown-option check (the compiler keeps it in step). */
export const JOIN_OPTION_KEYS = optionKeys<JoinOptions>({ failState: true });

/**
 * How a state runs its jobs.
 *
 * @example
 * ```ts
 * .state('parse', { concurrency: 4 })
 * ```
 * @public
 */
export interface StateOptions<F extends string = never, R extends string = never> {
  /**
   * How many jobs of this state execute at once.
   *
   * Minimum: 1 (a whole number).
   * @defaultValue 1
   */
  readonly concurrency?: number;
  /** A per-attempt time limit; without one an attempt may run for ever. */
  readonly timeout?: TimeoutOptions<F>;
  /** Retries when exec throws; `then` names where the job goes when they run out. */
  readonly retry?: RetryOptions<R>;
  /** A rate limit shared by all the state's workers: `fixedRate(…)` or `aimd(…)`. */
  readonly rateLimit?: RateLimiter;
  /** Start another attempt when one is slow; the first to finish wins. */
  readonly hedge?: HedgeOptions;
  /**
   * Wait here until every child the job kicked has settled, then run the exec once with them
   * (`children`, in kick order); `{ failState }` leaves for that target as soon as a child fails.
   * A job with no children runs at once. @defaultValue false
   */
  readonly join?: boolean | JoinOptions<F>;
  /**
   * Says that this state's kicks may lead back to it on purpose: a tree walk, or a crawl bounded by
   * kick keys. `jorb lint` then does not report the spawn cycle through this state.
   * @defaultValue false
   */
  readonly recursive?: boolean;
}

/** The keys of {@link StateOptions}, for the unknown-option check (the compiler keeps it in step). */
export const STATE_OPTION_KEYS = optionKeys<StateOptions>({ concurrency: true, timeout: true, retry: true, rateLimit: true, hedge: true, recursive: true, join: true });
