// Child process of the restart workload (bench/restart.ts), started fresh so that its heap holds
// nothing but the loaded run: `node --expose-gc --import tsx bench/restart-child.ts <run file>`.
// Loads the run with a JsonlStore (snapshot, then the log replayed on it), collects garbage and
// prints one JSON line: {seconds, cpu_seconds (user + system, all threads), heap_used_bytes,
// heap_before_bytes, rss_bytes, jobs, states, samples}. It does not close the store: close() would compact (rewrite the whole snapshot), which
// is not what is measured; the parent removes the files, lock included.
import { JsonlStore } from '../src/index.js';
import { heapAfterGc } from './heap.js';

type JC = { n: number };

const path = process.argv[2];
if (path === undefined) throw new Error('usage: restart-child.ts <run file>');
const samples = (process.argv[3] ?? '').split(',').filter((id) => id !== '');

const heapBefore = heapAfterGc();
const start = performance.now();
const cpuStart = process.cpuUsage();
const run = await new JsonlStore<object, JC>(path).load();
const seconds = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuStart);
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
console.log(
  JSON.stringify({ seconds, cpu_seconds: (cpu.user + cpu.system) / 1e6, heap_used_bytes: heapUsed, heap_before_bytes: heapBefore, rss_bytes: rss, jobs: run.jobs.size, states, samples: sampled }),
);
