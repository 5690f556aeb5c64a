import type { Clock } from '../model/clock.js';
import type { RateLimiter } from '../model/rate-limiter.js';
import { checkOption, checkOptions, numberIn, optionKeys, optional, wholeNumber } from '../model/check-option.js';
import { ClockSlot, TokenBucket, checkClock, usableWait } from './token-bucket.js';

const POSITIVE = numberIn({ above: 0 });

/**
 * Options of {@link fixedRate}.
 *
 * @example
 * ```ts
 * const options: FixedRateOptions = { burst: 5 };
 * .state('fetch', { concurrency: 8, rateLimit: fixedRate(20, options) })
 * ```
 * @public
 */
export interface FixedRateOptions {
  /**
   * How many attempts may start at once after a quiet spell: the bucket holds this many permits
   * and starts full. With the default, attempts are spaced evenly (`1000 / perSecond` ms apart),
   * so no window of any length sees more than one attempt above its share.
   *
   * Minimum: 1 (a whole number).
   * @defaultValue 1
   */
  readonly burst?: number;
  /**
   * The clock to pace by.
   * @defaultValue the processor's clock (handed over through `useClock`), else `systemClock`
   */
  readonly clock?: Clock;
}

/** The keys of {@link FixedRateOptions}, for the unknown-option check (the compiler keeps it in step). */
const FIXED_RATE_OPTION_KEYS = optionKeys<FixedRateOptions>({ burst: true, clock: true });

/**
 * A fixed rate limit shared by every worker of a state: a token bucket refilled at `perSecond`
 * permits a second, holding up to `burst`. `tryAcquire()` takes a permit and returns 0, or returns
 * the ms until the next one. A rate-limit signal with a retry-after pauses it for that long; the
 * rate itself never changes (use {@link aimd} to adapt to the service).
 *
 * Throws a `TypeError` when `perSecond` is not a positive, finite number, `burst` not a whole
 * number from 1 up or `options` names an option it does not have: "fixedRate: perSecond must be a
 * positive number, got 0", "fixedRate: unknown option "brust" (did you mean "burst"?)".
 *
 * @param perSecond - Permits a second. Minimum: above 0 (fractions allowed: 0.5 is one every 2 s).
 * @example
 * ```ts
 * // at most 10 calls a second, evenly spaced, whatever the concurrency
 * .state('geocode', { concurrency: 4, rateLimit: fixedRate(10) })
 * // 100 a second, up to 20 at once after a pause
 * .state('upload', { concurrency: 20, rateLimit: fixedRate(100, { burst: 20 }) })
 * ```
 * @public
 */
export function fixedRate(perSecond: number, options: FixedRateOptions = {}): Required<RateLimiter> {
  if (perSecond === Infinity) {
    throw new TypeError('fixedRate: perSecond must be finite (leave rateLimit out for no limit), got Infinity');
  }
  checkOption('fixedRate', 'perSecond', perSecond, POSITIVE);
  checkOptions('fixedRate', options, FIXED_RATE_OPTION_KEYS, '{ burst: 5 }');
  const burst = checkOption('fixedRate', 'burst', options.burst, optional(wholeNumber(1))) ?? 1;
  checkClock('fixedRate', options.clock);
  return new FixedRateLimiter(perSecond, burst, options.clock);
}

class FixedRateLimiter implements RateLimiter {
  readonly #rate: number;
  readonly #clock: ClockSlot;
  readonly #bucket: TokenBucket;
  #pausedUntil = -Infinity;

  constructor(rate: number, burst: number, clock: Clock | undefined) {
    this.#rate = rate;
    this.#clock = new ClockSlot(clock);
    this.#bucket = new TokenBucket(rate, burst, this.#clock.now());
  }

  tryAcquire(): number {
    const now = this.#clock.now();
    if (now < this.#pausedUntil) return Math.ceil(this.#pausedUntil - now);
    return this.#bucket.take(now);
  }

  onSuccess(): void {}

  onFailure(): void {}

  onRateLimited(retryAfterMs?: number): void {
    const wait = usableWait(retryAfterMs);
    if (wait === undefined) return;
    const now = this.#clock.now();
    this.#pausedUntil = Math.max(this.#pausedUntil, now + wait);
    this.#bucket.holdUntil(this.#pausedUntil, now);
  }

  current(): number {
    return this.#rate;
  }

  useClock(clock: Clock): void {
    const delta = this.#clock.use(clock);
    if (delta === 0) return;
    this.#pausedUntil += delta;
    this.#bucket.shift(delta);
  }
}
