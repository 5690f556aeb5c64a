import type { Clock } from './clock.js';

/**
 * A state's rate limit, shared by every worker of the state: the engine asks it before starting
 * each attempt (waiting without holding a concurrency slot) and tells it how attempts went.
 * `fixedRate(...)` and `aimd(...)` make one; implement it for another policy.
 *
 * @example
 * ```ts
 * const limiter: RateLimiter = fixedRate(50, { burst: 10 });
 * ```
 * @public
 */
export interface RateLimiter {
  /**
   * Takes a permit for one attempt if one is free and returns 0, or returns how many ms to wait
   * before asking again (a pause after a rate-limit signal counts).
   */
  tryAcquire(): number;
  /** An attempt succeeded (returned a transition). */
  onSuccess(): void;
  /**
   * Optional: an attempt ended with neither a transition nor a rate-limit signal (it threw another
   * error, timed out, or was aborted by a shutdown). With `onSuccess` and `onRateLimited`, every
   * attempt ends in exactly one of the three, so a limiter can count calls in flight. Two
   * exceptions: a hedge (a second exec of a slow attempt) takes a permit of its own and ends with
   * its attempt, and a shared PostgreSQL run takes permits from the store, not from `tryAcquire`.
   */
  onFailure?(): void;
  /**
   * The service said "too many requests"; `retryAfterMs` when it said how long to wait. Return a
   * number of ms to decide how long the state pauses (0: not at all), as `aimd()` does; return
   * nothing to let the engine pause it for `retryAfterMs`, as `fixedRate()`, `aimd.cubic()` and
   * `aimd.classic()` do.
   */
  onRateLimited(retryAfterMs?: number): number | void;
  /** The rate in permits per second right now. */
  current(): number;
  /**
   * Optional: uses `clock` unless the limiter was made with a clock of its own. The processor calls
   * it with its own clock (a `FakeClock` in tests); a limiter without it keeps whatever clock it has.
   */
  useClock?(clock: Clock): void;
}
