import type { Job } from './job.js';

/**
 * What an {@link AttemptObserver} is told as an attempt of a state's exec starts.
 * @example
 * ```ts
 * const observer: AttemptObserver = {
 *   attemptStarted: (start: AttemptStart) => {
 *     console.log(`${start.job.id} in ${start.state}, attempt ${start.attempt}`);
 *     return undefined;
 *   },
 * };
 * ```
 * @public
 */
export interface AttemptStart {
  /** The run's name. */
  readonly run: string;
  /** The state whose exec runs. */
  readonly state: string;
  /** The job, as it is before the attempt (its `parentId` names the job that kicked it). */
  readonly job: Job<unknown>;
  /** 1 for the job's first attempt in this visit of the state, 2 for its first retry, … */
  readonly attempt: number;
  /** When it started, by the processor's clock (epoch ms). */
  readonly at: number;
}

/**
 * How an attempt ended, as an {@link AttemptObserver} is told.
 * `returned`: the exec returned a transition to `to`, kicking `kicks` children (with `error`, the
 * message it records while moving on: `{ state: 'fetch-failed', jc, error: 'HTTP 404' }`);
 * `threw`: it threw `error` (a `RateLimitError` too: the job waits and runs again);
 * `timed-out`: the state's timeout of `ms` ended it; `aborted`: the run was stopped.
 * @example
 * ```ts
 * function describe(end: AttemptEnd): string {
 *   return end.kind === 'returned' ? `to ${end.to}` : end.kind;
 * }
 * ```
 * @public
 */
export type AttemptEnd =
  | { readonly kind: 'returned'; readonly to: string; readonly kicks: number; readonly error?: string; readonly at: number }
  | { readonly kind: 'threw'; readonly error: unknown; readonly at: number }
  | { readonly kind: 'timed-out'; readonly ms: number; readonly at: number }
  | { readonly kind: 'aborted'; readonly at: number };

/**
 * What an {@link AttemptObserver} keeps for one attempt it watches.
 * @example
 * ```ts
 * const watch: AttemptWatch = { end: (end) => console.log(end.kind) };
 * ```
 * @public
 */
export interface AttemptWatch {
  /**
   * Optional: runs the attempt's exec inside whatever the observer needs around it (a tracing
   * context, so that what the exec calls is traced under the attempt). It must call `exec` once
   * and return what it returns.
   */
  within?<T>(exec: () => T): T;
  /** The attempt ended; called once (an exec that ignores a shutdown's abort ends as `aborted` when its grace runs out). */
  end(end: AttemptEnd): void;
}

/**
 * Watches every attempt a processor runs: given in `ProcessorOptions.observers`, it is told when
 * each attempt starts and how it ends. `jorb-ts/otel` has one that makes an OpenTelemetry span of
 * each attempt. An observer that throws is reported once as a warning and the run goes on.
 * @example
 * ```ts
 * const slow: AttemptObserver = {
 *   attemptStarted: (start) => ({
 *     end: (end) => { if (end.at - start.at > 1000) console.log(`${start.job.id} took ${end.at - start.at} ms in ${start.state}`); },
 *   }),
 * };
 * new Processor(wf, ac, { observers: [slow] });
 * ```
 * @public
 */
export interface AttemptObserver {
  /** An attempt starts; what it returns is told how the attempt ends (undefined: nothing to tell). */
  attemptStarted(start: AttemptStart): AttemptWatch | undefined;
}
