import { checkOptions } from '../model/check-option.js';
import { learningAimd } from './aimd-learner.js';
import { AimdRateLimiter, type AimdLimiter } from './aimd-limiter.js';
import { AIMD_CUBIC_OPTION_KEYS, CLASSIC_BACKOFF_FACTOR, aimdSettings, type AimdClassicOptions, type AimdCubicOptions, type AimdOptions } from './aimd-options.js';

export type { AimdClassicOptions, AimdCubicOptions, AimdOptions } from './aimd-options.js';
export type { AimdLimiter, AimdSnapshot } from './aimd-limiter.js';

/**
 * An adaptive rate limit shared by every worker of a state: it finds how fast a service lets you
 * go, knowing nothing of its quota, and holds just under that. The processor tells it how every
 * attempt ended: a success, a "too many requests" (an exec that throws a `RateLimitError`, with
 * the service's `retryAfterMs` if it gave one), or neither. Three limiters: `aimd()` learns the
 * rate from what the service delivers, whatever the shape of its quota; `aimd.cubic()` is the
 * slow-start, cubic-growth limiter that was `aimd()` before it; `aimd.classic()` is the original
 * jorb limiter exactly.
 *
 * `aimd()`, the learning limiter:
 *
 * - **Slow start.** From `initial` (1 a second by default) it doubles the rate after each half
 *   round (`increaseIntervalMs`, 1 s) in which callers waited for a permit and nothing was refused.
 * - **Measures, then cruises.** A round with refusals in it measures the service: what came
 *   through is what it allows, and the rate goes to 95 % of that. A round with many refusals (a
 *   quarter of its answers) cuts at once, by the share refused, at most by half. With whole-second
 *   `Retry-After`s, each of which pauses the state, each refusal cuts the rate by 3 % (15 % when
 *   they come within 10 s of each other).
 * - **Windows.** Refusals in a row with no success between them mean a window ran out (a fixed
 *   window, a drained bucket): it stops, probes with one call at growing gaps until the service
 *   lets one through, and goes on at 95 % of what the window let through (a long window's, such
 *   as a minute's, measured over its cycle, opening to opening). A precise wait long enough to be
 *   a window's end is taken the same way.
 * - **Concurrency caps.** It counts the calls in flight. When refusals without a wait come only at
 *   in-flight levels so few calls reached that a rate quota's refusals would fall there by chance
 *   less than once in 1,000, the service caps calls in flight, not a rate: it gives no permit
 *   while that many are out, probes the cap up while it binds, and drops it when chance explains
 *   the refusals.
 * - **Probing.** After a few clean rounds at its ceiling it probes above it, +5 % and more while
 *   clean (up to +25 % a round), in case the quota went up.
 * - **Pauses.** It decides how long the state pauses on a refusal (its `onRateLimited` returns
 *   it): a precise wait in full; a whole-second `Retry-After: N`, which the service rounded up, as
 *   N − 1 s (none for 1 s), its own probes finding the end of the wait.
 * - **Pacing.** A token bucket at the current rate holding about one permit (10 ms' worth at high
 *   rates), so calls are spread evenly.
 *
 * Against issue #21's matrix on a real HTTP server (`npm run bench -- --only ratelimit`: fixed
 * windows of 1 s and of a "minute", sliding windows, token buckets with a burst, a concurrency cap
 * answering 503, a quota halved then doubled; with no hint, whole-second `Retry-After` and a
 * precise wait; quotas of 10 to 10,000 a second; every limiter from 1 a second), it meets all three
 * goals (90 % of the quota within 10 s, ≥ 90 % steady goodput, ≤ 5 % refused) in 42 of the 52
 * cells, against 8 for `aimd.cubic()` and 5 for `aimd.classic()`; the README says which it misses
 * and why. Its options are {@link AimdOptions}: an option of `aimd.cubic()` alone (`slowStart`,
 * `growth`, `backoffFactor`…) would mean nothing to it, so `aimd()` throws a `TypeError` naming it.
 *
 * `aimd.cubic()` and `aimd.classic()` are described on each.
 *
 * @param options - See {@link AimdOptions}; every option has a default.
 * @example
 * ```ts
 * // start at 50/s, learn whatever the service allows (at most 15,000/s)
 * .state('call-api', { concurrency: 256, rateLimit: aimd({ initial: 50, max: 15_000 }) })
 * // the limiter that was aimd() before: slow start, backoff from an estimate, cubic growth
 * .state('call-api', { concurrency: 256, rateLimit: aimd.cubic({ initial: 50, max: 15_000 }) })
 * // the original jorb behaviour: +1/s per second, ×0.5 per 429
 * .state('call-api', { concurrency: 64, rateLimit: aimd.classic({ initial: 100, min: 10, max: 200 }) })
 * ```
 * @public
 */
export const aimd: {
  (options?: AimdOptions): AimdLimiter;
  /**
   * The cubic limiter, `aimd()` before the learning limiter took its place, unchanged: it goes
   * faster until told "too many requests", then backs off to just under what the service let
   * through and climbs back along a cubic curve.
   *
   * - **Slow start.** Until the first rate-limit signal, each increase (at most one per
   *   `increaseIntervalMs`, 1 s) doubles the rate (`slowStartFactor`), so 50/s reaches 6,400/s in
   *   7 s. The limiter opens with one permit, not a full bucket: it does not know the service yet.
   * - **Backoff.** A signal backs off to 85 % (`backoffFactor`) of an *estimate* of what the service
   *   allows: the lowest of the rate, the rate the service actually let through since the rate last
   *   changed (successes over time: above its limit, a service lets through exactly its limit), and
   *   the rate before the last increase (the last one that drew no 429); or what it let through
   *   since the previous backoff, when that is lower still than where the backoff would land (a
   *   service that lets bursts through and then refuses, such as a fixed window, delivers its
   *   successes in clumps that no shorter measure reads right). Halving from the rate, as the
   *   original does, throws away half the throughput on every 429 and, for a limiter that
   *   overshot 5×, still takes seconds of 429s to come down; backing off from what was delivered
   *   lands just under the limit in one step, whatever the overshoot. Signals within
   *   `backoffDebounceMs` (500 ms) of the last backoff are merged into it (429s of attempts already
   *   in flight back off once), but may still lower the estimate to what was delivered since.
   * - **Cubic growth.** After a backoff the n-th increase sets the rate to
   *   `estimate × (1 + 0.15 × ((n − 4) / 4)³)` (0.15 = 1 − `backoffFactor`), as TCP CUBIC grows
   *   its window toward the size at its last loss: 85 % → 93.7 % → 98.1 % → 99.8 % of the estimate
   *   in three increases, a plateau around it (100 %, 100.2 %, 101.9 %), then probing above it
   *   ever faster (106 %, 115 %, 129 %, 150 %, then ×2.2 by the 12th) in case the limit went up.
   *   Each step is proportional to the rate, so it takes as long at 10/s as at 10,000/s (the
   *   original's +1 per second needs 42 minutes to climb from 2,500 to 5,000/s).
   * - **Pause.** A signal with a retry-after pauses the limiter: `tryAcquire()` returns the rest of
   *   the pause until it is over, then hands out one permit and refills from there.
   * - **Pacing.** A token bucket at the current rate, holding max(1, rate × 100 ms) permits, so
   *   attempts are spread over each tenth of a second rather than fired in one-second bursts.
   * - **Only when limiting.** An increase needs a caller that had to wait for a permit since the
   *   last one (`growOnlyWhenLimiting`), so a rate no one uses does not climb.
   *
   * Each part can be switched on its own: `slowStart`, `growth`, `backoffFactor`, `backoffFrom`,
   * `growOnlyWhenLimiting` (see {@link AimdCubicOptions}). Against a token-bucket quota that
   * answers 429 with the exact wait, from `initial: 50`, it reaches 90 % of 5,000/s in about
   * 6.5 s and then delivers 97-99 % of it with well under 1 % refused; against a quota that gives
   * no precise wait (most fixed and sliding windows, concurrency caps) it falls short, and a
   * whole-second `Retry-After` pauses the state a second per 429, which it reads as a service that
   * allows far less: in issue #21's matrix it meets 8 of the 52 cells, where `aimd()` meets 42.
   *
   * @param options - See {@link AimdCubicOptions}; every option has a default.
   * @example
   * ```ts
   * .state('call-api', { concurrency: 256, rateLimit: aimd.cubic({ initial: 50, max: 15_000 }) })
   * // a harder backoff, no slow start
   * .state('call-api', { rateLimit: aimd.cubic({ initial: 500, slowStart: false, backoffFactor: 0.7 }) })
   * ```
   */
  cubic(options?: AimdCubicOptions): AimdLimiter;
  /**
   * The original jorb AIMD limiter exactly: +1 per increase interval on any success from the start
   * (no slow start, `growOnlyWhenLimiting: false`), ×0.5 of the rate per backoff, a full bucket at
   * start, rates normalised as the original did (zero taken as left out, `min > max` swapped).
   * Takes the options of `aimd.cubic` but `slowStart`, `slowStartFactor`, `growth`, `backoffFactor`
   * and `backoffFrom` ({@link AimdClassicOptions}).
   *
   * @example
   * ```ts
   * .state('call-api', { rateLimit: aimd.classic({ initial: 100, min: 10, max: 200 }) })
   * ```
   */
  classic(options?: AimdClassicOptions): AimdLimiter;
} = Object.assign((options: AimdOptions = {}): AimdLimiter => learningAimd(options), {
  cubic: (options: AimdCubicOptions = {}): AimdLimiter => new AimdRateLimiter(aimdSettings('aimd.cubic', options, true)),
  classic: (options: AimdClassicOptions = {}): AimdLimiter => new AimdRateLimiter(aimdSettings('aimd.classic', classicOptions(options), false)),
});

/**
 * The classic limiter's options: the caller's, with the cubic limiter's parts switched off (checked
 * first: spreading 5 would hide it). An untyped caller's `growth`, `slowStart`… are options of
 * `aimd.cubic()`, so not unknown: the classic limiter ignores them.
 */
function classicOptions(options: AimdClassicOptions): AimdCubicOptions {
  checkOptions('aimd.classic', options, AIMD_CUBIC_OPTION_KEYS, '{ initial: 10 }');
  return { ...options, slowStart: false, growth: 'additive', backoffFactor: CLASSIC_BACKOFF_FACTOR, backoffFrom: 'rate' };
}
