// Workload W3: N jobs through fetch -> parse -> done, concurrency 10 per state, no-op async execs.
// It measures the engine's own per-transition overhead (nothing else costs anything here) against
// a bare p-queue chain doing the same work, and the heap a finished job keeps in a run.
import { Processor, workflow } from '../src/index.js';
import { heapAfterGc } from './heap.js';
import { runPQueueChain } from './p-queue-chain.js';
import { fmt, round2 } from './report.js';

/** The job context of W3 (the store workloads run the same workflow). */
export type JC = { n: number };

const CONCURRENCY = 10;
const ROUNDS = 3;
/** Jobs of the warm-up pass each workload makes before its timed rounds. */
export const WARM_UP_N = 5_000;

export interface W3Figures {
  readonly workload: 'W3';
  readonly n: number;
  readonly engine_tps: number;
  readonly baseline_tps: number;
  readonly ratio: number;
  readonly heap_bytes_per_job: number;
  readonly heap_bytes_per_job_added: number;
}

export function buildWorkflow() {
  return workflow<object, object, JC>('w3')
    .state('fetch', { concurrency: CONCURRENCY })
    .to('parse')
    .exec(async ({ jc }) => ({ state: 'parse', jc }))
    .state('parse', { concurrency: CONCURRENCY })
    .to('done')
    .exec(async ({ jc }) => ({ state: 'done', jc }))
    .terminal('done')
    .build();
}

export type W3Workflow = ReturnType<typeof buildWorkflow>;

/** A fresh run of n jobs in 'fetch', ids "0" to String(n - 1). */
export function newRun(wf: W3Workflow, n: number) {
  const run = wf.newRun('w3', {});
  for (let i = 0; i < n; i++) run.add({ n: i }, 'fetch');
  return run;
}

/** Runs a fresh run of n jobs; returns the seconds spent in `processor.exec` (adding excluded). */
export async function engineSeconds(wf: W3Workflow, n: number): Promise<number> {
  const run = newRun(wf, n);
  heapAfterGc(); // start each timed round from a clean heap
  const start = performance.now();
  const result = await new Processor(wf, {}, {}).exec(run);
  const secs = (performance.now() - start) / 1000;
  if (result.outcome !== 'complete' || result.transitions !== 2 * n) {
    throw new Error(`W3 engine: expected 2*${n} transitions, got ${JSON.stringify(result)}`);
  }
  return secs;
}

async function baselineSeconds(n: number): Promise<number> {
  const items = Array.from({ length: n }, (_, i) => ({ n: i }));
  heapAfterGc();
  return runPQueueChain(items, CONCURRENCY);
}

/** Heap per job right after adding, and at rest once every job is in 'done'. */
async function heapPerJob(wf: W3Workflow, n: number): Promise<{ added: number; atRest: number }> {
  const before = heapAfterGc();
  const run = newRun(wf, n);
  const added = heapAfterGc();
  await new Processor(wf, {}, {}).exec(run);
  const after = heapAfterGc();
  let done = 0;
  for (const job of run.jobs.values()) if (job.state === 'done') done++; // keeps `run` alive too
  if (done !== n) throw new Error(`W3 heap: ${done} of ${n} jobs in 'done'`);
  return { added: (added - before) / n, atRest: (after - before) / n };
}

export async function w3(n: number, log: (line: string) => void): Promise<W3Figures> {
  const wf = buildWorkflow();
  await engineSeconds(wf, WARM_UP_N);
  await baselineSeconds(WARM_UP_N);

  let engineBest = Infinity;
  let baselineBest = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    // alternate which goes first, so neither always runs on the other's leftovers
    const order = round % 2 === 0 ? ['engine', 'baseline'] : ['baseline', 'engine'];
    for (const which of order) {
      if (which === 'engine') engineBest = Math.min(engineBest, await engineSeconds(wf, n));
      else baselineBest = Math.min(baselineBest, await baselineSeconds(n));
    }
  }
  const heap = await heapPerJob(wf, n);

  const engine_tps = Math.round((2 * n) / engineBest);
  const baseline_tps = Math.round((2 * n) / baselineBest);
  const ratio = round2(engine_tps / baseline_tps);
  const heap_bytes_per_job = Math.round(heap.atRest);
  const heap_bytes_per_job_added = Math.round(heap.added);
  log(`W3 n=${fmt(n)} engine: ${fmt(engine_tps)} transitions/s (best of ${ROUNDS})`);
  log(`W3 n=${fmt(n)} baseline p-queue chain: ${fmt(baseline_tps)} transitions/s (best of ${ROUNDS})`);
  log(`W3 ratio engine/baseline: ${ratio.toFixed(2)} (target >= 0.5)${ratio >= 0.5 ? '' : '  MISSED'}`);
  log(`W3 engine heap: ${fmt(heap_bytes_per_job)} bytes/job at rest (target <= 600)${heap_bytes_per_job <= 600 ? '' : '  MISSED'}`);
  log(`W3 engine heap: ${fmt(heap_bytes_per_job_added)} bytes/job right after adding`);
  return { workload: 'W3', n, engine_tps, baseline_tps, ratio, heap_bytes_per_job, heap_bytes_per_job_added };
}
