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
   * How many jobs of this state execute at once: a whole number, or `adaptive(…)` for a limit
   * that follows the service (it grows while more in flight raises throughput and shrinks when
   * latency, overload errors or the event loop say it is too many).
   *
   * Minimum: 1 (a whole number).
   * @defaultValue 1
   */
  readonly concurrency?: number | AdaptiveConcurrency;
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

/**
 * Why an adaptive concurrency limit moved, or held, at one of its decisions:
 *
 * - `'start'`: the limit it starts with.
 * - `'slow-start'`: doubled (nothing has pushed back yet, or it is coming back after an overload).
 * - `'grow'`: one more, or a few more for a large limit: the limit was in use and latency stayed at its baseline.
 * - `'hold'`: kept near the level where latency last rose, before it tries that level again.
 * - `'steady'`: already at `max`, or in use with latency at its baseline and nothing to change.
 * - `'unused'`: fewer attempts were in flight than the limit allows: it never grows then.
 * - `'latency'`: latency rose above its baseline (the service queues): cut by how much it rose.
 * - `'overload'`: an attempt timed out or threw a `RateLimitError` (a 429, a 503): halved.
 * - `'rate-limit'`: the state's rate limit needs no more in flight than this (Little's law: rate × latency, plus headroom).
 * - `'event-loop'`: the event loop is saturated: held (or cut when it is badly late).
 * - `'rebaseline'`: a cut did not lower latency, so the queue was not this state's: latency's baseline is the new latency, and the limit comes back.
 *
 * @example
 * ```ts
 * const why: AdaptiveReason | undefined = fetchLimit.snapshot().last?.reason; // 'latency'
 * ```
 * @public
 */
export type AdaptiveReason = 'start' | 'slow-start' | 'grow' | 'hold' | 'steady' | 'unused' | 'latency' | 'overload' | 'rate-limit' | 'event-loop' | 'rebaseline';

/**
 * One decision of an adaptive concurrency limit: when, why, from what to what, in words.
 *
 * @example
 * ```ts
 * const { at, reason, from, to, detail } = fetchLimit.snapshot().recent[0]!;
 * console.log(`${at}: ${from} -> ${to} (${reason}: ${detail})`); // 81250: 9 -> 8 (latency: latency 64 ms, 1.27× its baseline of 50 ms)
 * ```
 * @public
 */
export interface AdaptiveDecision {
  /** When, by the processor's clock (ms). */
  readonly at: number;
  /** Why. */
  readonly reason: AdaptiveReason;
  /** The limit before. */
  readonly from: number;
  /** The limit after (the same as `from` when it held). */
  readonly to: number;
  /** What it saw, in words. */
  readonly detail: string;
}

/**
 * What an adaptive concurrency limit knows right now, for status displays, logs and tests.
 *
 * @example
 * ```ts
 * const { limit, baselineMs, latencyMs, last } = fetchLimit.snapshot();
 * console.log(`limit ${limit}: latency ${latencyMs} ms against ${baselineMs} ms unloaded; last ${last?.reason}`);
 * ```
 * @public
 */
export interface AdaptiveSnapshot {
  /** The concurrency limit now (the same as `current()`). */
  readonly limit: number;
  /** The floor. */
  readonly min: number;
  /** The ceiling (also the state's `concurrency` in its graph node). */
  readonly max: number;
  /** `'slow-start'` while it doubles, `'steady'` after latency or an overload first pushed back. */
  readonly phase: 'slow-start' | 'steady';
  /** The lowest median latency of a window (the service unloaded), in ms; undefined before the first window. */
  readonly baselineMs: number | undefined;
  /** The median latency of the last window, in ms; undefined before the first. */
  readonly latencyMs: number | undefined;
  /** The limit at which latency last rose or an overload came: it holds below it a while before trying it again; undefined for none. */
  readonly ceiling: number | undefined;
  /** The event loop's delay at the last decision, in ms (0 when it is not measured). */
  readonly eventLoopDelayMs: number;
  /** Decisions taken so far (a hold counts). */
  readonly decisions: number;
  /** The last decision; undefined until a processor first runs the state. */
  readonly last: AdaptiveDecision | undefined;
  /** The last decisions, oldest first (at most 64). */
  readonly recent: readonly AdaptiveDecision[];
}

/**
 * A state's adaptive concurrency limit, made by `adaptive(…)`: pass it as the state's
 * `concurrency`. One per state. Read it while the run goes on; the engine drives it.
 *
 * @example
 * ```ts
 * const limit: AdaptiveConcurrency = adaptive({ initial: 4, max: 64 });
 * wf.state('fetch', { concurrency: limit });
 * setInterval(() => console.log(limit.current(), limit.snapshot().last?.reason), 1000);
 * ```
 * @public
 */
export interface AdaptiveConcurrency {
  /** The concurrency limit now. */
  current(): number;
  /** The limit, its bounds, what it measured and its last decisions. */
  snapshot(): AdaptiveSnapshot;
}

/** The keys of {@link StateOptions}, for the unknown-option check (the compiler keeps it in step). */
export const STATE_OPTION_KEYS = optionKeys<StateOptions>({ concurrency: true, timeout: true, retry: true, rateLimit: true, hedge: true, recursive: true, join: true });
