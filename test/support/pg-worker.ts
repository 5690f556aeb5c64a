// A child process for the PostgreSQL process tests.
//   hold <url> <run>: loads (or creates) the run with a PgStore, prints "held", and waits to be killed.
//   run <url> <run> <size>: runs pgWorkflow on the run to the end (creating it with one seed of
//     `size` children if the database has none), closes the store and prints the result as JSON.
// Flags, anywhere after the mode: --exclusive (an exclusive store instead of a shared run), --lease=<ms>.
// Usage: node --import tsx test/support/pg-worker.ts <mode> <url> <run> [size] [flags]
import { Processor } from '../../src/index.js';
import { PgStore } from '../../src/postgres/index.js';
import { type PgJC, type PgOC, pgWorkflow } from './pg-workflow.js';

const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
const [mode, url, name, size] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const exclusive = flags.includes('--exclusive');
const lease = flags.find((f) => f.startsWith('--lease='))?.slice('--lease='.length);
if ((mode !== 'hold' && mode !== 'run') || url === undefined || name === undefined) throw new Error('usage: pg-worker.ts hold|run <url> <run> [size]');
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(2); // the test is gone: so is this process
}, 250);

const store = new PgStore<PgOC, PgJC>({ connectionString: url, run: name, exclusive, ...(lease ? { leaseMs: Number(lease) } : {}) });
const run = (await store.load(pgWorkflow)) ?? pgWorkflow.newRun(name, { size: Number(size ?? 0) }).add({ n: Number(size ?? 0) }, 'seed', { id: 'seed' });
if (mode === 'hold') {
  await store.checkpoint(run);
  process.stdout.write('held\n');
} else {
  const result = await new Processor(pgWorkflow, {}, { store }).exec(run);
  await store.close();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}
