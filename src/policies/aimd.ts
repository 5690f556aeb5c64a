import { checkOptions } from '../model/check-option.js';
import { AimdRateLimiter, type AimdLimiter } from './aimd-limiter.js';
import { AIMD_OPTION_KEYS, CLASSIC_BACKOFF_FACTOR, aimdSettings, type AimdClassicOptions, type AimdOptions } from './aimd-options.js';

export type { AimdOptions } from './aimd-options.js';
export type { AimdLimiter, AimdSnapshot } from './aimd-limiter.js';

/**
 * An adaptive rate limit shared by every worker of a state: it finds how fast a service lets you
 * go by going faster until told "too many requests" (the processor calls `onRateLimited` when an
 * exec throws a `RateLimitError`), then holds just under that. `aimd()` learns fast and settles
 * close to the limit; `aimd.classic()` is the original jorb limiter exactly.
 *
 * The default, `aimd()`:
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
 *   successes in clumps that no shorter measure reads right). Halving from the rate, as
 *   the original does, throws away half the throughput on every 429 and, for a limiter that
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
 * Against a real HTTP server with a hidden token-bucket quota that answers 429 with the exact
 * wait (`npm run bench -- --only ratelimit`), from `initial: 50`, the default reaches 90 % of a
 * 5,000/s quota in about 6.5 s and then delivers 97-99 % of it, with well under 1 % of requests
 * answered 429; the classic limiter is at 70/s after 20 s. A retry-after rounded up to whole
 * seconds pauses the state a second per 429 and reads as a service that allows far less: pass
 * the precise wait when the service gives one.
 *
 * `aimd.classic(options)` is the original's behaviour exactly: no slow start, +1 per increase on
 * any success (`growOnlyWhenLimiting: false`), ×0.5 of the rate per backoff, a full bucket at start.
 * Each part of the default can be switched on its own: `slowStart`, `growth`, `backoffFactor`,
 * `backoffFrom`, `growOnlyWhenLimiting`.
 *
 * @param options - See {@link AimdOptions}; every option has a default.
 * @example
 * ```ts
 * // start at 50/s, learn fast up to whatever the service allows (at most 15,000/s)
 * .state('call-api', { concurrency: 256, rateLimit: aimd({ initial: 50, max: 15_000 }) })
 * // the original jorb behaviour: +1/s per second, ×0.5 per 429
 * .state('call-api', { concurrency: 64, rateLimit: aimd.classic({ initial: 100, min: 10, max: 200 }) })
 * ```
 * @public
 */
export const aimd: {
  (options?: AimdOptions): AimdLimiter;
  /**
   * The original jorb AIMD limiter: +1 per increase interval on any success from the start (no
   * slow start), ×0.5 of the rate per backoff. Takes the options of {@link aimd} but `slowStart`,
   * `slowStartFactor`, `growth`, `backoffFactor` and `backoffFrom`; `growOnlyWhenLimiting`
   * defaults to false here.
   *
   * @example
   * ```ts
   * .state('call-api', { rateLimit: aimd.classic({ initial: 100, min: 10, max: 200 }) })
   * ```
   */
  classic(options?: AimdClassicOptions): AimdLimiter;
} = Object.assign((options: AimdOptions = {}): AimdLimiter => new AimdRateLimiter(aimdSettings('aimd', options, true)), {
  classic: (options: AimdClassicOptions = {}): AimdLimiter => new AimdRateLimiter(aimdSettings('aimd.classic', classicOptions(options), false)),
});

/**
 * The classic limiter's options: the caller's, with the default's parts switched off (checked
 * first: spreading 5 would hide it). An untyped caller's `growth`, `slowStart`… are options of
 * `aimd()`, so not unknown: the classic limiter ignores them.
 */
function classicOptions(options: AimdClassicOptions): AimdOptions {
  checkOptions('aimd.classic', options, AIMD_OPTION_KEYS, '{ initial: 10 }');
  return { ...options, slowStart: false, growth: 'additive', backoffFactor: CLASSIC_BACKOFF_FACTOR, backoffFrom: 'rate' };
}
