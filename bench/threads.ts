// Workload "threads" (issue #21 part 3, "every core for CPU-bound states"): a state whose exec
// burns about 5 ms of CPU per job (bench/threads-burn.ts: fixed integer work, calibrated here),
// run on the main thread, then by inThreads() in pools of 2 threads and of 1 thread; and a fast I/O
// state (each exec waits a 10 ms timer) alone, then beside the CPU-bound state in 2 threads, then
// beside it on the main thread for contrast. All in one process, best of 3 each, alternating which
// goes first; the pools are warmed (started, modules loaded) before the timed runs. Goals: 2 threads
// >= 1.7x faster than the main thread, 1 thread costs <= 10 %, the I/O state <= 10 % slower beside
// the threaded state than alone. About 25 s.
import { availableParallelism } from 'node:os';
import { closeThreadPools, inThreads, Processor, workflow } from '../src/index.js';
import burn, { type BurnJC, spin } from './threads-burn.js';
import { passFail, withLoadLines } from './goal.js';
import { fmt, fmtSeconds, round2, round3 } from './report.js';

const JOBS = 400;
const BURN_MS = 5;
const CONCURRENCY = 4;
const IO_JOBS = 300;
const IO_CONCURRENCY = 5;
const IO_WAIT_MS = 10;
const ROUNDS = 3;
const SPEEDUP_TARGET = 1.7;
const ONE_THREAD_COST_TARGET = 0.1;
const IO_SLOWDOWN_TARGET = 0.1;

type JC = BurnJC & { readonly io?: boolean };
type Exec = 'main' | 'threads-2' | 'threads-1';

export interface ThreadsFigures {
  readonly threads_jobs: number;
  readonly threads_burn_ms: number;
  readonly threads_main_s: number;
  readonly threads_2_s: number;
  readonly threads_1_s: number;
  readonly threads_speedup_2: number;
  readonly threads_cost_1: number;
  readonly threads_io_alone_s: number;
  readonly threads_io_beside_threads_s: number;
  readonly threads_io_beside_main_s: number;
  readonly threads_io_slowdown: number;
}

const module = new URL('./threads-burn.js', import.meta.url);

function execOf(exec: Exec) {
  if (exec === 'main') return burn;
  return inThreads<typeof burn>(module, { threads: exec === 'threads-2' ? 2 : 1 });
}

/** Two independent states: 'burn' (the CPU-bound one, run as `exec` says) and 'io' (a timer per job). */
function buildWorkflow(exec: Exec, ioDone: { at: number }) {
  return workflow<object, object, JC>(`threads-${exec}`)
    .state('burn', { concurrency: CONCURRENCY })
    .to('done')
    .exec(execOf(exec))
    .state('io', { concurrency: IO_CONCURRENCY })
    .to('done')
    .exec(async ({ jc }) => {
      await new Promise((resolve) => setTimeout(resolve, IO_WAIT_MS));
      ioDone.at = performance.now();
      return { state: 'done', jc };
    })
    .terminal('done')
    .build();
}

/** Rounds of spin() that take about `ms` on this thread: the median of 21 timed calls, scaled. */
function calibrate(ms: number): number {
  let rounds = 100_000;
  for (;;) {
    const start = performance.now();
    spin(1, rounds);
    if (performance.now() - start > 2) break;
    rounds *= 2;
  }
  const times: number[] = [];
  for (let i = 0; i < 21; i++) {
    const start = performance.now();
    spin(i, rounds);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return Math.round((rounds * ms) / (times[10] as number));
}

interface Timing {
  /** From exec() to the run complete. */
  readonly seconds: number;
  /** From exec() to the last io job done. */
  readonly ioSeconds: number;
}

async function timed(exec: Exec, burnJobs: number, ioJobs: number, work: number): Promise<Timing> {
  const ioDone = { at: 0 };
  const wf = buildWorkflow(exec, ioDone);
  const run = wf.newRun('threads', {});
  for (let n = 0; n < burnJobs; n++) run.add({ n, work }, 'burn');
  for (let n = 0; n < ioJobs; n++) run.add({ n, work: 0, io: true }, 'io');
  const start = performance.now();
  const result = await new Processor(wf, {}).exec(run);
  const end = performance.now();
  if (result.outcome !== 'complete' || result.transitions !== burnJobs + ioJobs || result.failed !== 0) {
    throw new Error(`threads: expected ${burnJobs + ioJobs} transitions, got ${JSON.stringify(result)}`);
  }
  // Every job computed something; one in 40 is checked against the main thread's own result
  // (checking all would cost the main thread the work again, 2 s a run).
  for (const job of run.jobs.values()) {
    if (job.jc.io === true) continue;
    if (job.jc.out === undefined || (job.jc.n % 40 === 0 && job.jc.out !== spin(job.jc.n, work))) throw new Error(`threads: job ${job.id} computed ${job.jc.out}`);
  }
  return { seconds: (end - start) / 1000, ioSeconds: ioJobs === 0 ? 0 : (ioDone.at - start) / 1000 };
}

/** The best of ROUNDS of each case, alternating which goes first. */
async function bestOf<K extends string>(cases: Record<K, () => Promise<number>>): Promise<Record<K, number>> {
  const names = Object.keys(cases) as K[];
  const best = Object.fromEntries(names.map((name) => [name, Infinity])) as Record<K, number>;
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) best[name] = Math.min(best[name], await cases[name]());
  }
  return best;
}

export async function threads(log: (line: string) => void): Promise<ThreadsFigures> {
  return withLoadLines('THREADS', log, async () => {
    try {
      const work = calibrate(BURN_MS);
      // Warm-up, untimed: the pools start their threads and load the module; the JIT warms up.
      for (const exec of ['main', 'threads-2', 'threads-1'] as const) await timed(exec, 40, 0, work);

      const cpu = await bestOf({
        main: async () => (await timed('main', JOBS, 0, work)).seconds,
        two: async () => (await timed('threads-2', JOBS, 0, work)).seconds,
        one: async () => (await timed('threads-1', JOBS, 0, work)).seconds,
      });
      const io = await bestOf({
        alone: async () => (await timed('threads-2', 0, IO_JOBS, work)).ioSeconds,
        besideThreads: async () => (await timed('threads-2', JOBS, IO_JOBS, work)).ioSeconds,
      });
      const besideMain = (await timed('main', JOBS, IO_JOBS, work)).ioSeconds;

      const speedup = round2(cpu.main / cpu.two);
      const cost = round3(cpu.one / cpu.main - 1);
      const slowdown = round3(io.besideThreads / io.alone - 1);
      const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
      log(`THREADS ${availableParallelism()} cores; ${fmt(JOBS)} jobs burning ${BURN_MS} ms of CPU each (${fmt(work)} rounds of xorshift, calibrated), state concurrency ${CONCURRENCY}; best of ${ROUNDS}`);
      log(`THREADS main thread: ${fmtSeconds(cpu.main)}, ${fmt(Math.round(JOBS / cpu.main))} jobs/s`);
      log(`THREADS inThreads, 2 threads: ${fmtSeconds(cpu.two)}, ${fmt(Math.round(JOBS / cpu.two))} jobs/s`);
      log(`THREADS inThreads, 1 thread: ${fmtSeconds(cpu.one)}, ${fmt(Math.round(JOBS / cpu.one))} jobs/s`);
      log(`THREADS speedup of 2 threads over the main thread: ${speedup.toFixed(2)}x (target >= ${SPEEDUP_TARGET}x) ${passFail(speedup >= SPEEDUP_TARGET)}`);
      log(`THREADS cost of 1 thread against the main thread: ${pct(cost)} (target <= ${pct(ONE_THREAD_COST_TARGET)}) ${passFail(cost <= ONE_THREAD_COST_TARGET)}`);
      log(`THREADS I/O state (${fmt(IO_JOBS)} jobs, a ${IO_WAIT_MS} ms timer each, concurrency ${IO_CONCURRENCY}) alone: ${fmtSeconds(io.alone)}`);
      log(`THREADS I/O state beside the CPU-bound state in 2 threads: ${fmtSeconds(io.besideThreads)}; beside it on the main thread (once, for contrast): ${fmtSeconds(besideMain)}`);
      log(`THREADS I/O state slowed by the threaded CPU-bound state: ${pct(slowdown)} (target <= ${pct(IO_SLOWDOWN_TARGET)}) ${passFail(slowdown <= IO_SLOWDOWN_TARGET)}`);
      return {
        threads_jobs: JOBS,
        threads_burn_ms: BURN_MS,
        threads_main_s: round3(cpu.main),
        threads_2_s: round3(cpu.two),
        threads_1_s: round3(cpu.one),
        threads_speedup_2: speedup,
        threads_cost_1: cost,
        threads_io_alone_s: round3(io.alone),
        threads_io_beside_threads_s: round3(io.besideThreads),
        threads_io_beside_main_s: round3(besideMain),
        threads_io_slowdown: slowdown,
      };
    } finally {
      await closeThreadPools();
    }
  });
}
