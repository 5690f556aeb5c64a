import { aFunction, anObject, optionKeys, optionProblem, optional, unknownOptionProblems, wholeNumber, numberIn } from '../model/check-option.js';
import type { AdaptiveConcurrency } from '../model/state-options.js';
import { AdaptiveLimit } from './adaptive-limit.js';

export type { AdaptiveConcurrency, AdaptiveDecision, AdaptiveReason, AdaptiveSnapshot } from '../model/state-options.js';

/** The floor when `min` is left out. */
const DEFAULT_MIN = 1;
/** The ceiling when `max` is left out (it is also the state's `concurrency` in its graph node). */
const DEFAULT_MAX = 200;
/** Where the limit starts when `initial` is left out (within `[min, max]`). */
const DEFAULT_INITIAL = 4;
/** The seed when `seed` is left out: a run decides the same way every time unless told otherwise. */
const DEFAULT_SEED = 1;

/**
 * Options of {@link adaptive}. Limits are whole numbers of attempts in flight at once.
 *
 * @example
 * ```ts
 * const options: AdaptiveOptions = { initial: 4, min: 2, max: 64 };
 * .state('fetch', { concurrency: adaptive(options) })
 * ```
 * @public
 */
export interface AdaptiveOptions {
  /**
   * The limit to start at, within `[min, max]`.
   * Minimum: `min` (a whole number).
   * @defaultValue 4, or `min` when that is more, or `max` when that is less
   */
  readonly initial?: number;
  /**
   * The floor: no cut goes below it.
   * Minimum: 1 (a whole number).
   * @defaultValue 1
   */
  readonly min?: number;
  /**
   * The ceiling: no growth goes above it. It is also the state's `concurrency` as its graph node
   * shows it, and the slots a shared PostgreSQL run keeps for the state.
   * Minimum: `min` (a whole number).
   * @defaultValue 200
   */
  readonly max?: number;
  /**
   * Seeds the only random choice it makes: how many good windows it waits under a level where
   * latency rose before trying that level again (6 to 11), so that processes sharing a service do
   * not probe in step. The same seed, the same decisions (given the same latencies).
   * @defaultValue 1
   */
  readonly seed?: number;
  /**
   * How late the event loop runs now, in ms: the limit does not grow while it is above 50 ms and
   * is cut by a quarter while it is above 200 ms (more work in flight would only wait for the
   * loop). For tests, or another measure.
   * @defaultValue on the system clock, the mean lateness of a 20 ms timer since the last
   * decision; on any other clock (a `FakeClock`), 0
   */
  readonly eventLoopDelay?: () => number;
}

/** The keys of {@link AdaptiveOptions}, for the unknown-option check (the compiler keeps it in step). */
const ADAPTIVE_OPTION_KEYS = optionKeys<AdaptiveOptions>({ initial: true, min: true, max: true, seed: true, eventLoopDelay: true });

const OWNER = 'adaptive()';
const A_SEED = numberIn({ from: -(2 ** 31), upTo: 2 ** 32 - 1, whole: true });

/**
 * An adaptive concurrency limit for a state: pass it as `concurrency`. It grows while more in
 * flight raises throughput and shrinks when latency or errors say the service is saturated,
 * like Netflix's concurrency-limits (Vegas, Gradient2) and Envoy's adaptive concurrency filter:
 *
 * - **Windows.** It decides once per window: at least 10 latencies (or the limit's worth, if
 *   more) of attempts started at the current limit; the median of each window is its latency,
 *   and the lowest median seen is the baseline (the service unloaded).
 * - **Delay.** When a window's latency is more than 15 % above the baseline, the service is
 *   queueing: the limit is cut in proportion (`limit × 1.15 / (latency / baseline)`, by one at
 *   least, by half at most), and that level becomes the ceiling. If the cut does not lower latency,
 *   the queue was not this state's (the service slowed down for everyone): the latency is the new
 *   baseline and the limit comes back.
 * - **Growth.** Otherwise, and only when the limit was used (as many attempts in flight as it
 *   allows), it doubles until something first pushes back (slow start), then grows by
 *   max(1, limit / 16) a window, stopping just under the ceiling for 6 to 11 good windows
 *   (seeded) before trying it again. A limit no one uses never grows.
 * - **Loss.** An attempt that times out or throws a `RateLimitError` (a 429, a 503; anywhere in
 *   its `cause` chain) halves the limit at once, once per change; the limit then doubles back to
 *   just under where it was. Other errors say nothing about load and are not counted.
 * - **Rate limits.** Under the state's `rateLimit`, it is never above what Little's law says the
 *   rate needs: `ceil(rate × latency × 1.25) + 1` (the limiter's `current()` rate).
 * - **Event loop.** It does not grow while the event loop runs more than 50 ms late, and is cut by
 *   a quarter above 200 ms.
 *
 * Each decision is visible: `snapshot()` (the limit, what it measured, the last decisions and why),
 * and the state's `limit` in every status update. Decisions read only the processor's clock and a
 * seeded generator: on a `FakeClock`, the same run decides the same way every time. In a shared
 * PostgreSQL run the limit caps the slots this process takes of the state. One `adaptive()` per state.
 *
 * Bad options do not throw here: the workflow's `.build()` reports them naming the state
 * (`State "fetch": concurrency adaptive(): max must be a whole number from 1 up, got 0`); reading
 * such a limit throws a `TypeError` with the same words.
 *
 * @param options - See {@link AdaptiveOptions}; every option has a default.
 * @example
 * ```ts
 * const fetchLimit = adaptive({ initial: 4, max: 64 });
 * const wf = workflow<AC, OC, JC>('crawl')
 *   .state('fetch', { concurrency: fetchLimit, timeout: { ms: 10_000, failState: 'failed' } })
 *   .to('done', 'failed')
 *   .exec(fetchPage)
 *   .terminal('done', 'failed')
 *   .build();
 * // later, while it runs:
 * const { limit, last } = fetchLimit.snapshot(); // 8, { reason: 'hold', detail: 'latency 51 ms, 1.02× its baseline of 50 ms; …' }
 * ```
 * @public
 */
export function adaptive(options: AdaptiveOptions = {}): AdaptiveConcurrency {
  const problems: string[] = [];
  const shape = optionProblem(OWNER, 'options', options, anObject('{ initial: 4, max: 64 }'));
  if (shape !== undefined) return new AdaptiveLimit({ initial: DEFAULT_INITIAL, min: DEFAULT_MIN, max: DEFAULT_MAX, seed: DEFAULT_SEED, eventLoopDelay: undefined, problems: [shape] });
  problems.push(...unknownOptionProblems(OWNER, undefined, options, ADAPTIVE_OPTION_KEYS));
  const check = (name: keyof AdaptiveOptions, value: unknown, rule: Parameters<typeof optionProblem>[3]): boolean => {
    const problem = optionProblem(OWNER, name, value, optional(rule));
    if (problem !== undefined) problems.push(problem);
    return problem === undefined && value !== undefined;
  };
  const min = check('min', options.min, wholeNumber(1)) ? (options.min as number) : DEFAULT_MIN;
  const max = check('max', options.max, wholeNumber(Math.max(1, min))) ? (options.max as number) : Math.max(DEFAULT_MAX, min);
  const initial = check('initial', options.initial, numberIn({ from: min, upTo: max, whole: true })) ? (options.initial as number) : Math.min(max, Math.max(min, DEFAULT_INITIAL));
  const seed = check('seed', options.seed, A_SEED) ? (options.seed as number) : DEFAULT_SEED;
  const eventLoopDelay = check('eventLoopDelay', options.eventLoopDelay, aFunction) ? (options.eventLoopDelay as () => number) : undefined;
  return new AdaptiveLimit({ initial: Math.min(max, Math.max(min, initial)), min, max: Math.max(min, max), seed, eventLoopDelay, problems });
}
