/**
 * Figures of a duration over recent attempts, in milliseconds.
 *
 * @example
 * ```ts
 * const service: DurationFigures = { mean: 101.2, p50: 100, p95: 118, count: 2_000 };
 * ```
 * @public
 */
export interface DurationFigures {
  /** The mean. */
  readonly mean: number;
  /** The median. */
  readonly p50: number;
  /** The 95th percentile. */
  readonly p95: number;
  /** How many durations the figures are over. */
  readonly count: number;
  /**
   * Every duration since the execution started (the figures above are over the recent `count` of
   * them). Absent means `count`. A state starting thousands of attempts a second has one in k of
   * them timed (k a power of 2, so that some 500 to 1,000 a second are): each timed one then counts
   * k times here and in `sumMs`, and the figures above are over the timed ones.
   */
  readonly total?: number;
  /** The sum of those `total` durations, ms (a Prometheus summary's `_sum`). Absent means `mean × count`. */
  readonly sumMs?: number;
}

/**
 * What limits a state, or the run: `concurrency-bound` (its slots are full and jobs wait for one),
 * `rate-bound` (attempts wait for rate-limit permits), `starved` (it has free slots and nothing to
 * do: an upstream state feeds it too slowly), `error-bound` (most attempts fail or are retried),
 * `cpu-bound` (the event loop is late: execs or the engine hold the CPU), `idle` (nothing waits,
 * nothing runs), `done` (a terminal state, or nothing left).
 *
 * @example
 * ```ts
 * if (ledger.bottleneck.kind === 'concurrency-bound') console.log(`raise the concurrency of ${ledger.bottleneck.state}`);
 * ```
 * @public
 */
export type BottleneckKind = 'concurrency-bound' | 'rate-bound' | 'starved' | 'error-bound' | 'cpu-bound' | 'idle' | 'done';

/**
 * A verdict: the kind, and a sentence a person reads (naming the state and the figures behind it).
 *
 * @example
 * ```ts
 * const v: Verdict = { kind: 'concurrency-bound', reason: 'all 2 slots busy 98 % of the time; 40 jobs waiting' };
 * ```
 * @public
 */
export interface Verdict {
  /** What limits it. */
  readonly kind: BottleneckKind;
  /** Why, in words, with the figures behind it. */
  readonly reason: string;
}

/**
 * The ledger of one state: where its time goes. Rates are per second, smoothed over the last few
 * seconds; counts are since the execution started.
 *
 * @example
 * ```ts
 * const parse = ledger.states.find((s) => s.state === 'parse');
 * console.log(parse?.serviceMs?.p95, parse?.waitMs?.p95, parse?.verdict.kind);
 * ```
 * @public
 */
export interface StateLedger {
  /** The state's name. */
  readonly state: string;
  /** Whether it is terminal (its figures are arrivals only). */
  readonly terminal: boolean;
  /** Jobs entering the state (a loop or a retry visit counts each time), per second. */
  readonly arrivalsPerSecond: number;
  /** Jobs leaving it (a completed transition to another state, or a failure), per second. */
  readonly completionsPerSecond: number;
  /** Jobs that entered it since the execution started. */
  readonly arrivals: number;
  /** Jobs that left it since the execution started. */
  readonly completions: number;
  /** Visits per distinct job that visited the state (1 when nothing loops or retries). */
  readonly visitsPerJob: number;
  /** Exec time of attempts (start to outcome). Absent before the first attempt ends. */
  readonly serviceMs?: DurationFigures;
  /** Queue wait: from ready (entered, due, joined) to the attempt's start, slot and permit waits included. */
  readonly waitMs?: DurationFigures;
  /** Of the wait, the time spent waiting for rate-limit permits (ms per attempt, mean). */
  readonly permitWaitMs: number;
  /** Jobs waiting in it now (for a slot, a permit, a due time or their children). */
  readonly waiting: number;
  /** Attempts running now. */
  readonly inFlight: number;
  /** The concurrency limit now (adaptive or fixed). */
  readonly limit: number;
  /** Busy slot time over limit × elapsed, lately: 1 is every slot busy all the time. */
  readonly utilisation: number;
  /** Errors recorded in it since the execution started. */
  readonly errors: number;
  /** Attempts that were retries. */
  readonly retries: number;
  /** Attempts that timed out. */
  readonly timeouts: number;
  /** What limits this state. */
  readonly verdict: Verdict;
  /** Of `waiting`, the jobs ready to start now (not waiting out a delay or a backoff, nor for children). */
  readonly ready?: number;
  /** `true` while the state is paused (`processor.pause`, `jorb pause`, the dashboard): its verdict is then `idle`. Absent otherwise. */
  readonly paused?: boolean;
  /** The share of the time lately that jobs were ready and a slot free but no rate-limit permit (or a rate-limit pause) let one start: 0 to 1. */
  readonly permitWaitShare?: number;
  /** Attempts the service turned away with a `RateLimitError` (flow control: not errors, no retry spent). */
  readonly rateLimited?: number;
  /**
   * Time in the state, entered to left, wait and service together: what a run's histories give
   * when attempts are not recorded ({@link ledgerFromRun}); absent in the live ledger, which has
   * `waitMs` and `serviceMs` apart.
   */
  readonly timeInStateMs?: DurationFigures;
}

/**
 * Where a run's time goes: the same figures the terminal display, `/metrics` and the dashboard
 * show.
 *
 * @example
 * ```ts
 * const ledger = processor.ledger();
 * console.log(ledger?.bottleneck.state, ledger?.bottleneck.kind, ledger?.throughput);
 * ```
 * @public
 */
export interface RunLedger {
  /** When it was taken (the processor's clock, epoch ms). */
  readonly at: number;
  /** Since the execution started. */
  readonly elapsedMs: number;
  /** Completed transitions per second, smoothed. */
  readonly throughput: number;
  /** Completed transitions since the execution started. */
  readonly transitions: number;
  /** How late the event loop runs (p95 over the last seconds, ms). */
  readonly eventLoopDelayMs: number;
  /** Jobs reaching a terminal state or failing, per second, smoothed: the run's throughput in jobs. */
  readonly jobsPerSecond?: number;
  /** True once the execution is over (the figures are those of its end). */
  readonly finished?: boolean;
  /** Every state's ledger, in declared order. */
  readonly states: readonly StateLedger[];
  /** The run's bottleneck: the state that limits throughput and why (`state` absent for `cpu-bound`, `idle`, `done`). */
  readonly bottleneck: Verdict & { readonly state?: string };
}
