import type { Clock } from '../model/clock.js';
import type { RateLimiter } from '../model/rate-limiter.js';
import type { AimdSettings } from './aimd-options.js';
import { DeliveryMeter } from './delivery-meter.js';
import { ClockSlot, TokenBucket, usableWait } from './token-bucket.js';

/** Cubic growth: the number of increases after a backoff that bring the rate back to the estimate. */
const RECOVERY_INCREASES = 4;
/** The bucket holds this much time's worth of permits: burst = max(1, rate × 0.1 s). */
const BURST_WINDOW_MS = 100;

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
  /**
   * `aimd()`: `'slow-start'` until it has measured the service, then `'cruise'` (at its ceiling,
   * or coming back to it), `'probe'` (above it, in case the quota went up) or `'blocked'` (the
   * service refuses everything for now: one probe at a time). `aimd.cubic()` and `aimd.classic()`:
   * `'slow-start'` until the first rate-limit signal (with slow start on), then how the rate
   * grows, `'cubic'` or `'additive'`.
   */
  readonly phase: 'slow-start' | 'cruise' | 'probe' | 'blocked' | 'cubic' | 'additive';
  /**
   * What the limiter takes the service's limit to be: for `aimd()`, the rate it last measured the
   * service to allow; for `aimd.cubic()` and `aimd.classic()`, what the last backoff started from
   * (the estimate of the service's limit, or the rate). `Infinity` until then.
   */
  readonly estimate: number;
  /** How long `tryAcquire()` still answers with a pause after a retry-after, in ms (0 if none). */
  readonly pausedForMs: number;
  /** Increases applied. */
  readonly increases: number;
  /** Backoffs applied (cuts of the rate and, for `aimd()`, blocks; for the others each multiplied by `backoffFactor`, down to `min`). */
  readonly backoffs: number;
  /**
   * Rate-limit signals that backed off nothing on their own: for `aimd()`, answers to calls sent
   * before its last cut, a concurrency cap's, those during a block or a pause, and those it left to
   * the round's measure; for the others, those merged into an earlier backoff by the debounce
   * window (corrections of the estimate included).
   */
  readonly mergedBackoffs: number;
}

/**
 * A rate limiter that adapts to the service, made by {@link aimd}: `aimd()` learns the rate from
 * what the service delivers; `aimd.cubic()` backs off multiplicatively on "too many requests"
 * with slow start and cubic growth; `aimd.classic()` grows additively (AIMD), as the original.
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
 * The limiter `aimd.cubic()` and `aimd.classic()` make, from checked settings: a token bucket paced at
 * the current rate, raised on successes and backed off on rate-limit signals as the settings say,
 * with a {@link DeliveryMeter} for what the service let through. Not part of the public API.
 *
 * @example
 * ```ts
 * const limiter = new AimdRateLimiter(aimdSettings('aimd.cubic', { initial: 50 }, true));
 * ```
 * @internal
 */
export class AimdRateLimiter implements AimdLimiter {
  readonly #s: AimdSettings;
  readonly #clock: ClockSlot;
  readonly #bucket: TokenBucket;
  readonly #meter: DeliveryMeter;
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
  /** Whether tryAcquire has ever been called (else the limiter is a model fed only outcomes, with no real time to measure by). */
  #paced = false;
  /** Whether a tryAcquire had to wait for a permit since the last increase. */
  #limitedSinceIncrease = false;
  /** What the last backoff started from; cubic growth aims at it (`initial` before any backoff). */
  #estimate: number;
  /** Cubic growth: increases applied since the last backoff (starting on the plateau before any). */
  #sinceBackoff = RECOVERY_INCREASES;
  /** The rate before the last increase outside slow start, until the next backoff. */
  #beforeIncrease: number | undefined;
  #increases = 0;
  #backoffs = 0;
  #merged = 0;

  constructor(s: AimdSettings) {
    this.#s = s;
    this.#rate = s.initial;
    this.#estimate = s.initial;
    this.#slowStart = s.slowStart;
    this.#clock = new ClockSlot(s.clock);
    this.#meter = new DeliveryMeter(s.increaseIntervalMs);
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
    this.#meter.success(now);
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
    this.#meter.backedOff(now);
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
    this.#meter.rateChanged();
    this.#bucket.set(rate, burstFor(rate), now);
  }

  /**
   * What a backoff starts from under `backoffFrom: 'estimate'`: the lowest of the rate, the
   * rate delivered since it was set and the rate before the last increase; or what was delivered
   * since the previous backoff when that is lower still than where the backoff would go.
   */
  #estimateNow(now: number): number {
    const from = Math.min(this.#rate, this.#deliveredAtRate() ?? Infinity, this.#beforeIncrease ?? Infinity);
    const sinceBackoff = this.#paced ? this.#meter.sinceBackoff(now) : undefined;
    return sinceBackoff !== undefined && sinceBackoff < from * this.#s.backoffFactor ? sinceBackoff : from;
  }

  /** What the service let through since the rate last changed; never measured for a limiter that paces no one. */
  #deliveredAtRate(): number | undefined {
    return this.#paced ? this.#meter.atRate() : undefined;
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
    this.#meter.shift(delta);
    this.#bucket.shift(delta);
  }
}

function burstFor(rate: number): number {
  return Math.max(1, (rate * BURST_WINDOW_MS) / 1000);
}
