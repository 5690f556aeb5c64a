// A child process for the live-read test: a processor running a long loop workflow on a JsonlStore
// that compacts often, so that a reader in another process meets batches being written and
// compactions in progress. Prints "ready" once the run is saved, and exits when the run completes.
//
// Usage: node --import tsx test/support/live-writer.ts <run file> <jobs> <laps>
import { JsonlStore, Processor, workflow } from '../../src/index.js';

const [file, jobsText, lapsText] = process.argv.slice(2);
if (file === undefined || jobsText === undefined || lapsText === undefined) throw new Error('usage: live-writer.ts <run file> <jobs> <laps>');
const laps = Number(lapsText);
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(2);
}, 250).unref();

type JC = { n: number; lap: number; pad: string };
const wf = workflow<object, object, JC>('live')
  .state('lap', { concurrency: 8 })
  .to('lap', 'done')
  .exec(async ({ jc }) => {
    await new Promise((resolve) => setImmediate(resolve));
    return jc.lap + 1 < laps ? { state: 'lap', jc: { ...jc, lap: jc.lap + 1 } } : { state: 'done', jc };
  })
  .terminal('done')
  .build();

const store = new JsonlStore<object, JC>(file, { compactAfterBytes: 32 << 10 });
await store.load();
const run = wf.newRun('live', {});
for (let n = 0; n < Number(jobsText); n++) run.add({ n, lap: 0, pad: 'p'.repeat(n % 50) }, 'lap');
await store.checkpoint(run);
process.stdout.write('ready\n');
await new Processor(wf, {}, { store }).exec(run);
await store.close();
