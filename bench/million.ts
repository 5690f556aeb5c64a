// Workload "million" (issue #16, "a 1,000,000-job run"): W3 (fetch -> parse -> done, no-op async
// execs, concurrency 10 per state) with 1,000,000 jobs on a JsonlStore (fsync on), each step in a
// fresh child process (bench/million-child.ts):
//   1. a whole run: adding, exec, close; its time, peak RSS, and when the first job reached 'done'
//      (durably) after exec() started;
//   2. a restart after that clean close: load;
//   3. a second fresh run killed with SIGKILL at about 50 % of its 2,000,000 transitions;
//   4. its restart: load, and the first new durable transition.
// The figures before the change are printed beside each, as the reference. About 2 min.
// BENCH_MILLION_N changes the number of jobs (to try the workload quickly; the reference figures
// are for 1,000,000).
import { join } from 'node:path';
import { lastJson, runChild, startChild } from './child-process.js';
import { passFail, withLoadLines } from './goal.js';
import type { MillionLoadReport, MillionRunReport } from './million-child.js';
import { fmt, fmtBytes, fmtSeconds, round3 } from './report.js';
import { withTempDir } from './temp-dir.js';
import { removeRunFiles, sizeOf } from './w3-jsonl.js';

const N = Number(process.env['BENCH_MILLION_N'] ?? 1_000_000);
const KILL_FRACTION = 0.5;
/** "Jobs reach done within the first seconds": the first job durably in 'done' at most this long after exec(). */
const TARGET_FIRST_DONE_S = 5;
/** The figures, before the change. */
const BEFORE = { total_s: 37.6, rss_bytes: 2.25e9, first_done_s: 25, restart_closed_s: 7.1, restart_killed_s: '13-15' };

export interface MillionFigures {
  readonly million_n: number;
  readonly million_add_s: number;
  readonly million_exec_s: number;
  readonly million_close_s: number;
  readonly million_total_s: number;
  readonly million_max_rss_bytes: number;
  readonly million_peak_heap_bytes: number;
  readonly million_first_exec_s: number;
  readonly million_first_done_s: number;
  readonly million_half_done_s: number;
  readonly million_closed_snapshot_bytes: number;
  readonly million_restart_closed_load_s: number;
  readonly million_restart_closed_uptime_s: number;
  readonly million_killed_durable: number;
  readonly million_killed_snapshot_bytes: number;
  readonly million_killed_log_bytes: number;
  readonly million_restart_killed_load_s: number;
  readonly million_restart_killed_first_transition_s: number;
  readonly million_restart_killed_uptime_s: number;
}

export async function million(log: (line: string) => void): Promise<MillionFigures> {
  return withLoadLines('MILLION', log, () =>
    withTempDir('million', async (dir) => {
      const path = join(dir, 'million.jsonl');
      const whole = await runChild<MillionRunReport>('million run', 'million-child.ts', ['run', path, String(N)]);
      if (whole.transitions !== 2 * N) throw new Error(`million: the run made ${whole.transitions} transitions, expected ${2 * N}`);
      const total = whole.add_s + whole.exec_s + whole.close_s;
      const closedBytes = sizeOf(path);
      log(`MILLION W3 n=${fmt(N)} on a JsonlStore (fsync on), in a fresh process`);
      log(
        `MILLION run: ${fmtSeconds(total)} in all (adding ${fmtSeconds(whole.add_s)}, exec ${fmtSeconds(whole.exec_s)}, close ${fmtSeconds(whole.close_s)}); ` +
          `${fmt(Math.round((2 * N) / whole.exec_s))} transitions/s in exec (before: ${BEFORE.total_s} s)`,
      );
      log(`MILLION peak RSS ${fmtBytes(whole.max_rss_bytes)} (before: 2.25 GB); peak heap ${fmtBytes(whole.peak_heap_bytes)} (sampled every 50 ms)`);
      log(
        `MILLION first job in 'done' ${fmtSeconds(whole.first_done_s)} after exec() (target <= ${TARGET_FIRST_DONE_S} s; before: none in the first ${BEFORE.first_done_s} s) ` +
          `${passFail(whole.first_done_s >= 0 && whole.first_done_s <= TARGET_FIRST_DONE_S)}; first exec ${fmtSeconds(whole.first_exec_s)} (after the start checkpoint), ` +
          `half the jobs in 'done' ${fmtSeconds(whole.half_done_s)}`,
      );

      const closed = await runChild<MillionLoadReport>('million load', 'million-child.ts', ['load', path]);
      if (closed.jobs !== N || closed.done !== N) throw new Error(`million: after close, loaded ${closed.jobs} jobs, ${closed.done} in 'done'`);
      log(
        `MILLION restart after a clean close (snapshot ${fmtBytes(closedBytes)}, no log): load ${fmtSeconds(closed.load_s)}, ` +
          `${closed.load_uptime_s.toFixed(3)} s from the process's start (before: ${BEFORE.restart_closed_s} s)`,
      );
      removeRunFiles(path);

      const killedPath = join(dir, 'killed.jsonl');
      const child = startChild('million-child.ts', ['run', killedPath, String(N), String(Math.round(2 * N * KILL_FRACTION))], (line, proc) => {
        if (line === 'KILL') proc.kill('SIGKILL');
      });
      const exit = await child.exited;
      if (exit.signal !== 'SIGKILL') lastJson('million kill', exit); // throws with what the child said
      if (exit.signal !== 'SIGKILL') throw new Error('million: the run finished before the kill');
      const snapshotBytes = sizeOf(killedPath);
      const logBytes = sizeOf(`${killedPath}.log`);
      const resumed = await runChild<MillionLoadReport>('million resume', 'million-child.ts', ['resume', killedPath]);
      const firstTransition = resumed.first_transition_s ?? -1;
      log(
        `MILLION restart after kill -9 at ${((100 * resumed.durable) / (2 * N)).toFixed(1)} % (${fmt(resumed.durable)} transitions durable; snapshot ${fmtBytes(snapshotBytes)}, log ${fmtBytes(logBytes)}): ` +
          `loaded in ${fmtSeconds(resumed.load_s)}, first new transition ${fmtSeconds(firstTransition)}; ` +
          `${(resumed.first_transition_uptime_s ?? -1).toFixed(3)} s from the process's start (before: ${BEFORE.restart_killed_s} s)`,
      );
      removeRunFiles(killedPath);
      return {
        million_n: N,
        million_add_s: round3(whole.add_s),
        million_exec_s: round3(whole.exec_s),
        million_close_s: round3(whole.close_s),
        million_total_s: round3(total),
        million_max_rss_bytes: whole.max_rss_bytes,
        million_peak_heap_bytes: whole.peak_heap_bytes,
        million_first_exec_s: round3(whole.first_exec_s),
        million_first_done_s: round3(whole.first_done_s),
        million_half_done_s: round3(whole.half_done_s),
        million_closed_snapshot_bytes: closedBytes,
        million_restart_closed_load_s: round3(closed.load_s),
        million_restart_closed_uptime_s: round3(closed.load_uptime_s),
        million_killed_durable: resumed.durable,
        million_killed_snapshot_bytes: snapshotBytes,
        million_killed_log_bytes: logBytes,
        million_restart_killed_load_s: round3(resumed.load_s),
        million_restart_killed_first_transition_s: round3(firstTransition),
        million_restart_killed_uptime_s: round3(resumed.first_transition_uptime_s ?? -1),
      };
    }),
  );
}
