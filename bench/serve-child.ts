// The run of the serve bench, in its own process:
//   serve-child.ts make <run file> <n>   a run of n jobs in 'fetch', saved (fsync on) and closed;
//   serve-child.ts run <run file>        continues it at about BENCH_SERVE_RATE transitions a second
//                                        (fsync on: a transition is durable when its batch is
//                                        written), prints "running", stops on SIGTERM.
import { JsonlStore, Processor } from '../src/index.js';
import { serveBench } from './serve-workflow.js';

const [command, path, nText] = process.argv.slice(2);
if (path === undefined) throw new Error('usage: serve-child.ts make|run <run file> [n]');
if (command === 'make') {
  const store = new JsonlStore<object, { n: number }>(path);
  const run = serveBench.newRun('serve-bench', {});
  for (let n = 0; n < Number(nText); n++) run.add({ n }, 'fetch');
  await store.checkpoint(run);
  await store.close();
  process.stdout.write(`${JSON.stringify({ jobs: run.jobs.size })}\n`);
} else {
  const store = new JsonlStore<object, { n: number }>(path);
  const run = await store.load(serveBench);
  if (run === undefined) throw new Error(`${path}: no run`);
  const controller = new AbortController();
  process.once('SIGTERM', () => controller.abort());
  const processor = new Processor(serveBench, {}, { store });
  const done = processor.exec(run, { signal: controller.signal });
  process.stdout.write('running\n');
  const result = await done;
  await store.close();
  process.stdout.write(`${JSON.stringify({ transitions: result.transitions })}\n`);
}
