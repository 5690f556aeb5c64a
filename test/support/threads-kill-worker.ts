// The child process of test/threads-kill.test.ts: runs a workflow whose 'hash' state runs in
// worker threads, on a JsonlStore, until the run is complete, the way a user's program does (load
// the run or start it, exec, close), and says what it does on stdout, one JSON object per line:
//   {"e":"loaded","resumed":…}               the run is loaded (or new)
//   {"e":"completed","outcome":…,…}          after store.close(); the process then ends by itself
//   {"e":"failed","message":…}               an error (exit 1)
// It never closes the thread pools: the process must end without it.
//
// Usage: node --import tsx test/support/threads-kill-worker.ts <run file> <marks file>
import { inThreads, JsonlStore, Processor, workflow } from '../../src/index.js';
import type slowHash from '../fixtures/threads/slow-hash.js';
import type { HashJC, HashOC } from '../fixtures/threads/slow-hash.js';

const [file, marks] = process.argv.slice(2);
if (file === undefined || marks === undefined) throw new Error('usage: threads-kill-worker.ts <run file> <marks file>');
const say = (event: object) => process.stdout.write(`${JSON.stringify(event)}\n`);

export const hashWorkflow = workflow<object, HashOC, HashJC>('threads-kill')
  .state('hash', { concurrency: 2 })
  .to('done')
  .exec(inThreads<typeof slowHash>(new URL('../fixtures/threads/slow-hash.js', import.meta.url), { threads: 2 }))
  .terminal('done')
  .build();

try {
  const store = new JsonlStore<HashOC, HashJC>(file);
  const loaded = await store.load(hashWorkflow);
  say({ e: 'loaded', resumed: loaded !== undefined });
  const run = loaded ?? hashWorkflow.newRun('threads-kill', { marks });
  if (loaded === undefined) for (let n = 0; n < 8; n++) run.add({ n }, 'hash');
  const result = await new Processor(hashWorkflow, {}, { store }).exec(run);
  await store.close();
  say({ e: 'completed', ...result });
} catch (error) {
  say({ e: 'failed', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}
