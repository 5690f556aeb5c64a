// The postgres workload's multi-process rounds (bench/postgres.ts): W3 on one run shared by two
// jorb-ts processes (PgStore's default mode), each in a fresh child (bench/postgres-cluster-child.ts).
// A round: a setup child writes the run's jobs (store.checkpoint(newRun), then close) before the
// clock; two fresh workers load() the run and print "ready"; the parent then writes "go" to both at
// once, so process start-up and load are outside the clock, which runs from "go" to both execs
// resolved `complete`. Commits: the database's pg_stat_database.xact_commit from before the setup
// to after both workers closed (as the 1-process round counts them, insert to close).
//   - sharedRound: the plain round (transitions/s, commits per transition) and, with rss, the
//     memory round (each worker's peak RSS sampled every 100 ms during its exec);
//   - killRound: each exec first appends "<pid> <state> <id> <epoch ms>" to one log file; at 40 % of
//     the run's transitions (polled from the jobs table) one worker is killed with SIGKILL and the
//     survivor finishes alone; then the jobs table and the log are checked.
// Every child is bounded in time (the parent kills it; it also exits by itself, BENCH_PG_CHILD_S).
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { benchScript, type ChildExit, lastJson, runChild } from './child-process.js';
import type { BenchPostgres } from './postgres-server.js';
import type { PostgresWorkerReport } from './postgres-settings.js';
import { round3 } from './report.js';
import { withTempDir } from './temp-dir.js';

const SCRIPT = 'postgres-cluster-child.ts';
/** The most a round's worker may live, from its start (the parent kills it then). */
const WORKER_LIMIT_MS = Number(process.env['BENCH_PG_CHILD_S'] ?? 600) * 1000;
const POLL_MS = 50;

export interface SharedRound {
  readonly n: number;
  readonly insert_s: number;
  /** From "go" to both execs resolved. */
  readonly seconds: number;
  readonly transitions: number;
  readonly tps: number;
  /** xact_commit over the round (setup to both closed). */
  readonly commits: number;
  readonly commits_per_transition: number;
  readonly workers: readonly PostgresWorkerReport[];
}

export interface KillRound {
  readonly n: number;
  readonly insert_s: number;
  /** Transitions committed when the kill came (polled), and their share of 2n. */
  readonly at_kill_transitions: number;
  readonly at_kill_fraction: number;
  readonly killed_pid: number;
  readonly survivor_pid: number;
  readonly survivor_transitions: number;
  /** From "go" to the survivor's exec resolved. */
  readonly seconds: number;
  /** Jobs not in 'done' (or missing): lost. */
  readonly lost: number;
  /** Jobs whose history has a state more than once (a transition applied twice). */
  readonly applied_twice: number;
  /** Jobs in 'done' whose history is neither fetch>parse>done nor longer (should be none). */
  readonly other_history: number;
  /** Jobs still claimed or not settled after the round. */
  readonly left_claimed: number;
  readonly execs: number;
  /** Execs of an (id, state) the log held already, in all and by state; and those before the kill (none expected). */
  readonly reruns: number;
  readonly reruns_fetch: number;
  readonly reruns_parse: number;
  readonly reruns_before_kill: number;
  /** Seconds from the kill to the first re-run (null when nothing ran again). */
  readonly first_rerun_s: number | null;
  /** Jobs the killed process held (claimed) at the kill, read from the jobs table right after it. */
  readonly held_at_kill: number;
  /** Seconds from the kill to the first exec, by the survivor, of a job the killed process held (null when it held none). */
  readonly first_takeover_s: number | null;
  /** Seconds from the kill to the survivor's exec resolved complete. */
  readonly all_done_s: number;
}

/** A round that did not complete (a worker failed): what was seen until then. */
export class RoundFailed extends Error {
  /** Each worker's highest "rss" line so far (null when it printed none). */
  readonly peaks: readonly (number | null)[];
  /** Seconds from "go" to the failure (null when it came before "go"). */
  readonly afterS: number | null;
  constructor(message: string, peaks: readonly (number | null)[], afterS: number | null, cause: unknown) {
    super(message, { cause });
    this.peaks = peaks;
    this.afterS = afterS;
  }
}

/** The highest "rss <bytes>" line a worker printed, or null. */
function rssSoFar(w: Worker): number | null {
  let most: number | null = null;
  for (const line of w.lines) if (line.startsWith('rss ')) most = Math.max(most ?? 0, Number(line.slice(4)));
  return most;
}

const epochMs = (): number => performance.timeOrigin + performance.now();

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface Worker {
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly lines: readonly string[];
  /** Whether it has exited. */
  ended(): boolean;
  /** Resolves with the first line (so far or to come) that `match` accepts; rejects when the worker ends first. */
  line(match: (line: string) => boolean): Promise<string>;
  go(): void;
  readonly exited: Promise<ChildExit>;
}

/** Starts a worker with stdin piped (for "go"); killed after WORKER_LIMIT_MS. */
function startWorker(what: string, args: readonly string[]): Worker {
  const path = benchScript(SCRIPT);
  const proc = spawn(process.execPath, ['--import', 'tsx', path, ...args], { cwd: dirname(dirname(path)), stdio: ['pipe', 'pipe', 'inherit'] });
  if (proc.pid === undefined) throw new Error(`${what}: could not start ${SCRIPT}`);
  const lines: string[] = [];
  const waiters: { match: (line: string) => boolean; resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  let partial = '';
  let ended = false;
  proc.stdout?.setEncoding('utf8').on('data', (data: string) => {
    const parts = (partial + data).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const w of waiters.splice(0)) if (w.match(line)) w.resolve(line);
      else waiters.push(w);
    }
  });
  const timer = setTimeout(() => {
    console.error(`${what}: still running after ${WORKER_LIMIT_MS / 1000} s: killed`);
    proc.kill('SIGKILL');
  }, WORKER_LIMIT_MS);
  timer.unref();
  const exited = new Promise<ChildExit>((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      if (partial !== '') lines.push(partial);
      ended = true;
      for (const w of waiters.splice(0)) w.reject(new Error(`${what} (pid ${proc.pid}): exited with ${signal ?? code}: ${lines.filter((l) => !l.startsWith('rss ')).join(' | ')}`));
      resolve({ code, signal, lines });
    });
  });
  proc.stdin?.on('error', () => undefined); // a worker killed with its stdin open
  return {
    proc,
    pid: proc.pid,
    lines,
    ended: () => ended,
    exited,
    go: () => void proc.stdin?.write('go\n'),
    line: (match) => {
      const found = lines.find(match);
      if (found !== undefined) return Promise.resolve(found);
      if (ended) return Promise.reject(new Error(`${what} (pid ${proc.pid}): exited: ${lines.filter((l) => !l.startsWith('rss ')).join(' | ')}`));
      return new Promise((resolve, reject) => waiters.push({ match, resolve, reject }));
    },
  };
}

const completeAt = (line: string): number => Number(line.split(' ')[1]);
const isComplete = (line: string): boolean => line.startsWith('complete ');

/**
 * The database's xact_commit once its client sessions have ended and the count stopped moving (a
 * backend reports its counts when it exits, or about once a second while it works); read from the
 * postgres database, each time in a fresh session.
 */
async function settledCommits(server: BenchPostgres, db: string): Promise<number> {
  const deadline = performance.now() + 15_000;
  for (;;) {
    const open = await server.sql<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'`, [db]);
    if ((open[0]?.n ?? 0) === 0 || performance.now() > deadline) break;
    await sleep(100);
  }
  let last = -1;
  for (;;) {
    const row = await server.sql<{ n: string }>('SELECT xact_commit::text AS n FROM pg_stat_database WHERE datname = $1', [db]);
    const n = Number(row[0]?.n);
    if (n === last || performance.now() > deadline) return n;
    last = n;
    await sleep(1_100);
  }
}

async function setupRun(what: string, url: string, run: string, n: number): Promise<number> {
  return (await runChild<{ insert_s: number }>(`${what} setup`, SCRIPT, ['setup', url, run, String(n)])).insert_s;
}

/** Two workers started, both loaded ("ready"); then "go" to both at once. Returns the workers and the epoch of "go". */
async function startPair(what: string, url: string, run: string, flags: readonly string[]): Promise<{ workers: [Worker, Worker]; goAt: number }> {
  const workers: [Worker, Worker] = [startWorker(`${what} worker 1`, ['work', url, run, ...flags]), startWorker(`${what} worker 2`, ['work', url, run, ...flags])];
  try {
    await Promise.all(workers.map((w) => w.line((l) => l === 'ready')));
  } catch (error) {
    for (const w of workers) w.proc.kill('SIGKILL');
    throw error;
  }
  const goAt = epochMs();
  for (const w of workers) w.go();
  return { workers, goAt };
}

/** W3 on a shared run of n jobs, two processes; with `rss`, each samples its RSS during its exec. */
export async function sharedRound(server: BenchPostgres, db: string, n: number, rss: boolean): Promise<SharedRound> {
  const what = `postgres 2 processes n=${n}`;
  const url = server.url(db);
  const run = `w3-2p-${n}`;
  const before = await settledCommits(server, db);
  const insertSeconds = await setupRun(what, url, run, n);
  const { workers, goAt } = await startPair(what, url, run, rss ? ['--rss'] : []);
  try {
    const ends = await Promise.all(workers.map((w) => w.line(isComplete).then(completeAt)));
    const seconds = (Math.max(...ends) - goAt) / 1000;
    const reports = await Promise.all(workers.map(async (w, i) => lastJson<PostgresWorkerReport>(`${what} worker ${i + 1}`, await w.exited)));
    const transitions = reports.reduce((sum, r) => sum + r.transitions, 0);
    if (transitions !== 2 * n) throw new Error(`${what}: the workers applied ${transitions} transitions, expected ${2 * n}`);
    const done = await server.sql<{ n: number }>(`SELECT count(*)::int AS n FROM jorb.jobs WHERE run = $1 AND state = 'done'`, [run], db);
    if (done[0]?.n !== n) throw new Error(`${what}: ${done[0]?.n} of ${n} jobs in 'done' in the database`);
    const commits = (await settledCommits(server, db)) - before;
    return { n, insert_s: insertSeconds, seconds, transitions, tps: Math.round(transitions / seconds), commits, commits_per_transition: round3(commits / transitions), workers: reports };
  } catch (error) {
    throw new RoundFailed(error instanceof Error ? error.message : String(error), workers.map(rssSoFar), (epochMs() - goAt) / 1000, error);
  } finally {
    for (const w of workers) w.proc.kill('SIGKILL');
  }
}

interface Exec {
  readonly pid: number;
  readonly state: string;
  readonly id: string;
  readonly at: number;
}

function readExecLog(file: string): Exec[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [pid, state, id, at] = l.split(' ');
      return { pid: Number(pid), state: state as string, id: id as string, at: Number(at) };
    });
}

/** The kill test: two processes on a shared run of n jobs, one killed with SIGKILL at `fraction` of the transitions. */
export async function killRound(server: BenchPostgres, db: string, n: number, fraction: number): Promise<KillRound> {
  const what = `postgres kill test n=${n}`;
  const url = server.url(db);
  const run = `w3-kill-${n}`;
  return withTempDir('pg-kill', async (dir) => {
    const logFile = join(dir, 'execs.log');
    const insertSeconds = await setupRun(what, url, run, n);
    const poll = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
    await poll.connect();
    const { workers, goAt } = await startPair(what, url, run, [`--log=${logFile}`]);
    try {
      const [victim, survivor] = workers;
      const committed = async (): Promise<number> => {
        const found = await poll.query<{ t: number }>(
          `SELECT (count(*) FILTER (WHERE state = 'parse') + 2 * count(*) FILTER (WHERE state = 'done'))::int AS t FROM jorb.jobs WHERE run = $1 AND state IN ('parse', 'done')`,
          [run],
        );
        return found.rows[0]?.t ?? 0;
      };
      let atKill: number;
      for (;;) {
        atKill = await committed();
        if (atKill >= fraction * 2 * n) break;
        if (epochMs() - goAt > WORKER_LIMIT_MS) throw new Error(`${what}: ${fraction * 100} % of the transitions not reached`);
        if (victim.ended() || survivor.ended()) {
          const gone = victim.ended() ? victim : survivor;
          throw new Error(`${what}: worker pid ${gone.pid} exited before the kill, at ${atKill} transitions: ${gone.lines.join(' | ')}`);
        }
        await sleep(POLL_MS);
      }
      victim.proc.kill('SIGKILL');
      const killAt = epochMs();
      const heldRows = await poll.query<{ id: string; state: string }>(
        `SELECT j.id, j.state FROM jorb.jobs j JOIN jorb.processes p ON p.id = j.lease_owner WHERE j.run = $1 AND p.pid = $2 AND NOT j.settled`,
        [run, victim.pid],
      );
      const held = new Set(heldRows.rows.map((r) => `${r.state} ${r.id}`));
      const killedExit = await victim.exited;
      if (killedExit.signal !== 'SIGKILL') throw new Error(`${what}: the killed worker ended with ${killedExit.signal ?? killedExit.code}`);
      const endAt = completeAt(await survivor.line(isComplete));
      const report = lastJson<PostgresWorkerReport>(`${what} survivor`, await survivor.exited);

      const check = await poll.query<{ rows: number; done: number; exact: number; longer: number; claimed: number }>(
        `SELECT count(*)::int AS rows, count(*) FILTER (WHERE state = 'done')::int AS done, count(*) FILTER (WHERE state = 'done' AND h = 'fetch>parse>done')::int AS exact,
                count(*) FILTER (WHERE h <> 'fetch>parse>done' AND jsonb_array_length(history) > 3)::int AS longer,
                count(*) FILTER (WHERE NOT settled OR lease_owner IS NOT NULL)::int AS claimed
         FROM (SELECT state, history, settled, lease_owner, (SELECT string_agg(e->>'state', '>' ORDER BY o) FROM jsonb_array_elements(history) WITH ORDINALITY AS x(e, o)) AS h
               FROM jorb.jobs WHERE run = $1) s`,
        [run],
      );
      const c = check.rows[0] ?? { rows: 0, done: 0, exact: 0, longer: 0, claimed: 0 };
      const lost = n - c.done;
      const execs = readExecLog(logFile);
      const seen = new Set<string>();
      const reruns: Exec[] = [];
      for (const e of execs) {
        const key = `${e.state} ${e.id}`;
        if (seen.has(key)) reruns.push(e);
        else seen.add(key);
      }
      if (seen.size !== 2 * n) throw new Error(`${what}: the log holds execs of ${seen.size} (id, state) pairs, expected ${2 * n}`);
      const afterKill = reruns.filter((e) => e.at >= killAt);
      const takeovers = execs.filter((e) => e.at >= killAt && e.pid === survivor.pid && held.has(`${e.state} ${e.id}`));
      return {
        n,
        insert_s: insertSeconds,
        at_kill_transitions: atKill,
        at_kill_fraction: round3(atKill / (2 * n)),
        killed_pid: victim.pid,
        survivor_pid: survivor.pid,
        survivor_transitions: report.transitions,
        seconds: (endAt - goAt) / 1000,
        lost,
        applied_twice: c.longer,
        other_history: c.done - c.exact - c.longer,
        left_claimed: c.claimed,
        execs: execs.length,
        reruns: reruns.length,
        reruns_fetch: reruns.filter((e) => e.state === 'fetch').length,
        reruns_parse: reruns.filter((e) => e.state === 'parse').length,
        reruns_before_kill: reruns.length - afterKill.length,
        first_rerun_s: afterKill.length === 0 ? null : (Math.min(...afterKill.map((e) => e.at)) - killAt) / 1000,
        held_at_kill: held.size,
        first_takeover_s: takeovers.length === 0 ? null : (Math.min(...takeovers.map((e) => e.at)) - killAt) / 1000,
        all_done_s: (endAt - killAt) / 1000,
      };
    } finally {
      for (const w of workers) w.proc.kill('SIGKILL');
      await poll.end().catch(() => undefined);
    }
  });
}
