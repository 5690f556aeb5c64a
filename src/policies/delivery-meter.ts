/** A delivered rate is measured from at least this many successes... */
const MIN_SUCCESSES = 2;
/** ...spread over at least this share of the limiter's increase interval (50 ms by default). */
const MIN_SPAN = 1 / 20;

/**
 * What a service actually let through, measured from the successes an adaptive limiter is told
 * of: since the rate last changed (successes a second between the first and the last of them,
 * precise for a steady stream) and since the last backoff (successes over the time since, right
 * for services that let a burst through and then refuse, such as fixed windows). Times are the
 * owner's clock readings in ms; the meter keeps no clock of its own. Not part of the public API.
 *
 * @example
 * ```ts
 * const meter = new DeliveryMeter(1000);
 * meter.success(0); meter.success(100); meter.success(200);
 * meter.atRate(); // 10 (a second's worth of successes: 2 gaps of 100 ms)
 * ```
 * @internal
 */
export class DeliveryMeter {
  /** The least time successes must span to be a measure, in ms. */
  readonly #minSpanMs: number;
  /** Successes since the rate last changed, and when the first and the last of them came. */
  #atRate = 0;
  #first = 0;
  #last = 0;
  /** Successes since the last backoff, and when it was (undefined before the first). */
  #sinceBackoff = 0;
  #backoffAt: number | undefined;

  /** `increaseIntervalMs`: successes must span at least a twentieth of it to count as a measure. */
  constructor(increaseIntervalMs: number) {
    this.#minSpanMs = increaseIntervalMs * MIN_SPAN;
  }

  /** An attempt succeeded at `now`. */
  success(now: number): void {
    if (this.#atRate++ === 0) this.#first = now;
    this.#sinceBackoff++;
    this.#last = now;
  }

  /** The rate changed: measure what is delivered at the new one afresh. */
  rateChanged(): void {
    this.#atRate = 0;
  }

  /** A backoff was applied at `now`: count what is delivered since afresh. */
  backedOff(now: number): void {
    this.#sinceBackoff = 0;
    this.#backoffAt = now;
  }

  /**
   * Successes a second since the rate last changed, between the first and the last of them;
   * undefined when there are too few, or too close together.
   */
  atRate(): number | undefined {
    if (this.#atRate < MIN_SUCCESSES) return undefined;
    const ms = this.#last - this.#first;
    return ms > 0 && ms >= this.#minSpanMs ? ((this.#atRate - 1) * 1000) / ms : undefined;
  }

  /** Successes a second since the last backoff, up to `now`; undefined before a backoff, or with too little to go on. */
  sinceBackoff(now: number): number | undefined {
    if (this.#backoffAt === undefined || this.#sinceBackoff < MIN_SUCCESSES) return undefined;
    const ms = now - this.#backoffAt;
    return ms > 0 && ms >= this.#minSpanMs ? (this.#sinceBackoff * 1000) / ms : undefined;
  }

  /** Moves the meter's time base by `deltaMs` (when its owner changes clocks). */
  shift(deltaMs: number): void {
    this.#first += deltaMs;
    this.#last += deltaMs;
    if (this.#backoffAt !== undefined) this.#backoffAt += deltaMs;
  }
}
