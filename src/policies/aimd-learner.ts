import type { Clock } from '../model/clock.js';
import { aimdSettings, checkLearnerOptions, type AimdOptions } from './aimd-options.js';
import type { AimdLimiter, AimdSnapshot } from './aimd-limiter.js';
import { AimdRound, InFlightCap, RecentCount } from './aimd-round.js';
import { ClockSlot, TokenBucket, usableWait } from './token-bucket.js';

/** The bucket holds this much time's worth of permits: burst = max(1 + lag, rate × 10 ms), smooth enough for a concurrency cap. */
const BURST_WINDOW_MS = 10;
/**
 * ...and at least one permit and this much time's worth more: the state's wake-up comes a
 * millisecond or two after the whole ms the limiter asked for, and a bucket of exactly one permit
 * would lose that time on every call (at 100 a second, 12 ms a call: 83 a second). A fraction of a
 * permit more keeps it.
 */
const WAKE_LAG_MS = 2;
/**
 * ...or as late as the wake-ups came in the last two rounds, up to this much: a busy event loop (the
 * bench's cells side by side) fires them later, and the time past the fraction was lost on every
 * call (held at 95 a second, 90.9 a second from 2 ms late on; against a sliding window of 100 a
 * second, 83-84 % goodput at 4 ms late, on the event-loop model).
 */
const MAX_WAKE_LAG_MS = 20;
/** Cruise this far under the learned ceiling. */
const MARGIN = 0.95;
/** ...or this far when rejections are expensive (each one pauses the state a whole second or more). */
const EXPENSIVE_MARGIN = 0.97;
/** A round in which fewer than this share of answers were rejections is noise at the edge, not a measure. */
const TOLERATED_SHARE = 0.01;
/**
 * A round whose rejections came when the last round's time had let through more than the rate
 * (times this): an echo. It was 1.05: against a sliding log of 10 a second, a round at 9 a second
 * whose one rejection came with 9.x let through in the last second (the log still held the calls of
 * a faster second) measured 8.1, and the state cruised at 7.7 (81 % goodput, in the bench as on
 * the event-loop model with wake-ups 4 ms late).
 */
const ECHO_OVER = 1.0;
/** ...and fewer than this share of its answers were rejections (more is a drained bucket's, after its burst). */
const ECHO_MAX_SHARE = 0.15;
/** A round that delivered at least this share of the rate was not over the service's limit. */
const UNDER_RATE = 0.97;
/**
 * Probing above the ceiling at fewer answers a round than this, the first rejection ends the probe:
 * back to the margin under the ceiling, as far as the probe's clean rounds raised it. At such rates
 * each rejection is a large share of what a run may spend, and a round's own measure of them is
 * coarse (one in ten answers). On the event-loop model (8 seeds, 3 timer lags) the halved-then-doubled
 * quota at 10 a second with a precise hint refused 4.0 % on average, not 4.8 %, and with no hint
 * 4.9 %, not 5.3 %; the sliding log with a precise hint 3.9 %, not 4.3 %.
 */
const PROBE_ENDS_AT_FIRST_ANSWERS = 20;
/**
 * In slow start, a saturated round whose first rejection came at least this many rounds before its
 * end measures what came through since that rejection, not what the last second or the last clean
 * half round let through: those count what a token bucket held before slow start drained it at
 * double the last clean rate. On the event-loop model (8 seeds, 3 timer lags) the halved-then-doubled
 * quota at 10 a second (a bucket of 2) met in 24 of 24 runs with each hint, against 6, 6 and 18.
 * Over less than a quarter round the count since is a handful of answers (from a tenth of a round,
 * the models' sweep met 723 of 800 runs; from a fifth to three tenths, 784-795; 780 without).
 */
const SINCE_REJECTION_ROUNDS = 0.25;
/**
 * ...counting this many successes more than came: the first rejection falls between two calls the
 * service let through, so the span holds part of a gap more than the count does. It was 1: against
 * a token bucket of 2 at 10 a second, 3 successes a third of a second after the first rejection
 * measured 12.8 (the state cruised at 12.1 and drew three rejections in the next second); with the round measured
 * over its length (AimdRound.measured), the models' sweep met 774 of 800 runs with 1, 797 with 0.5
 * and 784 with none.
 */
const SINCE_EXTRA_SUCCESSES = 0.5;
/**
 * In slow start at fewer answers a round than this, the first rejection (with no wait, of a call
 * alone in flight: more in flight may be a concurrency cap's, which InFlightCap learns from several)
 * halves the rate at once, back to the last clean one, under a ceiling of what the last second let
 * through (at least that rate): a sliding log's or a window's count, a drained bucket's burst and
 * rate. At 10 a second the rejections slow start drew before its cut were most of what a 20 s run
 * may spend: against a token bucket holding a second, 4 at 32 a second, then 4 more at 22 after a
 * cut that counted the burst, then one: 9 of about 200 (4.5 %), and in the bench a probe's one or
 * two more took it over 5 %. Now 6 (3.0 %), the sliding log's 2.8 % (was 3.3 %) and the fixed 1 s
 * window's 3.3 % (4.1 %), on the event-loop model.
 */
const SLOW_START_HALVES_UNDER_ANSWERS = 40;
/**
 * ...and a rejection within this many rounds of it cuts to what came through since the halving (a
 * drained bucket's rate: its burst is gone), measured over at least SINCE_REJECTION_ROUNDS; not one
 * after another rejection, no success between (a window running out, whose count a block measures:
 * cut after cut there took a fixed 1 s window at 10 a second to 9.6, then a block's count back to 16,
 * and 6.3 % refused from 4 of 40 starting phases and seeds). That cut's ceiling is a guess too (see
 * PROVISIONAL_HOLD_ROUNDS): a sliding log's echo of slow start's faster second measured 7.7 against
 * a log of 10 in the bench, and held 10 rounds the state cruised at 7.3, 73 % goodput.
 */
const HALVED_MEASURES_ROUNDS = 2;
/**
 * ...but not the first rejection after the halving if it came while the last second let through
 * more than the rate (ECHO_OVER): a sliding log still holding slow start's faster second refuses
 * the halved rate once (a call sent a second before, later than the one now: wake-ups late by
 * different amounts), and then lets it through. In the bench that echo came a quarter second after
 * the halving, a sliding log of 10 measured 7 since, and the probes above it ended at 9 (85 %
 * goodput; 73 % in an earlier run); on the event-loop model with wake-ups 1-9 ms late at random, 4
 * of 24 runs missed. A drained bucket refuses the halved rate again and again, and its next
 * rejection cuts: none of the models' runs changed but those of the sliding log.
 */
const HALVED_ECHO_REJECTIONS = 1;
/**
 * ...and the halving's ceiling is a guess (the last second's count may be a ramp's, under the
 * service's rate): clean rounds at it probe above it after this many, not 10 (the halved-then-doubled
 * quota at 10 a second, a bucket of 2, cruised at 7.6 for 8 s with 10: 86 % goodput).
 */
const PROVISIONAL_HOLD_ROUNDS = 3;
/** A round is cut short once this many rejections came, at least this share of its answers. */
const EARLY_REJECTIONS = 4;
const EARLY_SHARE = 0.25;
/** An early cut keeps at least this share of the rate. */
const EARLY_FLOOR = 0.5;
/**
 * ...and waits until the round has lasted this many rounds: the first answers after a cut may be a
 * sliding log's memory of the rate before it. Against a log of 1,000 a second with a precise hint,
 * slow start's cut brought the rate to 950-1,420, and 4 of the 7-11 answers in the 6-13 ms after it,
 * the log still full of slow start's second, were refusals: the early cut halved the rate on that
 * share, to 600-700, and the state took 8 s to get back (84-88 % goodput in 4 of 17 runs of the
 * bench's batch, and in 1 of 3 full matrices). At 100 a second and under, 4 rejections take longer
 * than this anyway: on the models only 1,000/s cells changed, by a tenth of a point or less.
 */
const EARLY_MIN_ROUNDS = 0.02;
/** This many rejections in a row, no success between: the service refuses everything for now. */
const BLOCK_STREAK = 4;
/**
 * ...or this many where a window was seen to run out and open again (a long one's blocks last
 * seconds; a short one's recur each window the rate overruns it): what comes before them is no noise.
 */
const SEEN_WINDOW_BLOCK_STREAK = 2;
/** ...or this many in slow start: the rate just doubled, and rejections in a row are a window running out, not noise at the edge. */
const SLOW_START_BLOCK_STREAK = 3;
/**
 * While blocked, one probe after max(this, BLOCK_FIRST_GAP_PERMITS permits' time), the gap doubling
 * up to BLOCK_MAX_GAP_MS.
 */
const BLOCK_FIRST_GAP_MS = 25;
/**
 * Each probe that finds the window still shut costs a rejection: gaps of one permit found a 1 s
 * window's opening within a permit, but at 10 a second spent 3-4 of the 10 rejections a 20 s run
 * may have on each block. Two permits apart (three in slow start, whose rate is double the last
 * clean one's), a block costs one or two fewer, and the opening is found a permit or two later.
 */
const BLOCK_FIRST_GAP_PERMITS = 2;
const SLOW_START_BLOCK_FIRST_GAP_PERMITS = 3;
const BLOCK_MAX_GAP_MS = 4000;
/**
 * In a long block, the gap is at most this many permits' time at the rate the service allowed (at
 * least a quarter round): the opening found a gap late costs up to that many calls, a probe one
 * rejection. Only where the rate is known (a block begun outside slow start, whose rate overshoots):
 * at 1,000 a second, gaps grown to 4 s found a 10 s window's opening 1.5 s late.
 */
const LONG_BLOCK_GAP_PERMITS = 80;
/** A block longer than this many rounds is a long window's (per minute): what came before it was no rate. */
const LONG_BLOCK_ROUNDS = 1.5;
/** Clean rounds at the ceiling before a probe above it: cheap rejections, expensive ones. */
const HOLD_ROUNDS = 3;
const EXPENSIVE_HOLD_ROUNDS = 20;
/** ...and at least this many successes' worth of rounds (a probe costs a rejection or two, whatever the rate). */
const HOLD_SUCCESSES = 100;
/** ...but never more than this many (at 1 a second, 100 rounds would be no probing at all). */
const MAX_HOLD_ROUNDS = 10;
/**
 * Where a block measured the ceiling (a window ran out: what came through in the last second is what
 * it allows), this many successes' worth of rounds, up to BLOCK_MAX_HOLD_ROUNDS: a probe above a
 * window's count runs it out again, a block of 3-5 rejections (at 10 a second, a probe 10 s after the
 * block cost a 20 s run its last 4-5 and the 5 % goal; a round's measure, cut by scattered
 * rejections, is rougher and keeps HOLD_SUCCESSES).
 */
const BLOCK_HOLD_SUCCESSES = 200;
const BLOCK_MAX_HOLD_ROUNDS = 20;
/** A probe raises the rate by this share, doubled by each clean probe after it, up to ×2. */
const FIRST_PROBE = 0.05;
const EXPENSIVE_FIRST_PROBE = 0.03;
/** Whole-second rejections closer than this in time: far over, cut harder. */
const EXPENSIVE_REPEAT_MS = 10_000;
const EXPENSIVE_REPEAT_FACTOR = 0.85;
/**
 * After a cut, the answers to calls sent before it (as many as were in flight) say nothing of the
 * new rate: their rejections cut no further. At most this many rounds, in case some never answer.
 */
const STALE_MAX_ROUNDS = 1;
/** A precise wait this long (in rounds) is a window's: it ran out. */
const LONG_WAIT_ROUNDS = 0.5;
/** A block this soon after the last (in rounds) measures no cycle. */
const MIN_CYCLE_ROUNDS = 0.25;
/**
 * A saturated round with a single rejection measures at least what the service let through in the
 * last second when it came (a sliding log's quota exactly), up to this share of the rate that drew
 * it (more may be a higher rate's echo). Such a round is where a few answers measure worst: at 10 a
 * second, ten answers cut by one rejection and its pause measured 8.4 against a sliding log of 10
 * (85 % goodput). With more rejections in it the round's own measure stands (a bucket's after a
 * halved quota still counts the calls before it in the last second).
 */
const AT_REJECTION_MAX_SHARE = 0.9;
/** The rate a cut starts from is what was actually sent in the round, if that is lower (a client at its own limit). */
const SENT_MIN_MS = 50;
/** A retry-after of at least a second in whole seconds: the engine pauses the state that long for each rejection. */
const WHOLE_SECOND_MS = 1000;
/**
 * While the learned concurrency cap holds callers back, the wait `tryAcquire` returns: the engine
 * pumps the state again when an attempt ends, so this is only the fallback.
 */
const CAP_WAIT_MS = 50;
/** Held back by the cap this long with no attempt ending, the count of calls in flight is off (a hedge's permit): it starts afresh. */
const CAP_STALL_ROUNDS = 1;

/** The learning limiter's settings after checking: see `AimdOptions`. Not part of the public API. */
export interface AimdLearnerSettings {
  readonly initial: number;
  readonly min: number;
  readonly max: number;
  /** The measuring round (slow start measures in half rounds). */
  readonly roundMs: number;
  readonly clock: Clock | undefined;
  /**
   * Whether the limiter decides the state's pause (the engine pauses the state for what
   * `onRateLimited` returns): a whole-second retry-after of N s, rounded up, is taken as a wait of
   * N - 1 s (none for 1 s), and the limiter's own blocks and probes find the end of the wait instead
   * of a pause of the whole second. Off, it returns the retry-after as it came (the engine's pause
   * without a limiter that decides). `aimd()` turns it on; `learningAimd` too, unless told otherwise.
   */
  readonly decidesPause?: boolean;
}

type Phase = 'slow-start' | 'cruise' | 'probe' | 'blocked';

/**
 * The learning limiter of issue #21, what `aimd()` makes: learns the rate a service lets through
 * from what it delivers, whatever the shape of its quota (see `aimd` for how). Users see it as an
 * `AimdLimiter`; the class itself, its settings and `capSnapshot()` are not part of the public API
 * (the bench's matrix, `npm run bench -- --only ratelimit`, reads the cap beside `aimd.cubic()` and
 * `aimd.classic()`).
 *
 * @example
 * ```ts
 * const limiter = new AimdLearner({ initial: 1, min: 1, max: Infinity, roundMs: 1000, clock: undefined });
 * ```
 * @internal
 */
export class AimdLearner implements AimdLimiter {
  readonly #s: AimdLearnerSettings;
  readonly #clock: ClockSlot;
  readonly #bucket: TokenBucket;
  readonly #round: AimdRound;
  readonly #recent: RecentCount;
  #rate: number;
  #phase: Phase = 'slow-start';
  /** The phase a block interrupted, to go back to. */
  #beforeBlock: Exclude<Phase, 'blocked'> = 'slow-start';
  /** The rate when the block began. */
  #rateBeforeBlock = 0;
  #blockedAt = 0;
  /** When the last short block ended (its window's memory of the calls before it lasts a round). */
  #unblockedAt = -Infinity;
  /**
   * When the service last opened a window (a block's end; the end of a long precise wait; the
   * first permit before any), and the successes since: a window's cycle, opening to opening.
   */
  #openedAt = -Infinity;
  #sinceOpened = 0;
  /** Whether a window has opened since the first call (a cycle measured from an opening). */
  #opened = false;
  /** Whether the service's window is long (a block or a wait of over LONG_BLOCK_ROUNDS): a clean round there says little. */
  #longWindow = false;
  /** Whether the ceiling is a long window's cycle measured from one opening to the next (exact: a probe above it runs the window out). */
  #cycleExact = false;
  /** Whether a block outside slow start measured the ceiling (a window's count: see BLOCK_HOLD_SUCCESSES). */
  #ceilingFromBlock = false;
  /** Whether a block fell in this round (its delivery then measures the block, not the rate). */
  #blockInRound = false;
  /** The most a clean round delivered since the last block (the service allowed that much). */
  #cleanDelivered = 0;
  #nextProbeAt = 0;
  #probeGapMs = BLOCK_FIRST_GAP_MS;
  /** Whether the block's probes keep their first gap (the service said when it opens, to a second: no doubling). */
  #steadyProbes = false;
  /** The service's capacity as last measured in a saturated round (Infinity until then). */
  #ceiling = Infinity;
  /** Clean rounds in a row at the ceiling. */
  #clean = 0;
  /** The next probe's step. */
  #probe = FIRST_PROBE;
  /** Whether rejections come with whole-second retry-afters (each one a pause of the state). */
  #expensive = false;
  #pausedUntil = -Infinity;
  /** When the last rejection with a whole-second retry-after came. */
  #lastCostly = -Infinity;
  #paced = false;
  /** When the caller waiting for a permit is due back (Infinity: none waits), and the latest it came back in this round and the last. */
  #wakeDueAt = Infinity;
  #lateInRound = 0;
  #lateLastRound = 0;
  #lateRoundStart = 0;
  /** Permits given, and answers taken (successes and rejections): the difference is in flight. */
  #granted = 0;
  #answered = 0;
  /** Attempts that ended otherwise (onFailure); with #answered, the calls ended. */
  #failed = 0;
  /** Calls forgotten as in flight when the count was found off (see CAP_STALL_ROUNDS). */
  #forgotten = 0;
  /** When a call last ended. */
  #endedAt = 0;
  /** The concurrency cap learned from the calls in flight at rejections (none until one is). */
  readonly #cap: InFlightCap;
  /** Answers up to this count are to calls sent before the cap was learned: they say nothing of it. */
  #capStaleAnswers = 0;
  /** Answers up to this count are to calls sent before the last cut, until #staleUntilMs. */
  #staleAnswers = 0;
  #staleUntilMs = -Infinity;
  /** Permits given since the round began. */
  #sentInRound = 0;
  /** The most successes within the last round's time when one of this round's rejections came. */
  #passedAtRejection = 0;
  #increases = 0;
  /** Whether the ceiling is slow start's first guess at few answers a round (see SLOW_START_HALVES_UNDER_ANSWERS). */
  #provisional = false;
  /** When slow start's first rejection halved the rate (see SLOW_START_HALVES_UNDER_ANSWERS), and the successes since. */
  #halvedAt = -Infinity;
  #sinceHalved = 0;
  /** Rejections weighed by #cutSinceHalved since the halving. */
  #rejectedSinceHalved = 0;
  #backoffs = 0;
  #merged = 0;

  constructor(s: AimdLearnerSettings) {
    this.#s = s;
    this.#rate = s.initial;
    this.#clock = new ClockSlot(s.clock);
    const now = this.#clock.now();
    this.#round = new AimdRound(now);
    this.#recent = new RecentCount(s.roundMs);
    this.#cap = new InFlightCap(s.roundMs, now);
    this.#endedAt = now;
    this.#lateRoundStart = now;
    this.#bucket = new TokenBucket(this.#rate, burstFor(this.#rate, WAKE_LAG_MS), now);
    this.#bucket.holdUntil(now, now);
  }

  tryAcquire(): number {
    const now = this.#clock.now();
    this.#endRound(now);
    // a wake-up due for a permit: one held back otherwise (a pause, a block, the cap) says nothing of the event loop
    const due = this.#wakeDueAt;
    this.#wakeDueAt = Infinity;
    if (now < this.#pausedUntil) return Math.ceil(this.#pausedUntil - now);
    this.#paced = true;
    if (this.#phase === 'blocked') {
      // until the next probe: a probe's success unblocks, and the engine pumps the state when its
      // attempt ends (and brings its wake-up forward when the wait got shorter)
      if (now < this.#nextProbeAt) return Math.ceil(this.#nextProbeAt - now);
      // a short window's block ends at its boundary: probe at least every quarter round until the
      // block is a long window's, or from the first probe where a long window was seen (its blocks
      // last seconds: a probe every quarter second cost a 10/s per-"minute" window 8 calls a block)
      const longBlock = this.#longWindow || now - this.#blockedAt >= LONG_BLOCK_ROUNDS * this.#s.roundMs;
      if (!this.#steadyProbes) this.#probeGapMs = Math.min(longBlock ? this.#longGapMs() : Math.max(this.#s.roundMs / 4, 1000 / this.#rate), this.#probeGapMs * 2);
      this.#nextProbeAt = now + this.#probeGapMs;
      this.#sent();
      return 0;
    }
    if (this.#inFlight() >= this.#cap.limit() && this.#capHolds(now)) return CAP_WAIT_MS;
    this.#wokeAt(now, due);
    const wait = this.#bucket.take(now);
    if (wait > 0) {
      this.#round.limited = true;
      this.#wakeDueAt = now + wait;
    } else this.#sent();
    return wait;
  }

  /**
   * A caller is back for a permit: if one was told to wait, how late it came (the engine's wake-up
   * fires after the wait it asked for, later on a busy event loop). The bucket holds that much more
   * time's worth of permits, so that a late wake-up loses no time.
   */
  #wokeAt(now: number, due: number): void {
    const before = this.#wakeLagMs();
    if (now - this.#lateRoundStart >= this.#s.roundMs) {
      this.#lateLastRound = now - this.#lateRoundStart >= 2 * this.#s.roundMs ? 0 : this.#lateInRound;
      this.#lateInRound = 0;
      this.#lateRoundStart = now;
    }
    // counted from when the permit was free: the wait was rounded up to whole ms (up to 1 more)
    if (now >= due) this.#lateInRound = Math.max(this.#lateInRound, Math.min(MAX_WAKE_LAG_MS, now - due + 1));
    if (this.#wakeLagMs() !== before) this.#bucket.set(this.#rate, this.#burst(), now);
  }

  /** How late wake-ups come, ms: the latest in this round and the last, at least WAKE_LAG_MS. */
  #wakeLagMs(): number {
    return Math.max(WAKE_LAG_MS, this.#lateInRound, this.#lateLastRound);
  }

  #burst(): number {
    return burstFor(this.#rate, this.#wakeLagMs());
  }

  /** Calls out now: permits given less calls ended. */
  #inFlight(): number {
    return this.#granted - this.#answered - this.#failed - this.#forgotten;
  }

  /** Whether the cap holds the caller back (until a call ends: the engine pumps the state then). */
  #capHolds(now: number): boolean {
    if (now - this.#endedAt >= CAP_STALL_ROUNDS * this.#s.roundMs) {
      // nothing ended for a round: the count is off (a permit whose attempt ends with another's)
      this.#forgotten += this.#inFlight();
      this.#endedAt = now;
      return false;
    }
    this.#cap.bound(now);
    return true;
  }

  #sent(): void {
    const now = this.#clock.now();
    if (this.#granted === 0) this.#openedAt = now;
    if (this.#inFlight() <= 0) this.#endedAt = now;
    this.#granted++;
    this.#sentInRound++;
    this.#cap.sent(now, this.#inFlight());
  }

  /** A call ended: returns how many were in flight, it included. */
  #ended(now: number): number {
    const level = this.#inFlight();
    this.#endedAt = now;
    if (level <= 0) this.#forgotten--; // an attempt forgotten as in flight ended after all
    return Math.max(1, level);
  }

  onFailure(): void {
    this.#ended(this.#clock.now());
    this.#failed++;
  }

  /** Whether the answer being taken is to a call sent before the last cut. */
  #stale(now: number): boolean {
    return this.#answered <= this.#staleAnswers && now < this.#staleUntilMs;
  }

  /** Answers to the calls in flight now will be stale (see STALE_MAX_ROUNDS). */
  #markInFlightStale(now: number): void {
    this.#staleAnswers = this.#granted;
    this.#staleUntilMs = now + STALE_MAX_ROUNDS * this.#s.roundMs;
  }

  onSuccess(): void {
    const now = this.#clock.now();
    this.#ended(now);
    this.#answered++;
    this.#cap.success(now);
    this.#sinceOpened++;
    this.#recent.add(now);
    this.#round.success(now);
    this.#sinceHalved++;
    // an answer to a call sent before the block says nothing of the service now: only a probe's unblocks
    if (this.#phase === 'blocked' && !this.#stale(now)) this.#unblock(now);
    this.#endRound(now);
  }

  /** Returns the pause the state should take, in ms (the engine pauses the state that long). */
  onRateLimited(retryAfterMs?: number): number {
    const now = this.#clock.now();
    let wait = usableWait(retryAfterMs);
    // Retry-After: N (whole seconds, rounded up) says the wait is over N - 1 s: pause that long, no more
    if (this.#s.decidesPause === true && wait !== undefined && wait >= WHOLE_SECOND_MS && wait % WHOLE_SECOND_MS === 0) wait = usableWait(wait - WHOLE_SECOND_MS);
    this.#learnFrom(now, wait);
    return wait ?? 0;
  }

  #learnFrom(now: number, wait: number | undefined): void {
    const level = this.#ended(now);
    // with no wait to give, a rejection may be a concurrency cap's: the cap's are none of the rate's
    if (wait === undefined && this.#answered < this.#capStaleAnswers) {
      // sent before the cap came down: the cap's, and says nothing more of it
      this.#answered++;
      this.#merged++;
      return;
    }
    if (wait === undefined) {
      const verdict = this.#cap.rejected(now, level);
      if (verdict === 'learned') return this.#learnedCap(now);
      if (verdict === 'probe-failed') this.#capStaleAnswers = this.#granted;
      if (verdict !== 'rate') {
        this.#answered++;
        this.#merged++;
        return;
      }
    }
    const wasPaused = now < this.#pausedUntil;
    let costly = false;
    if (wait !== undefined) {
      costly = wait >= WHOLE_SECOND_MS && wait % WHOLE_SECOND_MS === 0 && now >= this.#pausedUntil;
      if (costly) this.#expensive = true;
      const until = now + wait;
      if (until > this.#pausedUntil) {
        this.#wakeDueAt = Infinity;
        this.#round.pausedMs += until - Math.max(now, this.#pausedUntil);
        this.#pausedUntil = until;
        this.#bucket.holdUntil(until, now);
      }
    }
    this.#answered++;
    if (this.#stale(now)) {
      // sent at the rate before the last cut: says nothing of this one
      this.#merged++;
      return;
    }
    if (wasPaused && wait !== undefined) {
      // an attempt that was in flight when the service said how long to wait: that wait says it all,
      // but the round counts it (a round of short waits is no clean one)
      this.#round.rejection();
      this.#merged++;
      return;
    }
    this.#round.rejection(now);
    this.#passedAtRejection = Math.max(this.#passedAtRejection, this.#recent.count(now));
    if (wait !== undefined && !costly && wait >= LONG_WAIT_ROUNDS * this.#s.roundMs && this.#phase !== 'blocked') {
      // a window ran out and says when it opens: the pause covers the wait, the cycle gives the rate
      if (wait >= LONG_BLOCK_ROUNDS * this.#s.roundMs) this.#longWindow = true;
      this.#measureCycle(now, now + wait);
      this.#blockInRound = true;
      if (this.#ceiling < Infinity) this.#backOff(Math.max(this.#s.min, Math.min(this.#rate, this.#ceiling * this.#margin())), now);
      return;
    }
    if (this.#phase === 'blocked') {
      this.#merged++;
      this.#nextProbeAt = Math.max(this.#nextProbeAt, this.#pausedUntil);
      return;
    }
    if (costly && this.#s.decidesPause === true) {
      // deciding the pause, a whole-second Retry-After of N s (N >= 2) says a window ran out and
      // opens N - 1 to N s from now: a long window's block, begun now (not at the pause's end, after
      // a second whose recent count measures the pause); its probes start when the pause ends, a
      // quarter round apart, and its end measures the window's cycle (#unblock)
      this.#lastCostly = now;
      if ((wait ?? 0) >= LONG_BLOCK_ROUNDS * this.#s.roundMs) this.#longWindow = true;
      return this.#block(now, this.#s.roundMs / 4, true);
    }
    if (this.#round.streak >= this.#blockStreak()) return this.#block(now);
    if (wait === undefined && this.#phase === 'slow-start' && level <= 1 && this.#answersPerRound() < SLOW_START_HALVES_UNDER_ANSWERS) return this.#halve(now);
    if (wait === undefined && this.#phase === 'cruise' && this.#round.streak <= 1 && this.#cutSinceHalved(now)) return;
    if (costly && this.#phase === 'slow-start') {
      // the last rate before this doubling drew none
      this.#lastCostly = now;
      this.#setCeiling(this.#rate);
      return this.#backOff(Math.max(this.#s.min, this.#rate / 2), now);
    }
    if (costly) {
      // each such rejection pauses the state a second: the rate that drew it is too high, now
      const factor = now - this.#lastCostly < EXPENSIVE_REPEAT_MS ? EXPENSIVE_REPEAT_FACTOR : EXPENSIVE_MARGIN;
      this.#lastCostly = now;
      this.#setCeiling(Math.min(this.#ceiling, this.#rate));
      return this.#backOff(Math.max(this.#s.min, this.#rate * factor), now);
    }
    if (this.#phase === 'probe' && this.#answersPerRound() < PROBE_ENDS_AT_FIRST_ANSWERS) {
      // few answers a round: the probe's first rejection ends it (see PROBE_ENDS_AT_FIRST_ANSWERS)
      return this.#backOff(Math.max(this.#s.min, Math.min(this.#rate, this.#ceiling * this.#margin())), now);
    }
    const round = this.#round;
    const earlyEnough = now - round.start >= EARLY_MIN_ROUNDS * this.#s.roundMs;
    if (round.rejections >= EARLY_REJECTIONS && round.successes > 0 && round.rejectedShare() >= EARLY_SHARE && earlyEnough) {
      // far over: cut now by the share refused, rather than a whole round later
      // at most halving in one step: a share measured over a few answers says little more
      const sending = this.#sendingRate(now);
      const estimate = this.#saturated(now, sending * Math.max(EARLY_FLOOR, 1 - round.rejectedShare()), sending);
      // within a round of a short block's end, a sliding window still holds the calls of the ramp
      // that ran it out, and refuses what they left no room for: the calls slow down, but the
      // ceiling the block measured stands (the next clean round goes back to it)
      if (this.#echoOfBlock(now)) return this.#backOff(Math.max(this.#s.min, Math.min(this.#rate, estimate * this.#margin())), now);
      // probing above the ceiling, the estimate may be above it: the ceiling was only a floor
      this.#setCeiling(this.#phase === 'probe' ? estimate : Math.min(this.#ceiling, estimate));
      this.#backOff(Math.max(this.#s.min, this.#ceiling * this.#margin()), now);
    } else {
      this.#merged++;
    }
  }

  /**
   * A concurrency cap was learned: the rejections that taught it were the cap's, so what the rate
   * learned from them is void. The ceiling goes, and the rate grows again while it holds callers
   * back (until the cap is what does).
   */
  #learnedCap(now: number): void {
    this.#answered++;
    this.#merged++;
    this.#capStaleAnswers = this.#granted;
    this.#markInFlightStale(now);
    this.#setCeiling(Infinity);
    this.#cleanDelivered = 0;
    if (this.#phase === 'blocked') this.#setRate(Math.max(this.#rate, this.#rateBeforeBlock), now);
    if (this.#phase !== 'slow-start') this.#phase = 'cruise';
    this.#clean = 0;
    this.#round.streak = 0;
    this.#resetRound(now);
  }

  /** Whether a short block ended within the last round. */
  #echoOfBlock(now: number): boolean {
    return now - this.#unblockedAt < this.#s.roundMs;
  }

  /** Evaluates the round when it is over: grow on a clean one, learn the ceiling from a saturated one. */
  #endRound(now: number): void {
    const round = this.#round;
    const length = this.#phase === 'slow-start' ? this.#s.roundMs / 2 : this.#s.roundMs;
    if (now - round.start < length) return;
    if (round.successes === 0) return this.#resetRound(now); // nothing delivered (blocked, paused or idle): no measure
    // a block measures the service by its cycle (#block): a round it cut into measures nothing
    if (this.#blockInRound || this.#phase === 'blocked') return this.#resetRound(now);
    // nor does one mostly spent paused by a retry-after (a long window's wait until it opens)
    if (round.pausedMs >= (now - round.start) / 2) return this.#resetRound(now);
    const share = round.rejectedShare();
    const delivered = round.measured(now, length);
    // cruising, a few rejections while the service delivered all it was sent are answers to
    // attempts sent before (at a higher rate) or noise at the edge: no measure
    // nor is a round whose rejections came when the service had let through more in the last round's
    // time than the rate sends in one: a sliding window's memory of a higher rate, an echo
    const echo = (this.#passedAtRejection * 1000) / this.#s.roundMs > this.#rate * ECHO_OVER && share < ECHO_MAX_SHARE;
    // (that is measured up to now, less its pauses: over the round's length a fixed window of 10 with
    // precise waits measured 10.4 at 10.46 a second, and the state held that rate and drew one
    // rejection every 3 s, 5.1 % of its calls)
    const stray = this.#phase === 'cruise' && !this.#expensive && (echo || share < TOLERATED_SHARE || round.delivered(now) >= this.#rate * UNDER_RATE);
    if (round.rejections === 0 || stray) {
      if (round.rejections === 0) this.#cleanRound(now, round.limited || !this.#paced, delivered);
    } else if (!this.#expensive) {
      // saturated: what got through is what the service allows (with whole-second pauses in it,
      // rounds measure the pauses: the ceiling comes from the rejections themselves)
      this.#setCeiling(this.#saturated(now, Math.max(delivered, this.#atRejection()), this.#rate));
      this.#backOff(Math.max(this.#s.min, Math.min(this.#rate, this.#ceiling * this.#margin())), now);
    }
    this.#resetRound(now);
  }

  /** What came through in the last round's time, a second. */
  #recentRate(now: number): number {
    return (this.#recent.count(now) * 1000) / this.#s.roundMs;
  }

  /** Answers a round holds at the rate. */
  #answersPerRound(): number {
    return (this.#rate * this.#s.roundMs) / 1000;
  }

  /**
   * Slow start's first rejection at few answers a round: back to the last clean rate now, under a
   * ceiling of what the last second let through (see SLOW_START_HALVES_UNDER_ANSWERS).
   */
  #halve(now: number): void {
    this.#halvedAt = now;
    this.#sinceHalved = 0;
    this.#rejectedSinceHalved = 0;
    const recent = this.#recentRate(now);
    this.#setCeiling(Math.max(this.#rate / 2, Math.min(this.#rate, recent)));
    this.#provisional = true;
    this.#backOff(Math.max(this.#s.min, Math.min(this.#rate / 2, this.#ceiling * this.#margin())), now);
  }

  /**
   * A rejection within HALVED_MEASURES_ROUNDS of slow start's halving: the last clean rate was a
   * drained bucket's burst, and what came through since the halving is its rate. Returns whether it cut.
   */
  #cutSinceHalved(now: number): boolean {
    const span = now - this.#halvedAt;
    const nth = ++this.#rejectedSinceHalved;
    if (span >= HALVED_MEASURES_ROUNDS * this.#s.roundMs || span < SINCE_REJECTION_ROUNDS * this.#s.roundMs) return false;
    // a sliding log's echo of slow start's faster second (see HALVED_ECHO_REJECTIONS)
    if (nth <= HALVED_ECHO_REJECTIONS && this.#recentRate(now) > this.#rate * ECHO_OVER) return false;
    const since = ((this.#sinceHalved + SINCE_EXTRA_SUCCESSES) * 1000) / span;
    if (since * this.#margin() >= this.#rate) return false;
    this.#setCeiling(since);
    this.#provisional = true;
    this.#backOff(Math.max(this.#s.min, since * this.#margin()), now);
    return true;
  }

  /** Rejections in a row that begin a block. */
  #blockStreak(): number {
    if (this.#longWindow || this.#opened) return SEEN_WINDOW_BLOCK_STREAK;
    return this.#phase === 'slow-start' ? SLOW_START_BLOCK_STREAK : BLOCK_STREAK;
  }

  /** What the service let through in the last second at this round's one rejection, as a floor of its rate (see AT_REJECTION_MAX_SHARE). */
  #atRejection(): number {
    if (this.#phase === 'slow-start' || this.#round.rejections !== 1) return 0;
    return Math.min(this.#rate * AT_REJECTION_MAX_SHARE, (this.#passedAtRejection * 1000) / this.#s.roundMs);
  }

  /**
   * The service's rate from a saturated round's `measured` delivery. In slow start the rate just
   * doubled: the last (clean) half round's delivery is a floor, and what came through in the last
   * round is a sliding log's quota (a fixed window's, or more: the next cut corrects it).
   */
  #saturated(now: number, measured: number, sending: number): number {
    if (this.#phase !== 'slow-start') return measured;
    const recent = Math.min(sending, this.#recentRate(now));
    const first = this.#round.firstRejectionAt;
    const span = first === undefined ? 0 : now - first;
    if (span < SINCE_REJECTION_ROUNDS * this.#s.roundMs) return Math.max(measured, this.#cleanDelivered, recent);
    // then the measure is what came through since the round's first rejection (before it, a bucket's
    // burst), half an answer more counted so that a few answers do not measure low
    const since = ((this.#round.successesSinceRejection + SINCE_EXTRA_SUCCESSES) * 1000) / span;
    return Math.min(since, Math.max(measured, this.#cleanDelivered, sending));
  }

  #cleanRound(now: number, limited: boolean, delivered: number): void {
    if (!limited) return;
    this.#cleanDelivered = Math.max(this.#cleanDelivered, delivered);
    const { max } = this.#s;
    const target = this.#ceiling * this.#margin();
    if (this.#phase === 'slow-start') return this.#increase(Math.min(max, this.#rate * 2), now);
    if (this.#phase === 'probe') {
      // clean above the old ceiling: the service allows more now
      this.#ceiling = Math.max(this.#ceiling, delivered);
      // in a long window a clean round only says the window has not run out yet: no doubling, once
      // a cycle from opening to opening measured it (before, the first cycle, begun part-way into a
      // window or in slow start, may be far under it: probing fast runs the window out, and the
      // block measures it)
      if (!this.#longWindow || !this.#cycleExact) this.#probe = Math.min(0.25, this.#probe * 2);
      return this.#increase(Math.min(max, this.#rate * (1 + this.#probe)), now);
    }
    if (this.#rate < target) return this.#increase(Math.min(max, target, this.#rate * 2), now);
    if (++this.#clean < this.#holdRounds()) return;
    this.#phase = 'probe';
    this.#probe = this.#expensive ? EXPENSIVE_FIRST_PROBE : FIRST_PROBE;
    this.#increase(Math.min(max, this.#rate * (1 + this.#probe)), now);
  }

  /** The longest gap between a long block's probes (see LONG_BLOCK_GAP_PERMITS). */
  #longGapMs(): number {
    if (!this.#longWindow && this.#beforeBlock === 'slow-start') return BLOCK_MAX_GAP_MS;
    const allowed = Math.min(this.#rateBeforeBlock, this.#ceiling);
    return Math.min(BLOCK_MAX_GAP_MS, Math.max(this.#s.roundMs / 4, (LONG_BLOCK_GAP_PERMITS * 1000) / allowed));
  }

  /** Clean rounds at the ceiling before a probe: enough that a probe's few rejections are a small share of what was delivered. */
  #holdRounds(): number {
    // a long window's cycle, opening to opening, is what it allows: a probe above it runs the window
    // out before its end, a block of rejections and probes (at 10 a second, 10 % of a window's calls)
    // (with whole-second hints, too: a probe's rejection pauses the state; but a long window's first
    // cycle, begun part-way into it or in slow start, may be far under it, and its probes run the
    // window out, a block, as with a precise wait)
    if (this.#cycleExact || (this.#expensive && !this.#longWindow)) return EXPENSIVE_HOLD_ROUNDS;
    if (this.#provisional) return PROVISIONAL_HOLD_ROUNDS;
    if (this.#ceilingFromBlock) return Math.min(BLOCK_MAX_HOLD_ROUNDS, Math.max(HOLD_ROUNDS, Math.ceil(BLOCK_HOLD_SUCCESSES / this.#rate)));
    return Math.min(MAX_HOLD_ROUNDS, Math.max(HOLD_ROUNDS, Math.ceil(HOLD_SUCCESSES / this.#rate)));
  }

  #margin(): number {
    return this.#expensive ? EXPENSIVE_MARGIN : MARGIN;
  }

  #increase(rate: number, now: number): void {
    if (rate <= this.#rate) return;
    this.#increases++;
    this.#setRate(rate, now);
  }

  /** The rate, or what was actually sent this round if that was less (the client could not keep up). */
  #sendingRate(now: number): number {
    const elapsed = now - this.#round.start - this.#round.pausedMs;
    if (elapsed < SENT_MIN_MS || !this.#paced) return this.#rate;
    return Math.min(this.#rate, (this.#sentInRound * 1000) / elapsed);
  }

  #backOff(rate: number, now: number): void {
    // a probe above slow start's guess has measured the service: the next hold is a measure's
    if (this.#phase === 'probe') this.#provisional = false;
    this.#backoffs++;
    this.#markInFlightStale(now);
    this.#resetRound(now);
    this.#phase = 'cruise';
    this.#clean = 0;
    this.#setRate(rate, now);
  }

  #resetRound(now: number): void {
    this.#passedAtRejection = 0;
    this.#round.reset(now);
    this.#sentInRound = 0;
    this.#blockInRound = this.#phase === 'blocked';
  }

  /**
   * A window opens at `opens` (a long precise wait's end, or a long block's): from the last opening
   * to this one the service delivered all its window allows, which is its rate (exact for a fixed
   * window; the first cycle, begun part-way into a window, errs high, and the next one corrects it).
   */
  #measureCycle(now: number, opens: number): void {
    const cycleMs = opens - this.#openedAt;
    const cycle = cycleMs >= MIN_CYCLE_ROUNDS * this.#s.roundMs && cycleMs < Infinity ? (this.#sinceOpened * 1000) / cycleMs : 0;
    // the first cycle, from the first call, may span short windows that did not run out (slow
    // start's): then what came through in the last round says more (a long window's first cycle,
    // begun part-way into it, errs high, and the next one corrects it)
    if (!this.#opened && !this.#longWindow) this.#setCeiling(Math.max(cycle, this.#recentRate(now)));
    else if (cycle > 0) this.#setCeiling(cycle, this.#opened && this.#longWindow);
    this.#opened = true;
    this.#cleanDelivered = 0;
    this.#openedAt = opens;
    this.#sinceOpened = 0;
  }

  /**
   * The service refuses everything: a window ran out. From one block to the next, it delivered
   * what its window allows (a fixed window's cycle is the window; a sliding log's or a drained
   * bucket's is shorter): that is its rate, better than any round cut by the blocks.
   */
  #block(now: number, firstGapMs = this.#firstProbeGapMs(), steady = false): void {
    this.#backoffs++;
    this.#markInFlightStale(now);
    // what came through in the last round is what a short window allows (a sliding log's quota; a
    // fixed window's, plus the window before's tail if that one did not run out: high, and the next
    // block corrects it); a long window's block measures its cycle when it ends (#unblock)
    this.#setCeiling(Math.max(this.#cleanDelivered, this.#recentRate(now)), false, this.#phase !== 'slow-start');
    this.#cleanDelivered = 0;
    this.#blockInRound = true;
    this.#beforeBlock = this.#phase === 'slow-start' ? 'slow-start' : 'cruise';
    this.#rateBeforeBlock = this.#rate;
    this.#phase = 'blocked';
    this.#wakeDueAt = Infinity;
    this.#blockedAt = now;
    this.#probeGapMs = firstGapMs;
    this.#steadyProbes = steady;
    this.#nextProbeAt = Math.max(now + this.#probeGapMs, this.#pausedUntil);
  }

  /** The first gap between a block's probes (see BLOCK_FIRST_GAP_PERMITS). */
  #firstProbeGapMs(): number {
    const permits = this.#phase === 'slow-start' ? SLOW_START_BLOCK_FIRST_GAP_PERMITS : BLOCK_FIRST_GAP_PERMITS;
    return Math.max(BLOCK_FIRST_GAP_MS, (permits * 1000) / this.#rate);
  }

  /** The service let one through again: back to the rate before the block, or the learned ceiling's if lower. */
  #unblock(now: number): void {
    const longWindow = now - this.#blockedAt >= LONG_BLOCK_ROUNDS * this.#s.roundMs;
    if (longWindow) {
      this.#longWindow = true;
      this.#measureCycle(now, now);
    }
    else {
      this.#openedAt = now;
      this.#sinceOpened = 0;
      this.#opened = true;
      this.#unblockedAt = now;
    }
    // a block measured the service: no more doubling
    this.#phase = this.#beforeBlock === 'slow-start' && this.#ceiling < Infinity ? 'cruise' : this.#beforeBlock;
    this.#clean = 0;
    const learned = this.#ceiling * this.#margin();
    const rate = Math.max(this.#s.min, longWindow ? learned : Math.min(this.#rateBeforeBlock, learned));
    // a round measures the service at one rate: a lower one starts a new round
    if (rate < this.#rate) this.#resetRound(now);
    this.#setRate(rate, now);
  }

  /** The service's capacity as measured; `exact` for a long window's cycle from one opening to the next, `fromBlock` for a block's count. */
  #setCeiling(ceiling: number, exact = false, fromBlock = false): void {
    this.#provisional = false;
    this.#ceiling = ceiling;
    this.#cycleExact = exact;
    this.#ceilingFromBlock = fromBlock;
  }

  #setRate(rate: number, now: number): void {
    this.#rate = Math.min(this.#s.max, rate);
    this.#bucket.set(this.#rate, this.#burst(), now);
  }

  current(): number {
    return this.#rate;
  }

  /** The concurrency cap in force (Infinity: none), and how many times one was learned: for the tests and the bench's trace. */
  capSnapshot(): { readonly limit: number; readonly learned: number; readonly inFlight: number } {
    return { limit: this.#cap.limit(), learned: this.#cap.learned, inFlight: this.#inFlight() };
  }

  snapshot(): AimdSnapshot {
    return {
      rate: this.#rate,
      min: this.#s.min,
      max: this.#s.max,
      phase: this.#phase,
      estimate: this.#ceiling,
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
    this.#blockedAt += delta;
    this.#unblockedAt += delta;
    this.#halvedAt += delta;
    this.#openedAt += delta;
    this.#nextProbeAt += delta;

    this.#staleUntilMs += delta;
    this.#round.shift(delta);
    this.#recent.shift(delta);
    this.#bucket.shift(delta);
    this.#cap.shift(delta);
    this.#endedAt += delta;
    this.#wakeDueAt += delta;
    this.#lateRoundStart += delta;
  }
}

function burstFor(rate: number, wakeLagMs: number): number {
  return Math.max(1 + (rate * wakeLagMs) / 1000, (rate * BURST_WINDOW_MS) / 1000);
}

/**
 * The learning limiter `aimd()` makes, from its options (`initial`, `min`, `max`,
 * `increaseIntervalMs` as its round, `clock`; an option of `aimd.cubic()` alone throws, naming
 * it), typed as the class for the tests and the bench that read its cap, and with `decidesPause`
 * to turn off for the tests that measure what deciding the pause is worth. Not part of the public
 * API: users call `aimd()`.
 *
 * @example
 * ```ts
 * const limiter = learningAimd({ clock });
 * ```
 * @internal
 */
export function learningAimd(options: AimdOptions = {}, internal: { readonly decidesPause?: boolean } = {}): AimdLearner {
  checkLearnerOptions('aimd', options);
  // the engine pauses the state for what onRateLimited returns (#21): the learner decides by default
  const s = aimdSettings('aimd', options, true);
  return new AimdLearner({ initial: s.initial, min: s.min, max: s.max, roundMs: s.increaseIntervalMs, clock: s.clock, decidesPause: internal.decidesPause ?? true });
}
