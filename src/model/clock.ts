/**
 * Time as the engine and every policy see it. The system clock by default; a `FakeClock` from
 * `jorb-ts/testing` in tests, so timeouts, retries and rate limits are tested without sleeping.
 *
 * @example
 * ```ts
 * const clock: Clock = systemClock;
 * const handle = clock.setTimeout(() => console.log('later'), 100);
 * clock.clearTimeout(handle);
 * ```
 * @public
 */
export interface Clock {
  /** Milliseconds since the epoch (or since a fake clock's start). */
  now(): number;
  /** Calls `fn` once, `ms` from now; returns a handle for `clearTimeout`. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a pending `setTimeout`. */
  clearTimeout(handle: unknown): void;
}

/**
 * The real clock: `Date.now` and the global timers (which vitest's fake timers also control).
 *
 * @example
 * ```ts
 * const started = systemClock.now();
 * ```
 * @public
 */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number): unknown => setTimeout(fn, ms),
  clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
});
