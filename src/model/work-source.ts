import type { Job } from './job.js';
import type { JoinOptions } from './state-options.js';
import type { StoreRecord } from './store-record.js';

/**
 * A state of the workflow as a {@link WorkSource} needs to know it.
 * @example
 * ```ts
 * const fetch: WorkState = { name: 'fetch', terminal: false, concurrency: 10 };
 * ```
 * @public
 */
export interface WorkState {
  /** The state's name. */
  readonly name: string;
  /** Whether a job there is done (it needs no more work). */
  readonly terminal: boolean;
  /** How many of its attempts may run at once across all processes (0 for a terminal state). */
  readonly concurrency: number;
  /**
   * Set for a join state: a job there may be claimed only once every child it kicked has settled,
   * or, with a `failState`, as soon as one of them failed.
   */
  readonly join?: JoinOptions;
}

/**
 * What a claim asks of a {@link WorkSource} for one state.
 * @example
 * ```ts
 * const request: ClaimRequest = { state: 'fetch', jobs: 32, busy: 4, running: 2, cap: 10 };
 * ```
 * @public
 */
export interface ClaimRequest {
  /** The state. */
  readonly state: string;
  /** Up to how many more of its waiting jobs to claim (0: only adjust the slots). */
  readonly jobs: number;
  /** How many slots this process could use there now: its attempts running plus its jobs waiting (claimed ones included). */
  readonly busy: number;
  /** The most of its attempts that may be running there while the claim is in flight: the slots it holds never drop below this. */
  readonly running: number;
  /** The most slots this process may hold there (the state's concurrency, or a per-process cap). */
  readonly cap: number;
}

/**
 * What a claim got: jobs now this process's to run, and how many of the state's slots it holds.
 * @example
 * ```ts
 * const claimed: Claimed<JC> = await source.claim(request);
 * console.log(`${claimed.jobs.length} jobs, ${claimed.slots} slots`);
 * ```
 * @public
 */
export interface Claimed<JC> {
  /** The jobs claimed, in the order to run them. */
  readonly jobs: readonly Job<JC>[];
  /** How many children each claimed job had kicked so far (absent: none), so the next child's id is new. */
  readonly kickCounts: ReadonlyMap<string, number>;
  /** The slots of the state this process holds now: at most this many of its attempts may run at once. */
  readonly slots: number;
  /** A join state's claimed jobs' children (settled, in kick order), by parent id. */
  readonly children?: ReadonlyMap<string, readonly Job<JC>[]>;
  /** When the state's next delayed job falls due (epoch ms), if one waits there unclaimed: claim again then. */
  readonly nextDueAt?: number;
  /**
   * How many slots this process should hold: its part of the state's concurrency among the
   * processes that want it now. When `slots` is above it, the process starts no attempt until its
   * running ones are down to it, and a later claim gives the rest back.
   */
  readonly share: number;
}

/**
 * What the engine tells a {@link WorkSource} while it commits a batch: whether a job the batch
 * leaves in a working state stays with this process, and which new jobs turned out to exist already.
 * @example
 * ```ts
 * await source.commit(records, { keep: (id, state) => state !== 'render', existed: (id) => console.log(`${id} was there`) });
 * ```
 * @public
 */
export interface CommitChoices {
  /**
   * Called once per job the batch leaves unsettled: true keeps it claimed by this process (it runs
   * here next). `dueAt`: the job waits until then (a delay) before its exec may start.
   */
  keep(id: string, state: string, dueAt: number | undefined): boolean;
  /** A job the batch adds or kicks that the run already held (another process added it, or its key was taken): it is not this process's. */
  existed(id: string): void;
}

/**
 * Where an execution gets its work when the run is shared with other processes (the PostgreSQL
 * store's cluster mode): jobs are claimed a few at a time instead of held in memory, each state's
 * slots are shared across the processes, and the run is complete only when no job of it anywhere
 * needs more work. A store offers one through {@link Store.workSource}; without one, the run in
 * memory is the whole run.
 *
 * @example
 * ```ts
 * const source = store.workSource?.([{ name: 'fetch', terminal: false, concurrency: 10 }, { name: 'done', terminal: true, concurrency: 0 }]);
 * const claimed = await source?.claim({ state: 'fetch', jobs: 32, busy: 0, running: 0, cap: 10 });
 * ```
 * @public
 */
export interface WorkSource<JC> {
  /**
   * How long a small commit batch waits for more records before it is written (a store whose
   * writes are round trips to a server commits fewer, larger batches). Absent: the next turn.
   */
  readonly gatherMs?: number;
  /** Claims waiting jobs of a state and sets the slots this process holds there (never below its running attempts). */
  claim(request: ClaimRequest): Promise<Claimed<JC>>;
  /** Writes a batch of records durably, in one transaction; refuses the whole batch when this process lost its claim on a job. */
  commit(records: readonly StoreRecord<JC>[], choices: CommitChoices): Promise<void>;
  /**
   * Shared rate limits: takes up to `want` permits of a state's bucket, which all processes draw
   * from. It refills at `perSecond` (the state's limiter's current rate, as this process knows it)
   * up to `burst`. Resolves with the permits granted and, when none was, how long until one is.
   */
  permits(state: string, want: number, perSecond: number, burst: number): Promise<{ readonly granted: number; readonly waitMs: number }>;
  /** Whether any job of the run, in any process, still needs work. */
  unsettled(): Promise<boolean>;
  /**
   * The run's jobs whose key starts with `prefix` (a schedule's jobs): how many there are, and the
   * one with the greatest key (keys of a schedule sort by tick) and whether it has settled.
   */
  keyed(prefix: string): Promise<{ readonly count: number; readonly last?: { readonly key: string; readonly settled: boolean } }>;
  /** Calls `listener` when another process may have made work available (or settled the last job); returns the unsubscribe. */
  onWake(listener: () => void): () => void;
  /** Calls `listener` on every heartbeat (about once a second): a chance to rebalance slots. */
  onBeat(listener: () => void): () => void;
}
