/**
 * What one measuring round of the learning limiter saw: successes, rejections, whether callers
 * had to wait for a permit, and how much of it the state spent paused by a retry-after (time in
 * which nothing could be delivered, so not time the service's rate is measured over). Times are
 * the owner's clock readings in ms. Not part of the public API.
 *
 * @example
 * ```ts
 * const round = new AimdRound(0);
 * round.success(100); round.success(400);
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
  /** When the round's first rejection came, and the successes since. */
  firstRejectionAt: number | undefined = undefined;
  successesSinceRejection = 0;
  /** When the round's last success came (its start until one does). */
  lastSuccessAt: number;

  constructor(now: number) {
    this.start = now;
    this.lastSuccessAt = now;
  }

  /** Starts a new round at `now`, keeping the streak (it spans rounds). */
  reset(now: number): void {
    this.start = now;
    this.successes = 0;
    this.rejections = 0;
    this.limited = false;
    this.pausedMs = 0;
    this.firstRejectionAt = undefined;
    this.successesSinceRejection = 0;
    this.lastSuccessAt = now;
  }

  success(now: number): void {
    this.lastSuccessAt = now;
    this.successes++;
    this.streak = 0;
    if (this.firstRejectionAt !== undefined) this.successesSinceRejection++;
  }

  rejection(now?: number): void {
    this.rejections++;
    this.streak++;
    if (this.firstRejectionAt === undefined && now !== undefined) this.firstRejectionAt = now;
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

  /**
   * Successes a second over the round's `lengthMs`, or up to its last success if that came later
   * (never past `now`): what the service let through in the round's time. Not up to `now`: the
   * round ends at the first call after its length, which at 10 a second comes up to a tenth of a
   * second late, and a sliding log of 10 measured 9.5. Its paused time counts: a service that says
   * how long to wait is full for that long (against a sliding log of 10 with precise waits, a slow
   * start's half round of 6 successes measured 16 over the 375 ms it was not paused).
   */
  measured(now: number, lengthMs: number): number {
    const elapsed = Math.min(now, Math.max(this.start + lengthMs, this.lastSuccessAt)) - this.start;
    return elapsed > 0 ? (this.successes * 1000) / elapsed : 0;
  }

  /** Moves the round's time base by `deltaMs` (when its owner changes clocks). */
  shift(deltaMs: number): void {
    this.start += deltaMs;
    this.lastSuccessAt += deltaMs;
  }
}

/** Slots a {@link RecentCount} splits its span into. */
const RECENT_SLOTS = 100;
/**
 * Up to this many successes in the span, a {@link RecentCount} counts them exactly, by time: at 10
 * a second one slot's rounding is a whole call, and against a sliding log of 10 the count at a
 * rejection read 9 when the oldest call fell in the slot the span's edge cut (then an echo of a
 * higher rate read as a measure of the log, and cut the rate to 9 for the rest of the run).
 */
const RECENT_EXACT = 64;

/**
 * Successes within the last `spanMs` (exactly up to RECENT_EXACT of them, then to a hundredth of
 * the span), for the learning limiter: what the service let through in the last window before it
 * refused everything. Not part of the public API.
 *
 * @example
 * ```ts
 * const recent = new RecentCount(1000);
 * recent.add(0); recent.add(400);
 * recent.count(1050); // 1
 * ```
 * @internal
 */
export class RecentCount {
  readonly #spanMs: number;
  readonly #slotMs: number;
  readonly #counts = new Float64Array(RECENT_SLOTS);
  #slot = -Infinity;
  /** The last RECENT_EXACT successes' times, a ring: #next is where the next one goes. */
  readonly #times = new Float64Array(RECENT_EXACT).fill(-Infinity);
  #next = 0;

  constructor(spanMs: number) {
    this.#spanMs = spanMs;
    this.#slotMs = spanMs / RECENT_SLOTS;
  }

  add(now: number): void {
    this.#advance(now);
    const i = this.#slot % RECENT_SLOTS;
    this.#counts[i] = (this.#counts[i] ?? 0) + 1;
    this.#times[this.#next] = now;
    this.#next = (this.#next + 1) % RECENT_EXACT;
  }

  /** The count over the last span, up to `now` (a success exactly a span ago is out of it, as a sliding log's call is). */
  count(now: number): number {
    const after = now - this.#spanMs;
    // the oldest time kept still in the span: more than RECENT_EXACT came in it, count by slots
    if ((this.#times[this.#next] as number) > after) return this.#slotCount(now);
    let n = 0;
    for (let i = 1; i <= RECENT_EXACT; i++) {
      if ((this.#times[(this.#next - i + RECENT_EXACT) % RECENT_EXACT] as number) <= after) break;
      n++;
    }
    return n;
  }

  #slotCount(now: number): number {
    this.#advance(now);
    let sum = 0;
    for (const c of this.#counts) sum += c;
    return sum;
  }

  /** Moves the time base by `deltaMs` (when its owner changes clocks). */
  shift(deltaMs: number): void {
    this.#slot += Math.round(deltaMs / this.#slotMs);
    for (let i = 0; i < RECENT_EXACT; i++) this.#times[i] = (this.#times[i] as number) + deltaMs;
  }

  #advance(now: number): void {
    const slot = Math.floor(now / this.#slotMs);
    if (slot <= this.#slot) return;
    const steps = Math.min(RECENT_SLOTS, slot - this.#slot);
    for (let i = 1; i <= steps; i++) this.#counts[(this.#slot + i) % RECENT_SLOTS] = 0;
    this.#slot = slot;
  }
}

/** The rounds of sends an {@link InFlightCap} weighs rejections against (the current one and those before it). */
const CAP_SPAN_ROUNDS = 4;
/** Rejections this close together (ms) are one event: a burst has one cause. */
const CAP_EVENT_GAP_MS = 5;
/** Events it keeps: the test uses those within the span. */
const CAP_RING = 16;
/**
 * A cap is learned when the recent events all came at levels so few sends reached that a rate's
 * rejections (which fall on sends whatever their level) would do so by chance less often than this;
 * it is kept while that chance stays under CAP_KEEP_CHANCE.
 */
const CAP_CHANCE = 1e-3;
const CAP_KEEP_CHANCE = 1e-2;
/** ...from at least this many events. */
const CAP_MIN_EVENTS = 3;
/** Rounds the cap held callers back with no rejection before a probe above it: at least, and as many as this many successes take... */
const CAP_HOLD_ROUNDS = 3;
const CAP_HOLD_SUCCESSES = 100;
/** ...at most (doubled by each failed probe, up to CAP_MAX_HOLD_ROUNDS). */
const CAP_BASE_MAX_HOLD_ROUNDS = 10;
const CAP_MAX_HOLD_ROUNDS = 40;
/** A round whose rejections at the cap were at most this share of its answers is clean (noise at the edge). */
const CAP_TOLERATED_SHARE = 0.01;
/** A probe raises the cap by this share (at least one), doubled by each clean probe after it. */
const CAP_FIRST_PROBE = 0.05;

/** What an {@link InFlightCap} makes of a rejection. */
export type CapVerdict =
  /** No cap, or a rejection below it: the rate's to answer. */
  | 'rate'
  /** The cap's: not the rate's. */
  | 'cap'
  /** It just learned a cap from this one: the rejections before it were the cap's, not the rate's. */
  | 'learned'
  /** A probe above the cap drew it: the cap is back where it held (the calls out were sent above it). */
  | 'probe-failed';

/** Rejections close together: when the last came, and the fewest in flight at one of them. */
interface CapEvent {
  last: number;
  level: number;
}

/**
 * A concurrency cap, learned from the calls in flight when rejections come, for the learning
 * limiter: a service that refuses once more than k calls are in flight refuses at k + 1 in flight
 * and above, whatever the rate, and never at k or fewer. It keeps how many calls were in flight at
 * each send (the level, that call included) over the last few rounds, and the level at each
 * rejection with no wait (a cap cannot know when a slot frees), rejections close together taken as
 * one event at the lowest of their levels. When the recent events all came at levels so few sends
 * reached that a rate's rejections (which fall on sends whatever their level) would do so by chance
 * less than once in 1 / CAP_CHANCE, the cap is the level below the lowest of them. Under the cap, a
 * few rejections a round (1 % of its answers) are noise at the edge; each event beyond that tests
 * the cap again: one lower lowers it, and when chance explains them (a rate's rejections, under the
 * cap) the cap goes and the next needs ten times the evidence. While the cap holds callers back
 * with no more than noise, it is probed up by 5 % (at least one) at a time, doubling while clean;
 * more than noise in a probe puts it back, and the next waits twice as long. Not part of the public
 * API.
 *
 * @example
 * ```ts
 * const cap = new InFlightCap(1000, 0);
 * cap.sent(0, 1);
 * cap.rejected(10, 2); // 'rate' until the evidence is in
 * cap.limit(); // Infinity, or the cap learned
 * ```
 * @internal
 */
export class InFlightCap {
  readonly #roundMs: number;
  /** Sends by level, per round: the newest last. */
  readonly #sends: number[][] = [[]];
  #roundStart: number;
  /** The last CAP_RING events of rejections with no wait. */
  readonly #events: CapEvent[] = [];
  #chance = CAP_CHANCE;
  /** The cap that held with no rejection (Infinity: none learned). */
  #good = Infinity;
  /** The cap in force: #good, or above it while probing. */
  #limit = Infinity;
  #bound = false;
  /** Rejections with no wait this round (while a cap holds). */
  #rejectedInRound = 0;
  /** Answers the last round took (what a round's tolerance is a share of). */
  #lastAnswers = 0;
  #clean = 0;
  #fails = 0;
  #step = CAP_FIRST_PROBE;
  #successes = 0;
  #learned = 0;

  constructor(roundMs: number, now: number) {
    this.#roundMs = roundMs;
    this.#roundStart = now;
  }

  /** The most calls in flight the learned cap allows (Infinity: none). */
  limit(): number {
    return this.#limit;
  }

  /** Caps learned so far (for the tests and the bench's trace). */
  get learned(): number {
    return this.#learned;
  }

  /** The cap held back a caller. */
  bound(now: number): void {
    this.#tick(now);
    this.#bound = true;
  }

  /** A call went out with `level` in flight, itself included. */
  sent(now: number, level: number): void {
    this.#tick(now);
    const round = this.#sends[this.#sends.length - 1] as number[];
    round[level] = (round[level] ?? 0) + 1;
  }

  success(now: number): void {
    this.#tick(now);
    this.#successes++;
  }

  /** Rejections a round may have at the cap and still be clean. */
  #tolerated(): number {
    return CAP_TOLERATED_SHARE * Math.max(this.#lastAnswers, this.#successes + this.#rejectedInRound);
  }

  /** A rejection with no wait came with `level` in flight, its own call included. */
  rejected(now: number, level: number): CapVerdict {
    this.#tick(now);
    const capped = this.#good < Infinity;
    if (capped) {
      this.#rejectedInRound++;
      // a few are noise at the edge (the calls in flight as counted here are more than the
      // service's by those whose answers are on their way): at most a share of a round's answers
      const noise = this.#rejectedInRound <= this.#tolerated();
      if (this.#limit > this.#good) {
        if (noise) return 'cap';
        // more, and the probe's room is the service's limit (whatever the level they came at:
        // answers taken before them may have lowered it)
        this.#failProbe();
        return 'probe-failed';
      }
      // one sent before the cap came down, or noise
      if (level > this.#good || noise) return 'cap';
    }
    const last = this.#events[this.#events.length - 1];
    if (last !== undefined && now - last.last < CAP_EVENT_GAP_MS) {
      last.last = now;
      last.level = Math.min(last.level, level);
    } else {
      this.#events.push({ last: now, level });
      if (this.#events.length > CAP_RING) this.#events.shift();
    }
    const cap = this.#evidence(capped ? CAP_KEEP_CHANCE : this.#chance);
    if (cap === undefined) {
      if (!capped) return 'rate';
      // chance explains them: a rate's rejections, under the cap
      this.#good = Infinity;
      this.#limit = Infinity;
      this.#chance /= 10;
      this.#events.length = 0;
      return 'rate';
    }
    if (capped) {
      this.#good = Math.min(this.#good, cap);
      this.#limit = this.#good;
      return 'cap';
    }
    this.#good = cap;
    this.#limit = cap;
    this.#clean = 0;
    this.#fails = 0;
    this.#step = CAP_FIRST_PROBE;
    this.#learned++;
    return 'learned';
  }

  /** Moves the time base by `deltaMs` (when its owner changes clocks). */
  shift(deltaMs: number): void {
    this.#roundStart += deltaMs;
    for (const e of this.#events) e.last += deltaMs;
  }

  #failProbe(): void {
    this.#limit = this.#good;
    this.#fails++;
    this.#clean = 0;
    this.#step = CAP_FIRST_PROBE;
  }

  /**
   * The cap's level, when the events within the span (at least CAP_MIN_EVENTS) came only at levels
   * so few sends reached that chance explains it less often than `chance`.
   */
  #evidence(chance: number): number | undefined {
    const from = this.#roundStart - (CAP_SPAN_ROUNDS - 1) * this.#roundMs;
    let events = 0;
    let lowest = Infinity;
    for (const e of this.#events) {
      if (e.last < from) continue;
      events++;
      lowest = Math.min(lowest, e.level);
    }
    if (events < CAP_MIN_EVENTS || lowest < 2) return undefined;
    let all = 0;
    let high = 0;
    for (const round of this.#sends) {
      round.forEach((n, level) => {
        all += n;
        if (level >= lowest) high += n;
      });
    }
    // the chance that a rate's rejections, falling on sends whatever their level, all fell on
    // the sends that reached it (each rejection is one of the sends: drawn without replacement)
    if (high < events) return undefined;
    let p = 1;
    for (let i = 0; i < events && p > chance; i++) p *= Math.max(0, high - i) / Math.max(1, all - i);
    if (p > chance) return undefined;
    return lowest - 1;
  }

  /** A round's end: the span moves on; a cap that held callers back with no rejection is probed up. */
  #tick(now: number): void {
    if (now - this.#roundStart < this.#roundMs) return;
    const rounds = Math.floor((now - this.#roundStart) / this.#roundMs);
    this.#roundStart += rounds * this.#roundMs;
    for (let i = 0; i < Math.min(rounds, CAP_SPAN_ROUNDS); i++) this.#sends.push([]);
    while (this.#sends.length > CAP_SPAN_ROUNDS) this.#sends.shift();
    const successes = this.#successes;
    const clean = this.#bound && this.#rejectedInRound <= this.#tolerated();
    this.#lastAnswers = rounds === 1 ? successes + this.#rejectedInRound : 0;
    this.#successes = 0;
    const probing = this.#limit > this.#good;
    this.#bound = false;
    this.#rejectedInRound = 0;
    if (this.#good === Infinity) return;
    if (probing) {
      if (!clean) {
        // the probe's room went unused: it says nothing
        this.#limit = this.#good;
        this.#clean = 0;
        return;
      }
      this.#good = this.#limit;
      this.#step = Math.min(1, this.#step * 2);
      this.#limit = this.#good + Math.max(1, Math.round(this.#good * this.#step));
      return;
    }
    if (!clean) return;
    const base = Math.min(CAP_BASE_MAX_HOLD_ROUNDS, Math.max(CAP_HOLD_ROUNDS, Math.ceil(CAP_HOLD_SUCCESSES / Math.max(1, successes))));
    if (++this.#clean < Math.min(CAP_MAX_HOLD_ROUNDS, base * 2 ** this.#fails)) return;
    this.#clean = 0;
    this.#limit = this.#good + Math.max(1, Math.round(this.#good * this.#step));
  }
}
