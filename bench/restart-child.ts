// Child process of the restart workload (bench/restart.ts), started fresh so that its heap holds
// nothing but the loaded run:
// `node --expose-gc --import tsx bench/restart-child.ts <run file> <sample ids> [load-only]`.
// Loads the run with a JsonlStore (snapshot, then the log replayed on it), collects garbage and
// prints one JSON line: {seconds, cpu_seconds (user + system, all threads), heap_used_bytes,
// heap_peak_bytes (the most heapUsed seen during load), heap_before_bytes, rss_bytes, jobs, states,
// samples, exec_start_*}. After measuring the load (unless `load-only`) it adds 10 jobs and starts
// a processor on the run, and records the bytes on disk when the first exec runs (then aborts). It does not close the store: close() would compact (rewrite the whole
// snapshot), which is not what is measured; the parent removes the files, lock included.
import { statSync } from 'node:fs';
import { JsonlStore, Processor, workflow } from '../src/index.js';
import { heapAfterGc } from './heap.js';

type JC = { n: number };

const path = process.argv[2];
if (path === undefined) throw new Error('usage: restart-child.ts <run file> <sample ids> [load-only]');
const samples = (process.argv[3] ?? '').split(',').filter((id) => id !== '');
/** `load-only`: measure the load and stop there (the exec start appends to the files, and its stop may compact them). */
const loadOnly = process.argv[4] === 'load-only';

const heapBefore = heapAfterGc();
// The peak heap during load: heapUsed sampled every 2 ms (the timer runs whenever load awaits a
// read, between its 4 MiB chunks) and once more right after load, before any forced gc.
let heapPeak = process.memoryUsage().heapUsed;
const sampler = setInterval(() => (heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)), 2);
const start = performance.now();
const cpuStart = process.cpuUsage();
const store = new JsonlStore<object, JC>(path);
const run = await store.load();
const seconds = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuStart);
clearInterval(sampler);
heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
if (run === undefined) throw new Error(`restart-child: no run at ${path}`);
const heapUsed = heapAfterGc();
const rss = process.memoryUsage().rss;

const states: Record<string, number> = {};
for (const job of run.jobs.values()) states[job.state] = (states[job.state] ?? 0) + 1;
const sampled: Record<string, { state: string; jc: JC; history: string[] } | null> = {};
for (const id of samples) {
  const job = run.jobs.get(id);
  sampled[id] = job ? { state: job.state, jc: job.jc, history: job.history.map((h) => h.state) } : null;
}
const jobs = run.jobs.size;
const loadFigures = {
  seconds,
  cpu_seconds: (cpu.user + cpu.system) / 1e6,
  heap_used_bytes: heapUsed,
  heap_peak_bytes: heapPeak,
  heap_before_bytes: heapBefore,
  rss_bytes: rss,
  jobs,
  states,
  samples: sampled,
};
if (loadOnly) {
  console.log(JSON.stringify(loadFigures));
  process.exit(0);
}

// Exec start on the loaded run: only the changes (10 adds) may reach the disk before the first exec.
const files = () => {
  const snapshot = statSync(path);
  return { snapshot: `${snapshot.ino}:${snapshot.mtimeMs}:${snapshot.size}`, bytes: snapshot.size + statSync(`${path}.log`).size };
};
for (let i = 0; i < 10; i++) run.add({ n: -1 - i }, 'fetch');
const before = files();
const controller = new AbortController();
let atFirstExec: { snapshot: string; bytes: number; seconds: number } | undefined;
const execStart = performance.now();
const wf = workflow<object, object, JC>('restart')
  .state('fetch')
  .to('parse')
  .exec(({ jc }) => {
    if (atFirstExec === undefined) {
      atFirstExec = { ...files(), seconds: (performance.now() - execStart) / 1000 };
      controller.abort();
    }
    return { state: 'parse', jc };
  })
  .state('parse')
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc }))
  .terminal('done')
  .build();
await new Processor(wf, {}, { store }).exec(run, { signal: controller.signal });
if (atFirstExec === undefined) throw new Error('restart-child: no exec ran');
const first: { snapshot: string; bytes: number; seconds: number } = atFirstExec;

console.log(
  JSON.stringify({
    ...loadFigures,
    exec_start_bytes: first.bytes - before.bytes,
    exec_start_snapshot_rewritten: first.snapshot !== before.snapshot,
    exec_start_seconds: first.seconds,
  }),
);
