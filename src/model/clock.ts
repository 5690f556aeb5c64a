/**
 * Time as the engine and every policy see it. The system clock by default; a `FakeClock` from
 * `jorb-ts/testing` in tests, so timeouts, retries and rate limits are tested without sleeping.
 *
 * A clock waits as long as it is asked, however long: a 30-day timeout fires after 30 days (the
 * global `setTimeout` fires a wait above 2,147,483,647 ms, about 24.8 days, after 1 ms).
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
  /**
   * Calls `fn` once, `ms` from now, whatever the length of the wait; returns a handle for
   * `clearTimeout`. A negative or NaN `ms` is no wait; `Infinity` never calls `fn`.
   */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a pending `setTimeout`. */
  clearTimeout(handle: unknown): void;
}

/**
 * The longest wait one global timer keeps: 2³¹ − 1 ms (about 24.8 days). Node (and every
 * browser) fires a longer one after 1 ms, with a TimeoutOverflowWarning.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** A wait longer than one timer keeps: a chain of timers, the current one swapped in as each fires. */
class LongWait {
  timer: ReturnType<typeof setTimeout> | undefined;
  cancelled = false;
}

/**
 * The real clock: `Date.now` and the global timers (which vitest's fake timers also control). A
 * wait longer than `MAX_TIMER_MS` (2^31 - 1 ms) runs as a chain of timers of at most that each, one at a
 * time, and `clearTimeout` cancels the chain wherever it is; a shorter one is a single timer.
 *
 * @example
 * ```ts
 * const started = systemClock.now();
 * const handle = systemClock.setTimeout(() => console.log('a month later'), 30 * 24 * 3600_000);
 * systemClock.clearTimeout(handle);
 * ```
 * @public
 */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number): unknown => {
    if (!(ms > MAX_TIMER_MS)) return setTimeout(fn, ms); // NaN and negatives too: the global timer's no-wait
    const wait = new LongWait();
    if (ms === Infinity) return wait; // never: holds no timer, so it keeps no process alive
    let left = ms;
    const step = (): void => {
      if (wait.cancelled) return;
      if (left <= 0) {
        wait.timer = undefined;
        fn();
        return;
      }
      const chunk = Math.min(left, MAX_TIMER_MS);
      left -= chunk;
      wait.timer = setTimeout(step, chunk);
    };
    step();
    return wait;
  },
  clearTimeout: (handle: unknown) => {
    if (handle instanceof LongWait) {
      handle.cancelled = true;
      clearTimeout(handle.timer);
      handle.timer = undefined;
      return;
    }
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
});
