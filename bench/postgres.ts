// Workload "postgres" (issue #18, "Performance"): W3 (N jobs, default 100,000, through fetch -> parse
// -> done, no-op async execs, concurrency 10 per state) on a real PostgreSQL the workload starts
// itself (bench/postgres-server.ts: initdb in a temp dir, 127.0.0.1, a free port, fsync on,
// default settings; stopped and removed at the end), one database per runner, each runner in a
// fresh child process (bench/postgres-child.ts), one after the other on the same server:
//   - jorb-ts on PgStore, 1 process: transitions/s, and commits per transition from
//     pg_stat_database.xact_commit of its database over the run;
//   - graphile-worker 0.17 with its documented fast settings (a runner per state);
//   - pg-boss 10, a worker per queue, at batch sizes 10 (W3's 10 in flight per state: the verdict),
//     100 and 1,000 (more in flight than W3 allows; printed with their own verdicts).
// Every runner's jobs are inserted in bulk before its clock starts. A peer still working after 60 s
// is stopped, its rate taken from the transitions it committed by then with the same N jobs
// queued (the lines say so); rates are compared.
// Not measured yet, and said so: 2 jorb-ts processes and the kill test (PgStore holds a run in one
// process until multi-process cooperation is built). About 5 minutes.
import { runChild } from './child-process.js';
import { passFail, withLoadLines } from './goal.js';
import { GRAPHILE_SETTINGS, PEER_BUDGET_S, type PostgresChildReport, type PostgresRound } from './postgres-settings.js';
import { startBenchPostgres } from './postgres-server.js';
import { fmt, round2, round3 } from './report.js';

const GOAL_GRAPHILE = 10;
const GOAL_PGBOSS = 3;
const GOAL_COMMITS = 0.05;
/** pg-boss batch sizes: the first is W3's concurrency per state and gives the verdict. */
const PGBOSS_BATCHES = [10, 100, 1_000] as const;
const NOT_YET = 'PgStore holds a run in one process until multi-process cooperation is built';

export interface PostgresFigures {
  readonly pg_server_version: string;
  readonly pg_n: number;
  readonly pg_pgstore_tps: number;
  readonly pg_pgstore_exec_s: number;
  readonly pg_pgstore_commits: number;
  readonly pg_pgstore_commits_per_transition: number;
  readonly pg_graphile_version: string;
  readonly pg_graphile_n: number;
  readonly pg_graphile_tps: number;
  readonly pg_graphile_commits_per_transition: number;
  readonly pg_pgboss_version: string;
  readonly pg_pgboss_n: number;
  readonly pg_pgboss_tps: number;
  readonly pg_pgboss_commits_per_transition: number;
  readonly pg_pgboss_b100_tps: number;
  readonly pg_pgboss_b1000_tps: number;
  readonly pg_ratio_graphile: number;
  readonly pg_ratio_pgboss: number;
  readonly pg_ratio_pgboss_b100: number;
  readonly pg_ratio_pgboss_b1000: number;
  /** Not measured yet (null): 2 jorb-ts processes on one run, and the kill test. */
  readonly pg_two_processes_tps: null;
  readonly pg_kill_test: null;
}

function perTransition(r: PostgresRound): number {
  return round3(r.commits / r.transitions_final);
}

function describe(r: PostgresRound): string {
  const how = r.complete
    ? `all ${fmt(r.transitions)} transitions in ${r.seconds.toFixed(3)} s`
    : `stopped after ${PEER_BUDGET_S} s with ${fmt(r.transitions)} of ${fmt(2 * r.n)} transitions committed (${((100 * r.transitions) / (2 * r.n)).toFixed(1)} %)`;
  return (
    `n=${fmt(r.n)}: ${fmt(r.tps)} transitions/s, ${how} (bulk insert before the clock: ${r.insert_s.toFixed(3)} s); ` +
    `${fmt(r.commits)} commits for ${fmt(r.transitions_final)} transitions, ${perTransition(r).toFixed(3)} per transition`
  );
}

export async function postgres(n: number, log: (line: string) => void): Promise<PostgresFigures> {
  return withLoadLines('POSTGRES', log, async () => {
    const server = await startBenchPostgres();
    try {
      const dbs = { pgstore: 'jorb_bench', graphile: 'graphile_bench', pgboss: 'pgboss_bench' } as const;
      for (const db of Object.values(dbs)) await server.sql(`CREATE DATABASE ${db}`);
      log(`POSTGRES server: PostgreSQL ${server.version} on 127.0.0.1:${server.port}, fsync on, default settings otherwise; a database per runner, each runner in a fresh process, one after the other`);

      const pgstore = (await runChild<PostgresChildReport>('postgres pgstore', 'postgres-child.ts', ['pgstore', server.url(dbs.pgstore), String(n)])).measured;
      const cpt = perTransition(pgstore);
      log(`POSTGRES PgStore (jorb-ts, 1 process, default options) W3 ${describe(pgstore)}`);
      log(`POSTGRES PgStore commits per transition at saturation (pg_stat_database.xact_commit, insert to close): ${cpt.toFixed(3)} (goal <= ${GOAL_COMMITS}) ${passFail(cpt <= GOAL_COMMITS)}`);

      const graphileReport = await runChild<PostgresChildReport>('postgres graphile-worker', 'postgres-child.ts', ['graphile', server.url(dbs.graphile), String(n)]);
      const graphile = graphileReport.measured;
      const settings = Object.entries(GRAPHILE_SETTINGS).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ');
      log(`POSTGRES graphile-worker ${graphileReport.version} (a runner per state; ${settings}; jobs by addJobs, 'parse' added by the 'fetch' task) W3 ${describe(graphile)}`);

      const boss: { batch: number; report: PostgresChildReport }[] = [];
      for (const batch of PGBOSS_BATCHES) {
        const report = await runChild<PostgresChildReport>(`postgres pg-boss batchSize ${batch}`, 'postgres-child.ts', ['pgboss', server.url(dbs.pgboss), String(n), String(batch)]);
        boss.push({ batch, report });
        log(
          `POSTGRES pg-boss ${report.version} (a worker per queue, batchSize ${batch}, pollingIntervalSeconds 0.5, a full batch fetches the next at once; jobs by insert()) W3 ${describe(report.measured)}`,
        );
      }
      const [b10, b100, b1000] = boss.map((b) => b.report.measured) as [PostgresRound, PostgresRound, PostgresRound];

      const ratioGraphile = round2(pgstore.tps / graphile.tps);
      const ratios = [b10, b100, b1000].map((r) => round2(pgstore.tps / r.tps)) as [number, number, number];
      log(`POSTGRES ratio PgStore/graphile-worker: ${ratioGraphile.toFixed(2)} (goal >= ${GOAL_GRAPHILE}) ${passFail(ratioGraphile >= GOAL_GRAPHILE)}`);
      log(`POSTGRES ratio PgStore/pg-boss, batchSize 10 (10 in flight per state, as W3): ${ratios[0].toFixed(2)} (goal >= ${GOAL_PGBOSS}) ${passFail(ratios[0] >= GOAL_PGBOSS)}`);
      log(`POSTGRES ratio PgStore/pg-boss, batchSize 100: ${ratios[1].toFixed(2)} (goal >= ${GOAL_PGBOSS}) ${passFail(ratios[1] >= GOAL_PGBOSS)}`);
      log(`POSTGRES ratio PgStore/pg-boss, batchSize 1,000: ${ratios[2].toFixed(2)} (goal >= ${GOAL_PGBOSS}) ${passFail(ratios[2] >= GOAL_PGBOSS)}`);
      log(`POSTGRES 2 processes: not measured: ${NOT_YET}`);
      log(`POSTGRES kill test (kill -9 one of two processes at 40 %): not measured: ${NOT_YET}`);
      return {
        pg_server_version: server.version,
        pg_n: pgstore.n,
        pg_pgstore_tps: pgstore.tps,
        pg_pgstore_exec_s: round3(pgstore.seconds),
        pg_pgstore_commits: pgstore.commits,
        pg_pgstore_commits_per_transition: cpt,
        pg_graphile_version: graphileReport.version,
        pg_graphile_n: graphile.n,
        pg_graphile_tps: graphile.tps,
        pg_graphile_commits_per_transition: perTransition(graphile),
        pg_pgboss_version: boss[0]?.report.version ?? '?',
        pg_pgboss_n: b10.n,
        pg_pgboss_tps: b10.tps,
        pg_pgboss_commits_per_transition: perTransition(b10),
        pg_pgboss_b100_tps: b100.tps,
        pg_pgboss_b1000_tps: b1000.tps,
        pg_ratio_graphile: ratioGraphile,
        pg_ratio_pgboss: ratios[0],
        pg_ratio_pgboss_b100: ratios[1],
        pg_ratio_pgboss_b1000: ratios[2],
        pg_two_processes_tps: null,
        pg_kill_test: null,
      };
    } finally {
      server.stop();
    }
  });
}
