// The benchmark runner (`npm run bench`): runs every workload in one process, prints their
// human-readable lines, then as the last line one JSON object merging every workload's figures.
// Heap figures need `global.gc`, so without --expose-gc it re-executes itself with it.
// N: `--n 5000`, or env BENCH_N; 100,000 by default (W3, jsonl, memstore, postgres and the durable figures of kill use it).
// `--only restart` (or a comma list, `--only w3,jsonl`) runs only those workloads; all by default.
// `--original-cap 12`: seconds one run of the original baseline may take before it is extrapolated.
//
// Workloads:
//   w3        the engine against a bare p-queue chain, and its heap per job (bench/w3.ts)
//   jsonl     W3 with a JsonlStore (fsync on) against the in-memory engine (bench/w3-jsonl.ts)
//   original  the original whole-run JSON rewrite per completion against JsonlStore at
//             N = 1,000 / 5,000 / 10,000 (bench/original-baseline.ts)
//   restart   loading a 1,000,000-job run plus a 1,000,000-record log in a fresh process
//             (bench/restart.ts, bench/restart-child.ts)
//   ratelimit issue #21's matrix: quota shapes x retry hints x quotas of 10 to 10,000 a second on a
//             real HTTP server on 127.0.0.1, for aimd() (the learning limiter), aimd.cubic() and
//             aimd.classic(); the per-minute window scaled to 10 s (bench/ratelimit*.ts; about 10 min)
//   kill      W3 with 10,000 jobs on a JsonlStore killed with SIGKILL at about 40 % and restarted,
//             5 kill points for the default maxUndurable and for 'strict': execs run twice and
//             jobs lost, against the bound Σ (concurrency + maxUndurable); then durable W3 against
//             in memory at 10,000 and N jobs (bench/kill.ts, bench/kill-child.ts; about 40 s)
//   priority  50,000 jobs at one priority against 50,000 distinct priorities, one state
//             (bench/priority.ts; about 5 s)
//   memstore  W3 with a MemoryStore against a JsonlStore (N jobs; bench/memstore.ts; about 15 s)
//   million   W3 with 1,000,000 jobs on a JsonlStore in a child process: time, peak RSS, time to
//             the first job in 'done', restart after a clean close and after a kill -9 at 50 %
//             (bench/million.ts, bench/million-child.ts; about 2 min)
//   postgres  W3 on PgStore (1 and 2 processes on a shared run, the kill test, 1,000,000 jobs in 2
//             processes) against graphile-worker 0.17 and pg-boss 10 on a real PostgreSQL the
//             workload starts (N jobs; bench/postgres*.ts; about 6.5 min)
//   adaptive  adaptive() concurrency against a real HTTP server on 127.0.0.1 whose latency climbs
//             beyond 8 in flight, beside fixed 4-16, with a 10 s burst of 503s (bench/adaptive.ts;
//             about 2 min 10 s)
//   ledger    W3 with the ledger on against off, and its bottleneck verdicts on the real clock
//             (bench/ledger.ts; about 1 min)
//   serve     jorb serve on a 1,000,000-job run file in headless Chromium: first paint, server RSS,
//             and the time from a transition to the page at 2,000 transitions/s (bench/serve.ts; about 25 s)
//   threads   a state burning 5 ms of CPU per job on the main thread against inThreads() with 2
//             threads and with 1, and a fast I/O state alone and beside it (bench/threads.ts; about 25 s)
import { spawn } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { kill } from './kill.js';
import { memstore } from './memstore.js';
import { million } from './million.js';
import { DEFAULT_CAP_SECONDS, original } from './original-baseline.js';
import { postgres } from './postgres.js';
import { priority } from './priority.js';
import { rateLimit } from './ratelimit.js';
import { restart } from './restart.js';
import { w3 } from './w3.js';
import { w3Jsonl } from './w3-jsonl.js';
import { threads } from './threads.js';
import { adaptiveConcurrency } from './adaptive.js';
import { ledgerBench } from './ledger.js';
import { serveDashboard } from './serve.js';

const DEFAULT_N = 100_000;
const WORKLOADS = ['w3', 'jsonl', 'original', 'restart', 'ratelimit', 'kill', 'priority', 'memstore', 'million', 'postgres', 'threads', 'adaptive', 'ledger', 'serve'] as const;
type WorkloadName = (typeof WORKLOADS)[number];

/** The value of `--name value` or `--name=value`, if given. */
function flag(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  if (i >= 0) {
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('--')) throw new Error(`bench: --${name} needs a value`);
    return value;
  }
  return argv.find((a) => a.startsWith(`--${name}=`))?.slice(`--${name}=`.length);
}

function parseOnly(argv: readonly string[]): ReadonlySet<WorkloadName> {
  const raw = flag(argv, 'only');
  if (raw === undefined) return new Set(WORKLOADS);
  const names = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const unknown = names.filter((name) => !(WORKLOADS as readonly string[]).includes(name));
  if (names.length === 0 || unknown.length > 0) {
    throw new Error(`bench: --only takes workload names (${WORKLOADS.join(', ')}), got ${JSON.stringify(raw)}`);
  }
  return new Set(names as WorkloadName[]);
}

function parseCap(argv: readonly string[]): number {
  const raw = flag(argv, 'original-cap');
  if (raw === undefined) return DEFAULT_CAP_SECONDS;
  const cap = Number(raw);
  if (!Number.isFinite(cap) || cap <= 0) throw new Error(`bench: --original-cap must be a positive number of seconds, got ${JSON.stringify(raw)}`);
  return cap;
}

function parseN(argv: readonly string[]): number {
  const raw = flag(argv, 'n') ?? process.env['BENCH_N'];
  if (raw === undefined) return DEFAULT_N;
  const n = Number(raw.replaceAll('_', ''));
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`bench: N must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

function reExecWithGc(): void {
  if (process.env['BENCH_REEXEC'] === '1') throw new Error('bench: still no global.gc after re-executing with --expose-gc');
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_REEXEC: '1' },
  });
  child.on('exit', (code, signal) => {
    if (signal !== null) process.kill(process.pid, signal);
    else process.exitCode = code ?? 1;
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const n = parseN(argv);
  const only = parseOnly(argv);
  const cap = parseCap(argv);
  const log = (line: string) => console.log(line);
  const figures: Record<string, unknown> = {};
  // Each workload returns a flat figure object; later workloads add a line here with keys of
  // their own (a repeated key is a bug: it would silently hide another workload's figure).
  // Other processes on the machine skew every figure: say how busy it was.
  const loadStart = round1(loadavg()[0] ?? 0);
  log(`machine: ${availableParallelism()} cores, load average ${loadStart} at the start; workloads: ${[...only].join(', ')}`);
  const start = performance.now();
  if (only.has('w3')) merge(figures, await w3(n, log));
  if (only.has('jsonl')) merge(figures, await w3Jsonl(n, log));
  if (only.has('original')) merge(figures, await original(log, cap));
  if (only.has('restart')) merge(figures, await restart(log));
  if (only.has('ratelimit')) merge(figures, await rateLimit(log));
  if (only.has('kill')) merge(figures, await kill(n, log));
  if (only.has('priority')) merge(figures, await priority(log));
  if (only.has('memstore')) merge(figures, await memstore(n, log));
  if (only.has('million')) merge(figures, await million(log));
  if (only.has('postgres')) merge(figures, await postgres(n, log));
  if (only.has('threads')) merge(figures, await threads(log));
  if (only.has('adaptive')) merge(figures, await adaptiveConcurrency(log));
  if (only.has('ledger')) merge(figures, await ledgerBench(n, log));
  if (only.has('serve')) merge(figures, await serveDashboard(log));
  const seconds = round1((performance.now() - start) / 1000);
  const loadEnd = round1(loadavg()[0] ?? 0);
  log(`bench: ${seconds} s in all; load average ${loadEnd} at the end`);
  merge(figures, { bench_seconds: seconds, bench_loadavg_start: loadStart, bench_loadavg_end: loadEnd });
  console.log(JSON.stringify(figures));
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function merge(into: Record<string, unknown>, figures: object): void {
  for (const [key, value] of Object.entries(figures)) {
    if (key in into) throw new Error(`bench: two workloads report the figure "${key}"`);
    into[key] = value;
  }
}

if (globalThis.gc === undefined) reExecWithGc();
else await main();
