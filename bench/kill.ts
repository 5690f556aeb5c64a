// Workload "kill" (issue #16): how much a kill -9 makes run again, and what bounding it costs.
// W3 (fetch -> parse -> done, no-op async execs, concurrency 10 per state) with 10,000 jobs on a
// JsonlStore (fsync on) in a child process (bench/kill-child.ts), killed with SIGKILL once at about
// 40 % of its 20,000 transitions (the child says KILL once that many are durable; the parent's
// SIGKILL lands wherever the child is by then), then a second child loads the run and finishes it.
// Each exec appends a line to an exec log with fs.writeSync as its first act (the page cache keeps
// it through a kill -9), so the parent counts exactly the execs that ran twice: the same job in
// the same state visit started before the kill and again after. It also checks that no job was
// lost (all 10,000 in 'done' with the history fetch, parse, done) and that the re-runs are exactly
// the execs started before the kill whose transition was not durable.
// Five kill points (38 % to 42 %) for each of the processor's default (maxUndurable 4 x
// concurrency: at most Σ (concurrency + maxUndurable) = 100 re-runs) and 'strict' (at most the
// attempts in flight, Σ concurrency = 20). Then, in this process, W3 in memory against the same on
// a JsonlStore, default and strict (best of 3 each, rotating), with the kill test's 10,000 jobs
// and with W3's N (100,000 by default): the bound must not cost durable W3 more than half the
// in-memory speed. About 40 s.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JsonlStore, Processor } from '../src/index.js';
import { startChild, runChild } from './child-process.js';
import { passFail, withLoadLines } from './goal.js';
import { heapAfterGc } from './heap.js';
import type { KillRestartReport } from './kill-child.js';
import { fmt, fmtSeconds, round2 } from './report.js';
import { withTempDir } from './temp-dir.js';
import { buildWorkflow, engineSeconds, type JC, newRun, type W3Workflow, WARM_UP_N } from './w3.js';
import { removeRunFiles } from './w3-jsonl.js';

const N = 10_000;
const TRANSITIONS = 2 * N;
const CONCURRENCY = 10;
const STATES = 2;
const KILL_FRACTIONS = [0.38, 0.39, 0.4, 0.41, 0.42];
const MODES = ['default', 'strict'] as const;
type Mode = (typeof MODES)[number];
const ROUNDS = 3;
const TARGET_RATIO = 0.5;

/** maxUndurable of a state of concurrency 10 in each mode. */
const UNDURABLE: Record<Mode, number> = { default: 4 * CONCURRENCY, strict: 0 };
const bound = (mode: Mode) => STATES * (CONCURRENCY + UNDURABLE[mode]);

export interface KillFigures {
  readonly kill_n: number;
  readonly kill_rounds: number;
  readonly kill_reruns_max: number;
  readonly kill_reruns_mean: number;
  readonly kill_reruns_bound: number;
  readonly kill_strict_reruns_max: number;
  readonly kill_strict_reruns_mean: number;
  readonly kill_strict_reruns_bound: number;
  readonly kill_lost_jobs: number;
  readonly kill_memory_tps: number;
  readonly kill_durable_tps: number;
  readonly kill_durable_ratio: number;
  readonly kill_strict_tps: number;
  readonly kill_strict_ratio: number;
  /** The same at W3's size (the bench's N, 100,000 by default). */
  readonly kill_w3_n: number;
  readonly kill_w3_memory_tps: number;
  readonly kill_w3_durable_tps: number;
  readonly kill_w3_durable_ratio: number;
  readonly kill_w3_strict_tps: number;
  readonly kill_w3_strict_ratio: number;
}

interface DurableFigures {
  readonly memory_tps: number;
  readonly durable_tps: number;
  readonly ratio: number;
  readonly strict_tps: number;
  readonly strict_ratio: number;
}

interface KillRound {
  readonly reruns: number;
  readonly lost: number;
}

/** Counts the exec log's lines by phase and key; a repeat within one process would be an engine bug. */
function countExecs(file: string): { before: Map<string, number>; after: Map<string, number> } {
  const before = new Map<string, number>();
  const after = new Map<string, number>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    const space = line.indexOf(' ');
    const into = line.slice(0, space) === 'a' ? before : after;
    const key = line.slice(space + 1);
    into.set(key, (into.get(key) ?? 0) + 1);
  }
  return { before, after };
}

async function killRound(dir: string, mode: Mode, round: number, fraction: number, log: (line: string) => void): Promise<KillRound> {
  const path = join(dir, `${mode}-${round}.jsonl`);
  const execLog = `${path}.execs`;
  const killAt = Math.round(TRANSITIONS * fraction);
  const first = startChild('kill-child.ts', [path, execLog, mode, 'first', String(N), String(killAt)], (line, proc) => {
    if (line === 'KILL') proc.kill('SIGKILL');
  });
  const killed = await first.exited;
  if (killed.signal !== 'SIGKILL') throw new Error(`kill: the ${mode} child #${round} was not killed (exit ${killed.code}): ${killed.lines.join('\n')}`);
  const report = await runChild<KillRestartReport>('kill restart', 'kill-child.ts', [path, execLog, mode, 'restart']);

  const { before, after } = countExecs(execLog);
  let startsBefore = 0;
  let repeatedInOneProcess = 0;
  let reruns = 0;
  for (const [key, count] of before) {
    startsBefore += count;
    if (count > 1) repeatedInOneProcess++;
    if (after.has(key)) reruns++;
  }
  for (const count of after.values()) if (count > 1) repeatedInOneProcess++;
  const keys = new Set([...before.keys(), ...after.keys()]).size;
  const lost = N - report.done + report.bad_history;
  const undurable = startsBefore - report.durable_at_load;
  const problems: string[] = [];
  if (report.jobs !== N) problems.push(`${report.jobs} jobs loaded`);
  if (repeatedInOneProcess > 0) problems.push(`${repeatedInOneProcess} execs ran twice in one process`);
  if (keys !== TRANSITIONS) problems.push(`${keys} distinct execs, expected ${TRANSITIONS}`);
  if (undurable !== reruns) problems.push(`${undurable} execs started before the kill were not durable, but ${reruns} ran again`);
  if (problems.length > 0) throw new Error(`kill: ${mode} #${round}: ${problems.join('; ')}`);
  log(
    `KILL ${mode.padEnd(7)} #${round + 1}: said KILL at ${fmt(killAt)} durable transitions; ${fmt(report.durable_at_load)} durable at the kill ` +
      `(${((100 * report.durable_at_load) / TRANSITIONS).toFixed(1)} %), ${fmt(startsBefore)} execs started; ` +
      `re-ran ${reruns} execs; lost ${lost} jobs; restart: load ${fmtSeconds(report.load_s)}, finish ${fmtSeconds(report.exec_s)}`,
  );
  removeRunFiles(path);
  return { reruns, lost };
}

/** Seconds of `processor.exec` on a fresh JsonlStore (fsync on), adding excluded. */
async function durableSeconds(wf: W3Workflow, n: number, path: string, mode: Mode): Promise<number> {
  const store = new JsonlStore<object, JC>(path);
  const run = newRun(wf, n);
  heapAfterGc();
  const start = performance.now();
  const result = await new Processor(wf, {}, { store, ...(mode === 'strict' ? { maxUndurable: 'strict' as const } : {}) }).exec(run);
  const seconds = (performance.now() - start) / 1000;
  await store.close();
  removeRunFiles(path);
  if (result.outcome !== 'complete' || result.transitions !== 2 * n) throw new Error(`kill: durable W3 ${mode}: ${JSON.stringify(result)}`);
  return seconds;
}

/** W3 of n jobs in memory, on a JsonlStore by default and strict: best of 3 each, rotating which goes first. */
async function durableAgainstMemory(wf: W3Workflow, n: number, dir: string, log: (line: string) => void): Promise<DurableFigures> {
  const best = { memory: Infinity, default: Infinity, strict: Infinity };
  const kinds = ['memory', 'default', 'strict'] as const;
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < kinds.length; i++) {
      const which = kinds[(i + round) % kinds.length] as (typeof kinds)[number];
      const seconds = which === 'memory' ? await engineSeconds(wf, n) : await durableSeconds(wf, n, join(dir, `w3-${which}-${round}.jsonl`), which);
      best[which] = Math.min(best[which], seconds);
    }
  }
  const tps = (s: number) => Math.round((2 * n) / s);
  const ratio = round2(best.memory / best.default);
  const strictRatio = round2(best.memory / best.strict);
  log(`KILL W3 n=${fmt(n)} in memory (no store): ${fmt(tps(best.memory))} transitions/s, ${fmtSeconds(best.memory)} (best of ${ROUNDS})`);
  log(
    `KILL W3 n=${fmt(n)} JsonlStore (fsync on), default maxUndurable: ${fmt(tps(best.default))} transitions/s, ${fmtSeconds(best.default)}; ` +
      `${ratio.toFixed(2)}x in memory (target >= ${TARGET_RATIO}) ${passFail(ratio >= TARGET_RATIO)}`,
  );
  log(`KILL W3 n=${fmt(n)} JsonlStore (fsync on), maxUndurable 'strict': ${fmt(tps(best.strict))} transitions/s, ${fmtSeconds(best.strict)}; ${strictRatio.toFixed(2)}x in memory (no target)`);
  return { memory_tps: tps(best.memory), durable_tps: tps(best.default), ratio, strict_tps: tps(best.strict), strict_ratio: strictRatio };
}

export async function kill(n: number, log: (line: string) => void): Promise<KillFigures> {
  return withLoadLines('KILL', log, () =>
    withTempDir('kill', async (dir) => {
      log(`KILL W3 n=${fmt(N)} on a JsonlStore (fsync on), one kill -9 per round at about 40 % of ${fmt(TRANSITIONS)} transitions, then a restart that finishes the run`);
      const rounds: Record<Mode, KillRound[]> = { default: [], strict: [] };
      for (const mode of MODES) {
        for (const [i, fraction] of KILL_FRACTIONS.entries()) rounds[mode].push(await killRound(dir, mode, i, fraction, log));
      }
      const stats = (mode: Mode) => {
        const reruns = rounds[mode].map((r) => r.reruns);
        return { max: Math.max(...reruns), mean: round2(reruns.reduce((a, b) => a + b, 0) / reruns.length), lost: rounds[mode].reduce((a, r) => a + r.lost, 0) };
      };
      const byMode = { default: stats('default'), strict: stats('strict') };
      for (const mode of MODES) {
        const { max, mean, lost } = byMode[mode];
        const formula =
          mode === 'default'
            ? `Σ (concurrency + maxUndurable) = ${STATES} x (${CONCURRENCY} + ${UNDURABLE[mode]})`
            : `Σ concurrency (the attempts in flight) = ${STATES} x ${CONCURRENCY}`;
        log(
          `KILL ${mode} (maxUndurable ${mode === 'strict' ? "'strict'" : '4 x concurrency'}): re-runs max ${max}, mean ${mean} over ${KILL_FRACTIONS.length} kills; ` +
            `bound ${formula} = ${bound(mode)}; lost jobs ${lost} ${passFail(max <= bound(mode) && lost === 0)}`,
        );
      }

      const wf = buildWorkflow();
      await engineSeconds(wf, WARM_UP_N);
      await durableSeconds(wf, WARM_UP_N, join(dir, 'warm-up.jsonl'), 'default');
      const small = await durableAgainstMemory(wf, N, dir, log);
      const large = n === N ? small : await durableAgainstMemory(wf, n, dir, log);
      return {
        kill_n: N,
        kill_rounds: KILL_FRACTIONS.length,
        kill_reruns_max: byMode.default.max,
        kill_reruns_mean: byMode.default.mean,
        kill_reruns_bound: bound('default'),
        kill_strict_reruns_max: byMode.strict.max,
        kill_strict_reruns_mean: byMode.strict.mean,
        kill_strict_reruns_bound: bound('strict'),
        kill_lost_jobs: byMode.default.lost + byMode.strict.lost,
        kill_memory_tps: small.memory_tps,
        kill_durable_tps: small.durable_tps,
        kill_durable_ratio: small.ratio,
        kill_strict_tps: small.strict_tps,
        kill_strict_ratio: small.strict_ratio,
        kill_w3_n: n,
        kill_w3_memory_tps: large.memory_tps,
        kill_w3_durable_tps: large.durable_tps,
        kill_w3_durable_ratio: large.ratio,
        kill_w3_strict_tps: large.strict_tps,
        kill_w3_strict_ratio: large.strict_ratio,
      };
    }),
  );
}
