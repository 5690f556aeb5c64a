// A child process for the dashboard tests: runs test/support/serve-workflow.ts's crawl over <jobs>
// jobs on a JsonlStore at <run file>, printing "ready" once the run is saved with one job (job
// "0", n = -1), adding the others SERVE_START_DELAY_MS later, and "finished" once the store is
// closed. Ends when its parent does.
//
// Usage: node --import tsx test/support/serve-writer.ts <run file> <jobs>
import { JsonlStore, Processor } from '../../src/index.js';
import { crawl, type ServeJc } from './serve-workflow.js';

const [file, jobsText] = process.argv.slice(2);
if (file === undefined || jobsText === undefined) throw new Error('usage: serve-writer.ts <run file> <jobs>');
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(2);
}, 250).unref();

const store = new JsonlStore<object, ServeJc>(file, { fsync: false, compactAfterBytes: 256 << 10 });
const run = (await store.load(crawl)) ?? crawl.newRun('crawl-test', {});
run.add({ n: -1, url: 'https://example.test/' }, 'fetch', { key: 'https://example.test/' });
await store.checkpoint(run);
process.stdout.write('ready\n');
// The jobs are added after SERVE_START_DELAY_MS, when the run starts: a dashboard opened before sees them come.
await new Promise((resolve) => setTimeout(resolve, Number(process.env['SERVE_START_DELAY_MS'] ?? 0)));
for (let n = 0; n < Number(jobsText); n++) run.add({ n, url: `https://example.test/${n}` }, 'fetch', { key: `https://example.test/${n}` });
await new Processor(crawl, {}, { store }).exec(run);
await store.close();
process.stdout.write('finished\n');
