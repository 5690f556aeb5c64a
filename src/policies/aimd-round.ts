/**
 * What one measuring round of the learning limiter saw: successes, rejections, whether callers
 * had to wait for a permit, and how much of it the state spent paused by a retry-after (time in
 * which nothing could be delivered, so not time the service's rate is measured over). Times are
 * the owner's clock readings in ms. Not part of the public API.
 *
 * @example
 * ```ts
 * const round = new AimdRound(0);
 * round.success(); round.success();
 * round.delivered(500); // 4 a second
 * ```
 * @internal
 */
export class AimdRound {
  start: number;
  successes = 0;
  rejections = 0;
  /** Rejections since the last success (a streak says the service refuses everything now). */
  streak = 0;
  /** Whether a caller had to wait for a permit in this round (the rate is what holds them back). */
  limited = false;
  /** ms of this round the state was paused by a retry-after. */
  pausedMs = 0;

  constructor(now: number) {
    this.start = now;
  }

  /** Starts a new round at `now`, keeping the streak (it spans rounds). */
  reset(now: number): void {
    this.start = now;
    this.successes = 0;
    this.rejections = 0;
    this.limited = false;
    this.pausedMs = 0;
  }

  success(): void {
    this.successes++;
    this.streak = 0;
  }

  rejection(): void {
    this.rejections++;
    this.streak++;
  }

  /** The share of this round's answers that were rejections (0 with none). */
  rejectedShare(): number {
    const all = this.successes + this.rejections;
    return all === 0 ? 0 : this.rejections / all;
  }

  /** Successes a second over the round's time up to `now`, less its paused time (at least a quarter of it). */
  delivered(now: number): number {
    const elapsed = now - this.start;
    const active = Math.max(elapsed / 4, elapsed - this.pausedMs);
    return active > 0 ? (this.successes * 1000) / active : 0;
  }

  /** Moves the round's time base by `deltaMs` (when its owner changes clocks). */
  shift(deltaMs: number): void {
    this.start += deltaMs;
  }
}

/** Slots a {@link RecentCount} splits its span into. */
const RECENT_SLOTS = 100;

/**
 * Successes within about the last `spanMs` (to a hundredth of it), for the learning limiter: what
 * the service let through in the last window before it refused everything. Not part of the
 * public API.
 *
 * @example
 * ```ts
 * const recent = new RecentCount(1000);
 * recent.add(0); recent.add(400);
 * recent.count(1050); // 2
 * ```
 * @internal
 */
export class RecentCount {
  readonly #slotMs: number;
  readonly #counts = new Float64Array(RECENT_SLOTS);
  #slot = -Infinity;

  constructor(spanMs: number) {
    this.#slotMs = spanMs / RECENT_SLOTS;
  }

  add(now: number): void {
    this.#advance(now);
    const i = this.#slot % RECENT_SLOTS;
    this.#counts[i] = (this.#counts[i] ?? 0) + 1;
  }

  /** The count over the last span, up to `now`. */
  count(now: number): number {
    this.#advance(now);
    let sum = 0;
    for (const c of this.#counts) sum += c;
    return sum;
  }

  /** Moves the time base by `deltaMs` (when its owner changes clocks). */
  shift(deltaMs: number): void {
    this.#slot += Math.round(deltaMs / this.#slotMs);
  }

  #advance(now: number): void {
    const slot = Math.floor(now / this.#slotMs);
    if (slot <= this.#slot) return;
    const steps = Math.min(RECENT_SLOTS, slot - this.#slot);
    for (let i = 1; i <= steps; i++) this.#counts[(this.#slot + i) % RECENT_SLOTS] = 0;
    this.#slot = slot;
  }
}
