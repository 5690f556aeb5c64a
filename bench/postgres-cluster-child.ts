// Child process of the postgres workload's multi-process rounds (bench/postgres-cluster.ts): one
// process of W3 (fetch -> parse -> done, no-op async execs, concurrency 10 per state) on a run
// shared through PgStore (its default mode).
//   postgres-cluster-child.ts setup <url> <run> <n>
//       writes a new run of n jobs in 'fetch' (store.checkpoint(newRun), as the 1-process round
//       does), closes the store and prints {"insert_s": ...}
//   postgres-cluster-child.ts work <url> <run> [--log=<file>] [--rss]
//       load()s the run, prints "ready", waits for "go" on stdin, then execs it; prints
//       "complete <epoch ms>" as soon as exec resolves, closes the store, then prints its report
//       (PostgresWorkerReport) as a JSON line.
//       --log=<file>  every exec first appends "<pid> <state> <id> <epoch ms>" to the file with
//                     appendFileSync (so the log survives a kill -9)
//       --rss         samples process.memoryUsage.rss() every 100 ms from "go" to exec resolved, and
//                     prints "rss <peak so far>" every second
// Bounded: exits (code 4) after BENCH_PG_CHILD_S seconds (600 by default), and (code 2) when the
// parent is gone.
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Processor, workflow } from '../src/index.js';
import { PgStore } from '../src/postgres/index.js';
import type { PostgresWorkerReport } from './postgres-settings.js';
import { newRun, type JC } from './w3.js';

const CONCURRENCY = 10;
const RSS_EVERY_MS = 100;
const LIMIT_S = Number(process.env['BENCH_PG_CHILD_S'] ?? 600);

const args = process.argv.slice(2);
const [mode, url, runName, nText] = args.filter((a) => !a.startsWith('--'));
if (mode === undefined || url === undefined || runName === undefined) throw new Error('usage: postgres-cluster-child.ts setup|work <url> <run> [n] [--log=<file>] [--rss]');
const flag = (key: string): string | undefined => args.find((a) => a.startsWith(`--${key}=`))?.slice(key.length + 3);
const logFile = flag('log');
const sampleRss = args.includes('--rss');

setTimeout(() => {
  console.error(`postgres-cluster-child ${mode}: still running after ${LIMIT_S} s: exiting`);
  process.exit(4);
}, LIMIT_S * 1000).unref();
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(2); // the bench is gone: so is this process
}, 250).unref();

const epochMs = (): number => performance.timeOrigin + performance.now();

/** W3 as bench/w3.ts builds it, its execs optionally logging their start first. */
function w3(log: string | undefined) {
  const pid = process.pid;
  const note = log === undefined ? undefined : (state: string, id: string) => appendFileSync(log, `${pid} ${state} ${id} ${epochMs().toFixed(1)}\n`);
  return workflow<object, object, JC>('w3')
    .state('fetch', { concurrency: CONCURRENCY })
    .to('parse')
    .exec(async ({ jc, job }) => {
      note?.('fetch', job.id);
      return { state: 'parse', jc };
    })
    .state('parse', { concurrency: CONCURRENCY })
    .to('done')
    .exec(async ({ jc, job }) => {
      note?.('parse', job.id);
      return { state: 'done', jc };
    })
    .terminal('done')
    .build();
}

/** Resolves when the parent writes "go" on stdin. */
function goSignal(): Promise<void> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: process.stdin });
    let went = false;
    lines.on('line', (line) => {
      if (went || line.trim() !== 'go') return;
      went = true;
      resolve();
      lines.close();
    });
    lines.on('close', () => {
      if (!went) reject(new Error('postgres-cluster-child: stdin closed before "go"'));
    });
  });
}

async function setup(n: number): Promise<{ insert_s: number }> {
  const wf = w3(undefined);
  const store = new PgStore<object, JC>({ connectionString: url as string, run: runName as string });
  if ((await store.load(wf)) !== undefined) throw new Error(`postgres-cluster-child setup: run ${runName} is already in the database`);
  const run = newRun(wf, n);
  const start = performance.now();
  await store.checkpoint(run);
  const seconds = (performance.now() - start) / 1000;
  await store.close();
  return { insert_s: seconds };
}

async function work(): Promise<PostgresWorkerReport> {
  const wf = w3(logFile);
  const store = new PgStore<object, JC>({ connectionString: url as string, run: runName as string });
  const run = await store.load(wf);
  if (run === undefined) throw new Error(`postgres-cluster-child work: no run ${runName} in the database`);
  const go = goSignal();
  const rssReady = process.memoryUsage.rss();
  process.stdout.write('ready\n');
  await go;
  const startedAt = epochMs();
  let peak = process.memoryUsage.rss();
  let samples = 0;
  const sampler = sampleRss
    ? setInterval(() => {
        peak = Math.max(peak, process.memoryUsage.rss());
        if (++samples % 10 === 0) process.stdout.write(`rss ${peak}\n`); // the peak so far, should this process fail before its report
      }, RSS_EVERY_MS)
    : undefined;
  const result = await new Processor(wf, {}, { store }).exec(run);
  const endedAt = epochMs();
  if (sampler) clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage.rss());
  process.stdout.write(`complete ${endedAt.toFixed(1)}\n`);
  await store.close();
  if (result.outcome !== 'complete') throw new Error(`postgres-cluster-child work: exec resolved ${JSON.stringify(result)}`);
  return { pid: process.pid, outcome: result.outcome, transitions: result.transitions, started_at: startedAt, ended_at: endedAt, rss_ready: rssReady, rss_peak: sampleRss ? peak : null };
}

try {
  const report = mode === 'setup' ? await setup(Number(nText)) : mode === 'work' ? await work() : undefined;
  if (report === undefined) throw new Error(`postgres-cluster-child: unknown mode ${JSON.stringify(mode)}`);
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exit(0);
} catch (error) {
  console.error(`postgres-cluster-child ${mode}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.stdout.write(`error ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}\n`); // for the parent's report
  process.exit(3);
}
