// Helpers shared by the rate limiters (fixed-rate.ts, aimd.ts); not part of the public API.
import { systemClock } from '../model/clock.js';
import type { Clock } from '../model/clock.js';
import { checkOption, optional, rule } from '../model/check-option.js';

/** Tokens within this of a whole one count as whole, so float drift never costs a wait. */
const TOKEN_EPSILON = 1e-9;

/**
 * A token bucket: holds up to `burst` tokens, refilled at `rate` per second; each permit takes
 * one. Times are the owner's clock readings in ms; the bucket keeps no clock of its own.
 *
 * @example
 * ```ts
 * const bucket = new TokenBucket(10, 1, clock.now());
 * bucket.take(clock.now()); // 0: took the token
 * bucket.take(clock.now()); // 100: the next token is 100 ms away
 * ```
 * @internal
 */
export class TokenBucket {
  #rate: number;
  #burst: number;
  #tokens: number;
  /** Tokens are counted up to this time; it may lie ahead while refilling is held for a pause. */
  #stamp: number;

  /** Starts full. `rate` (per second) must be positive and finite, `burst` at least 1. */
  constructor(rate: number, burst: number, now: number) {
    this.#rate = rate;
    this.#burst = burst;
    this.#tokens = burst;
    this.#stamp = now;
  }

  /** Takes a token and returns 0, or returns the whole ms (at least 1) until one is free. */
  take(now: number): number {
    this.#refill(now);
    if (this.#tokens >= 1 - TOKEN_EPSILON) {
      this.#tokens -= 1;
      return 0;
    }
    const refillStartsIn = Math.max(0, this.#stamp - now);
    return Math.max(1, Math.ceil(refillStartsIn + ((1 - this.#tokens) * 1000) / this.#rate));
  }

  /** Changes rate and burst from `now` on: tokens earned so far are kept, up to the new burst. */
  set(rate: number, burst: number, now: number): void {
    this.#refill(now);
    this.#rate = rate;
    this.#burst = burst;
    this.#tokens = Math.min(this.#tokens, burst);
  }

  /** Earns nothing before `until`, and keeps at most one token for then (one probe, not a burst). */
  holdUntil(until: number, now: number): void {
    this.#refill(now);
    this.#tokens = Math.min(this.#tokens, 1);
    this.#stamp = Math.max(this.#stamp, until);
  }

  /** Moves the bucket's time base by `deltaMs` (when its owner changes clocks). */
  shift(deltaMs: number): void {
    this.#stamp += deltaMs;
  }

  #refill(now: number): void {
    if (now <= this.#stamp) return;
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#stamp) * this.#rate) / 1000);
    this.#stamp = now;
  }
}

/**
 * A limiter's clock: the one it was made with, else the one the processor hands it through
 * `useClock`, else the system clock. Switching clocks returns how far the new clock reads ahead
 * of the old, so the limiter can move its timestamps and keep its pauses and windows.
 *
 * @example
 * ```ts
 * const slot = new ClockSlot(options.clock);
 * const delta = slot.use(processorClock); // 0 when the limiter has a clock of its own
 * ```
 * @internal
 */
export class ClockSlot {
  readonly #own: boolean;
  #clock: Clock;

  constructor(clock: Clock | undefined) {
    this.#own = clock !== undefined;
    this.#clock = clock ?? systemClock;
  }

  now(): number {
    return this.#clock.now();
  }

  /** Switches to `clock` unless a clock was given at construction; returns the shift in ms (0 if none). */
  use(clock: Clock): number {
    if (this.#own || clock === this.#clock) return 0;
    const delta = clock.now() - this.#clock.now();
    this.#clock = clock;
    return delta;
  }
}

/**
 * Checks that an optional `clock` option is a Clock, with a message naming the factory.
 *
 * @example
 * ```ts
 * checkClock('fixedRate', options.clock);
 * ```
 * @internal
 */
export function checkClock(factory: string, clock: unknown): void {
  checkOption(factory, 'clock', clock, optional(A_CLOCK));
}

const A_CLOCK = rule(
  'a Clock (an object with now(), setTimeout() and clearTimeout())',
  (value): value is Clock => typeof value === 'object' && value !== null && typeof (value as Partial<Clock>).now === 'function',
);

/**
 * The retry-after a rate-limit signal carried, if it is a usable wait (positive and finite).
 *
 * @example
 * ```ts
 * usableWait(Number.NaN); // undefined
 * ```
 * @internal
 */
export function usableWait(ms: number | undefined): number | undefined {
  return typeof ms === 'number' && Number.isFinite(ms) && ms > 0 ? ms : undefined;
}
