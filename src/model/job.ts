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
 * A unit of work walking through the states of a workflow, as users read it: every field is
 * read-only (the engine changes jobs only by applying records, so what a store holds and what the
 * run holds never drift apart).
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
  readonly state: S;
  /** The job context. */
  readonly jc: JC;
  /** The id of the job whose exec kicked this one. */
  readonly parentId?: string;
  /**
   * The de-duplication key it was added or kicked with: no other job of the run has it — or, with
   * `keyScope: 'unsettled'`, no other job that has not settled yet.
   */
  readonly key?: string;
  /** `'unsettled'` when its key is free again once this job settles (see {@link KeyScope}); absent for a key held for the run's life. */
  readonly keyScope?: 'unsettled';
  /** Its exec does not start before this time (epoch ms): it was moved, kicked or added with a `delayMs`. */
  readonly dueAt?: number;
  /** Higher runs first within a state; absent means 0. */
  readonly priority?: number;
  /** The recorded errors, by the state they happened in, oldest first: the last 20 per state (the store's log keeps all). */
  readonly errors: Readonly<Record<string, readonly string[]>>;
  /** The states the job entered, oldest first; the last 20 are kept (the store's log keeps all). */
  readonly history: readonly HistoryEntry[];
  /** When the job last changed, in epoch milliseconds. */
  readonly updatedAt: number;
  /** True when the job stopped in a non-terminal state because its exec failed. */
  readonly failed?: boolean;
}

/** A job as the model changes it when it applies a record; nothing outside src/model writes to one. */
export interface MutableJob<JC> {
  readonly id: string;
  state: string;
  jc: JC;
  readonly parentId?: string;
  readonly key?: string;
  readonly keyScope?: 'unsettled';
  dueAt?: number;
  readonly priority?: number;
  errors: Record<string, string[]>;
  history: HistoryEntry[];
  updatedAt: number;
  failed?: boolean;
}

/**
 * How long a job's de-duplication key is held: `'run'`, for the run's whole life (a crawl names
 * each URL once and never fetches it twice); `'unsettled'`, only while a job with it has not
 * settled (reached a terminal state or been marked failed), so recurring work with the same key
 * runs again once the previous one finished, never twice at once.
 *
 * @example
 * ```ts
 * run.add({ account: 42 }, 'sync', { key: 'sync:42', keyScope: 'unsettled' });
 * ```
 * @public
 */
export type KeyScope = 'run' | 'unsettled';
