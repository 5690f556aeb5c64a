// A child process for the multi-process PostgreSQL tests: runs one shared run with a PgStore until
// every job of it is settled, in whichever processes, then prints the result as a JSON line.
//   node --import tsx test/support/pg-cluster-worker.ts <url> <run> <size> [flags]
// Flags: --log=<file>   every exec of `work` and `check` appends "S|E <pid> <id> <ms> <state>" (start, end) to the file
//        --lease=<ms>   the store's leaseMs
//        --rate=<n>     `work` is limited to n starts per second (cluster-wide)
//        --conc=<k>     `work`'s concurrency (3)
//        --ms=<n>       how long each `work` exec takes (5)
//        --cap=<k>      this process holds at most k of `work`'s slots (processConcurrency)
// The run: a seed kicks <size> keyed children (and one key twice, which must be dropped); each
// child walks work -> check -> done. It prints "started" once its store has loaded.
import { appendFileSync } from 'node:fs';
import { fixedRate, Processor, workflow } from '../../src/index.js';
import { PgStore } from '../../src/postgres/index.js';

type JC = { n: number };
const args = process.argv.slice(2);
const [url, name, sizeText] = args.filter((a) => !a.startsWith('--'));
if (url === undefined || name === undefined || sizeText === undefined) throw new Error('usage: pg-cluster-worker.ts <url> <run> <size> [flags]');
const flag = (key: string): string | undefined => args.find((a) => a.startsWith(`--${key}=`))?.slice(key.length + 3);
const log = flag('log');
const lease = flag('lease');
const rate = flag('rate');
const conc = Number(flag('conc') ?? 3);
const ms = Number(flag('ms') ?? 5);
const size = Number(sizeText);
const cap = flag('cap');

const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(2); // the test is gone: so is this process
}, 250).unref();

const now = () => (performance.timeOrigin + performance.now()).toFixed(3);
const wf = workflow<object, object, JC>('pg-cluster')
  .state('seed')
  .to('done')
  .spawns('work')
  .exec(({ jc }) => ({
    state: 'done',
    jc,
    kicks: [...Array.from({ length: jc.n }, (_, i) => ({ state: 'work' as const, jc: { n: i }, key: `work-${i}` })), { state: 'work' as const, jc: { n: -1 }, key: 'work-0' }],
  }))
  .state('work', { concurrency: conc, ...(rate ? { rateLimit: fixedRate(Number(rate)) } : {}) })
  .to('check')
  .exec(async ({ jc, job }) => {
    if (log) appendFileSync(log, `S ${process.pid} ${job.id} ${now()} work\n`);
    await new Promise((resolve) => setTimeout(resolve, ms));
    if (log) appendFileSync(log, `E ${process.pid} ${job.id} ${now()} work\n`);
    return { state: 'check', jc: { n: jc.n * 10 } };
  })
  .state('check', { concurrency: 2 })
  .to('done')
  .exec(async ({ jc, job }) => {
    if (log) appendFileSync(log, `S ${process.pid} ${job.id} ${now()} check\n`);
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (log) appendFileSync(log, `E ${process.pid} ${job.id} ${now()} check\n`);
    return { state: 'done', jc: { n: jc.n + 1 } };
  })
  .terminal('done')
  .build();

const store = new PgStore<object, JC>({ connectionString: url, run: name, ...(lease ? { leaseMs: Number(lease) } : {}), ...(cap ? { processConcurrency: { work: Number(cap) } } : {}) });
const run = (await store.load(wf)) ?? wf.newRun(name, {}).add({ n: size }, 'seed', { id: 'seed' });
process.stdout.write('started\n');
try {
  const result = await new Processor(wf, {}, { store }).exec(run);
  await store.close();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ error: error instanceof Error ? `${error.name}: ${error.message}` : String(error), reason: (error as { reason?: unknown }).reason })}\n`);
  process.exit(3);
}
