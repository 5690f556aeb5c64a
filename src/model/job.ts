/**
 * One entry of a job's history: the state it entered and when (epoch ms).
 *
 * @example
 * ```ts
 * const entry: HistoryEntry = { state: 'parse', at: Date.now() };
 * ```
 * @public
 */
export interface HistoryEntry {
  /** The state the job entered. */
  readonly state: string;
  /** When, in epoch milliseconds. */
  readonly at: number;
  /** Why, when the move was not made by an exec (for example a redrive). */
  readonly note?: string;
}

/**
 * A unit of work walking through the states of a workflow.
 *
 * `jc` is the job context: a JSON-serialisable "wide table" of what the job's states need.
 * `errors` records every error by the state it happened in. `failed` marks a job that stopped
 * in a non-terminal state because its exec threw; a later redrive clears it.
 *
 * @example
 * ```ts
 * for (const job of run.jobs.values()) console.log(job.id, job.state, job.errors);
 * ```
 * @public
 */
export interface Job<JC, S extends string = string> {
  /** Unique within the run: `"0"`, `"1"`, … for added jobs, `${parentId}->${n}` for kicked ones. */
  readonly id: string;
  /** The state the job is in. */
  state: S;
  /** The job context. */
  jc: JC;
  /** The id of the job whose exec kicked this one. */
  readonly parentId?: string;
  /** The de-duplication key it was added or kicked with: no other job of the run has it. */
  readonly key?: string;
  /** Higher runs first within a state; absent means 0. */
  readonly priority?: number;
  /** Every recorded error, by the state it happened in, oldest first. */
  errors: Record<string, string[]>;
  /** The states the job entered, oldest first; capped by the processor's `historyLimit`. */
  history: HistoryEntry[];
  /** When the job last changed, in epoch milliseconds. */
  updatedAt: number;
  /** True when the job stopped in a non-terminal state because its exec failed. */
  failed?: boolean;
}
