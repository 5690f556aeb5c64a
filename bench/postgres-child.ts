// Child process of the postgres workload (bench/postgres.ts): W3 (n jobs through fetch -> parse ->
// done, no-op async execs, concurrency 10 per state) on a real PostgreSQL, one runner per process:
//   postgres-child.ts pgstore  <url> <n>   jorb-ts on PgStore (run "w3"); a warm-up run of 5,000
//                                          jobs first (run "warm-up")
//   postgres-child.ts graphile <url> <n>   graphile-worker: a task per state, the 'fetch' task adds
//                                          the 'parse' job
//   postgres-child.ts pgboss   <url> <n> <batch size>
//                                          pg-boss: a queue per state, the 'fetch' worker inserts
//                                          the 'parse' jobs
// The peers first run a warm-up of 5,000 jobs. A peer still working after PEER_BUDGET_S is
// stopped: its rate is the transitions it committed by then, with the same n jobs queued (fewer
// jobs would flatter a peer whose queries slow down as its table grows; the report says so).
// Every runner's jobs are inserted in bulk before the clock starts; the clock stops once every job's
// last transition is committed (PgStore: exec resolved; peers: the last 'parse' handler returned
// and the runner stopped, which flushes its batched completions; then the database is checked:
// no job is left unfinished). Commits: the database's pg_stat_database.xact_commit from before
// the jobs are inserted to after every connection of the runner has closed (a closing backend
// reports its counts), read on another database so that reading does not count.
// Prints one JSON line (PostgresChildReport).
import { readFileSync } from 'node:fs';
import { Logger, makeWorkerUtils, run as graphileRun, type Task } from 'graphile-worker';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { Processor } from '../src/index.js';
import { PgStore } from '../src/postgres/index.js';
import { heapAfterGc } from './heap.js';
import { GRAPHILE_SETTINGS, PEER_BUDGET_S, pgbossSettings, type PostgresChildReport, type PostgresRound } from './postgres-settings.js';
import { buildWorkflow, type JC, newRun, WARM_UP_N } from './w3.js';

/** W3's concurrency per state. */
const CONCURRENCY = 10;
/** Rows per bulk insert call. */
const INSERT_CHUNK = 10_000;

const [mode, urlArg, nArg, batchArg] = process.argv.slice(2);
if (urlArg === undefined || nArg === undefined) throw new Error('usage: postgres-child.ts pgstore|graphile|pgboss <url> <n>');
const url: string = urlArg;
const N = Number(nArg);
const DB = new URL(url).pathname.slice(1);
const statsUrl = Object.assign(new URL(url), { pathname: '/postgres' }).toString();

function versionOf(pkg: string): string {
  return (JSON.parse(readFileSync(new URL(`../node_modules/${pkg}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `body` over the items, at most `limit` at a time. */
async function limited<T>(items: readonly T[], limit: number, body: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await body(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/** The W3 exec: nothing, asynchronously. */
async function noop(): Promise<void> {}

/**
 * The database's xact_commit once its client sessions have ended and the count stopped moving (a
 * backend reports its counts when it exits, or about once a second while it works).
 */
async function settledCommits(): Promise<number> {
  const stats = new pg.Client({ connectionString: statsUrl });
  await stats.connect();
  try {
    const deadline = performance.now() + 15_000;
    for (;;) {
      const open = await stats.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'`, [DB]);
      if ((open.rows[0]?.n ?? 0) === 0 || performance.now() > deadline) break;
      await sleep(100);
    }
    let last = -1;
    for (;;) {
      // A fresh snapshot of the statistics each time (stats_fetch_consistency caches them in a transaction).
      await stats.query('SELECT pg_stat_clear_snapshot()');
      const row = await stats.query<{ n: string }>('SELECT xact_commit::text AS n FROM pg_stat_database WHERE datname = $1', [DB]);
      const n = Number(row.rows[0]?.n);
      if (n === last || performance.now() > deadline) return n;
      last = n;
      await sleep(1_100);
    }
  } finally {
    await stats.end();
  }
}

function round(n: number, insertSeconds: number, seconds: number, commits: number, transitions = 2 * n, transitionsFinal = transitions): PostgresRound {
  return { n, complete: transitions === 2 * n, transitions, transitions_final: transitionsFinal, insert_s: insertSeconds, seconds, tps: Math.round(transitions / seconds), commits };
}

/** Resolves true when `done` does, false when the budget ends first. */
async function withinBudget(done: Promise<void>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const budget = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), PEER_BUDGET_S * 1000)));
  try {
    return await Promise.race([done.then(() => true), budget]);
  } finally {
    clearTimeout(timer);
  }
}

async function pgstoreRound(runName: string, n: number): Promise<PostgresRound> {
  const wf = buildWorkflow();
  const before = await settledCommits();
  const store = new PgStore<object, JC>({ connectionString: url, run: runName });
  if ((await store.load(wf)) !== undefined) throw new Error(`postgres pgstore: run ${runName} is already in the database`);
  const run = newRun(wf, n);
  const insertStart = performance.now();
  await store.checkpoint(run); // the jobs written in bulk before the clock, as the peers' are
  const insertSeconds = (performance.now() - insertStart) / 1000;
  heapAfterGc();
  const start = performance.now();
  const result = await new Processor(wf, {}, { store }).exec(run);
  const seconds = (performance.now() - start) / 1000;
  await store.close();
  if (result.outcome !== 'complete' || result.transitions !== 2 * n) throw new Error(`postgres pgstore: expected 2*${n} transitions, got ${JSON.stringify(result)}`);
  const check = new pg.Client({ connectionString: url });
  await check.connect();
  const done = await check.query<{ n: number }>(`SELECT count(*)::int AS n FROM jorb.jobs WHERE run = $1 AND state = 'done'`, [runName]);
  await check.end();
  if (done.rows[0]?.n !== n) throw new Error(`postgres pgstore: ${done.rows[0]?.n} of ${n} jobs in 'done' in the database`);
  return round(n, insertSeconds, seconds, (await settledCommits()) - before);
}

async function graphileRound(n: number): Promise<PostgresRound> {
  const logger = new Logger(() => () => undefined);
  const before = await settledCommits();
  const utils = await makeWorkerUtils({ connectionString: url, logger });
  await utils.migrate();
  const insertStart = performance.now();
  for (let i = 0; i < n; i += INSERT_CHUNK) {
    await utils.addJobs(Array.from({ length: Math.min(INSERT_CHUNK, n - i) }, (_, k) => ({ identifier: 'fetch', payload: { n: i + k } })));
  }
  const insertSeconds = (performance.now() - insertStart) / 1000;
  let parsed = 0;
  let parseAdded = 0;
  let allParsed = (): void => undefined;
  const parsedAll = new Promise<void>((resolve) => (allParsed = resolve));
  const fetch: Task = async (payload, helpers) => {
    await noop();
    await helpers.addJob('parse', payload);
    parseAdded++;
  };
  const parse: Task = async () => {
    await noop();
    if (++parsed === n) allParsed();
  };
  // Committed transitions: finished 'fetch' jobs (n less those left) and finished 'parse' jobs
  // (those added less those left); graphile-worker deletes a job when it completes.
  const committed = async (): Promise<number> => {
    const left = await utils.withPgClient((client) =>
      client.query<{ fetch: number; parse: number }>(
        `SELECT count(*) FILTER (WHERE t.identifier = 'fetch')::int AS fetch, count(*) FILTER (WHERE t.identifier = 'parse')::int AS parse
         FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id`,
      ),
    );
    const row = left.rows[0] ?? { fetch: n, parse: 0 };
    return n - row.fetch + (parseAdded - row.parse);
  };
  const preset = { worker: { connectionString: url, ...GRAPHILE_SETTINGS } };
  heapAfterGc();
  const start = performance.now();
  // A runner per state, each with W3's concurrency (the fetch runner takes only 'fetch' jobs).
  const runners = await Promise.all([graphileRun({ preset, logger, taskList: { fetch } }), graphileRun({ preset, logger, taskList: { parse } })]);
  let seconds: number;
  let transitions: number;
  if (await withinBudget(parsedAll)) {
    await Promise.all(runners.map((r) => r.stop())); // flushes the batched completions
    for (;;) {
      transitions = await committed();
      if (transitions === 2 * n) break;
      if (performance.now() - start > 600_000) throw new Error(`postgres graphile: ${2 * n - transitions} transitions still uncommitted`);
      await sleep(10);
    }
    seconds = (performance.now() - start) / 1000;
  } else {
    seconds = (performance.now() - start) / 1000;
    transitions = await committed();
    await Promise.all(runners.map((r) => r.stop()));
  }
  const transitionsFinal = await committed();
  await utils.release();
  return round(n, insertSeconds, seconds, (await settledCommits()) - before, transitions, transitionsFinal);
}

async function pgbossRound(n: number, batchSize: number, suffix: string): Promise<PostgresRound> {
  const settings = pgbossSettings(batchSize);
  const before = await settledCommits();
  const boss = new PgBoss({ connectionString: url });
  boss.on('error', (error) => console.error(`pg-boss: ${error.message}`));
  await boss.start();
  const fetchQ = `fetch${suffix}`;
  const parseQ = `parse${suffix}`;
  await boss.createQueue(fetchQ);
  await boss.createQueue(parseQ);
  const insertStart = performance.now();
  for (let i = 0; i < n; i += INSERT_CHUNK) {
    await boss.insert(Array.from({ length: Math.min(INSERT_CHUNK, n - i) }, (_, k) => ({ name: fetchQ, data: { n: i + k } })));
  }
  const insertSeconds = (performance.now() - insertStart) / 1000;
  let parsed = 0;
  let allParsed = (): void => undefined;
  const parsedAll = new Promise<void>((resolve) => (allParsed = resolve));
  const ids: { fetch?: string; parse?: string } = {};
  heapAfterGc();
  const start = performance.now();
  ids.fetch = await boss.work<JC>(fetchQ, settings, async (jobs) => {
    await limited(jobs, CONCURRENCY, noop);
    await boss.insert(jobs.map((job) => ({ name: parseQ, data: job.data })));
    if (ids.parse !== undefined) boss.notifyWorker(ids.parse); // the parse worker need not wait for its poll
    if (jobs.length === batchSize && ids.fetch !== undefined) boss.notifyWorker(ids.fetch); // a full batch: fetch the next at once
  });
  ids.parse = await boss.work<JC>(parseQ, settings, async (jobs) => {
    await limited(jobs, CONCURRENCY, noop);
    parsed += jobs.length;
    if (parsed >= n) allParsed();
    if (jobs.length === batchSize && ids.parse !== undefined) boss.notifyWorker(ids.parse);
  });
  // Committed transitions: the jobs in state 'completed' (a worker completes a batch after its
  // handler returns, without waiting for it).
  const committed = async (): Promise<number> => {
    const done = await boss.getDb().executeSql(`SELECT count(*)::int AS n FROM pgboss.job WHERE name IN ($1, $2) AND state = 'completed'`, [fetchQ, parseQ]);
    return (done.rows[0] as { n: number } | undefined)?.n ?? 0;
  };
  let seconds: number;
  let transitions: number;
  if (await withinBudget(parsedAll)) {
    for (;;) {
      transitions = await committed();
      if (transitions === 2 * n) break;
      if (performance.now() - start > 600_000) throw new Error(`postgres pg-boss: ${2 * n - transitions} transitions still uncommitted`);
      await sleep(10);
    }
    seconds = (performance.now() - start) / 1000;
  } else {
    seconds = (performance.now() - start) / 1000;
    transitions = await committed();
  }
  await boss.offWork(fetchQ);
  await boss.offWork(parseQ);
  await sleep(500); // completions the workers sent without waiting
  const transitionsFinal = await committed();
  await boss.stop({ graceful: true, wait: true, close: true });
  return round(n, insertSeconds, seconds, (await settledCommits()) - before, transitions, transitionsFinal);
}

async function main(): Promise<PostgresChildReport> {
  switch (mode) {
    case 'pgstore': {
      await pgstoreRound('warm-up', WARM_UP_N);
      return { runner: 'pgstore', version: versionOf('pg'), measured: await pgstoreRound('w3', N) };
    }
    case 'graphile': {
      const probe = await graphileRound(WARM_UP_N);
      return { runner: 'graphile', version: versionOf('graphile-worker'), probe, measured: await graphileRound(N) };
    }
    case 'pgboss': {
      const batchSize = Number(batchArg);
      if (!Number.isSafeInteger(batchSize) || batchSize <= 0) throw new Error(`postgres-child pgboss: a batch size, got ${JSON.stringify(batchArg)}`);
      const probe = await pgbossRound(WARM_UP_N, batchSize, `-b${batchSize}-probe`);
      return { runner: 'pgboss', version: versionOf('pg-boss'), probe, measured: await pgbossRound(N, batchSize, `-b${batchSize}`) };
    }
    default:
      throw new Error(`postgres-child: unknown mode ${JSON.stringify(mode)}`);
  }
}

try {
  console.log(JSON.stringify(await main()));
} catch (error) {
  // The parent reports the round as failed with this line, and goes on with the others.
  console.log(JSON.stringify({ error: (error instanceof Error ? error.message : String(error)).split('\n')[0] }));
  process.exit(3);
}
