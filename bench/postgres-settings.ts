// What the postgres workload (bench/postgres.ts) and its child (bench/postgres-child.ts) share: the
// peers' settings, the time budget of a peer's run, and the child's report.

/** How long a peer's measured run may take (env BENCH_PG_BUDGET_S): stopped then, its rate is what it committed by then. */
export const PEER_BUDGET_S = Number(process.env['BENCH_PG_BUDGET_S'] ?? 60);
/** W3's concurrency per state. */
const CONCURRENCY = 10;

/** graphile-worker's fast path: https://worker.graphile.org/docs/performance ("Quick stats" config and "Batching"). */
export const GRAPHILE_SETTINGS = {
  concurrentJobs: CONCURRENCY, // W3's concurrency per state (the docs' quick stats use 24 for one pool)
  maxPoolSize: CONCURRENCY + 2, // docs: "10 or concurrentJobs + 2, whichever is larger"
  preparedStatements: true, // the default (noPreparedStatements: false)
  useNodeTime: true,
  localQueue: { size: 500 }, // the performance page's quick-stats configuration
  completeJobBatchDelay: 0, // the same
  failJobBatchDelay: 0, // the same
} as const;

/**
 * pg-boss 10: a polling worker per queue fetching a batch (docs/api/workers.md, work()); its
 * handler gets the batch, runs the execs at most 10 at a time, and a full batch asks for the next
 * at once (notifyWorker: "bypass the job polling interval for this iteration").
 */
export function pgbossSettings(batchSize: number) {
  return {
    batchSize,
    pollingIntervalSeconds: 0.5, // the least the docs allow ("must be >=0.5")
  } as const;
}

export interface PostgresRound {
  /** Jobs queued (all in 'fetch' at the start). */
  readonly n: number;
  /** Every job finished before the budget ran out (otherwise the runner was stopped then). */
  readonly complete: boolean;
  /** Transitions committed when the clock stopped (2n when complete). */
  readonly transitions: number;
  /** Transitions committed once the runner stopped and closed (more than `transitions` when it was stopped). */
  readonly transitions_final: number;
  /** Inserting the n jobs in bulk (before the clock). */
  readonly insert_s: number;
  /** From starting the runner to every job's last transition committed, or to the budget's end. */
  readonly seconds: number;
  /** transitions / seconds. */
  readonly tps: number;
  /** xact_commit of the database over the round (insert to close), for `transitions_final`. */
  readonly commits: number;
}

export interface PostgresChildReport {
  readonly runner: 'pgstore' | 'graphile' | 'pgboss';
  readonly version: string;
  readonly probe?: PostgresRound;
  readonly measured: PostgresRound;
}

/** What a worker of the multi-process rounds (bench/postgres-cluster-child.ts, mode work) reports. */
export interface PostgresWorkerReport {
  readonly pid: number;
  readonly outcome: string;
  /** Transitions this process applied. */
  readonly transitions: number;
  /** Epoch ms at "go" and when its exec resolved. */
  readonly started_at: number;
  readonly ended_at: number;
  /** RSS in bytes after load(), before "go". */
  readonly rss_ready: number;
  /** The highest RSS sampled every 100 ms from "go" to exec resolved (null when not sampled). */
  readonly rss_peak: number | null;
}
