// The child process of the crash campaign: runs the crash workflow on a JsonlStore until the run is
// complete, the way a user's program does (load the run or start it, exec, close), and says what it
// does on stdout, one JSON object per line:
//   {"event":"started","pid":…,"resumed":…,"jobs":…,"settled":…}  after load (the lock is held)
//   {"event":"acked","settled":…}       jobs terminal or failed, as the processor acknowledged them
//   {"event":"compacted"}               the log was compacted into the snapshot while running
//   {"event":"completed","outcome":…,"transitions":…,"failed":…}  after store.close()
// The test SIGKILLs it at random moments and starts it again.
//
// Usage: node --import tsx test/support/crash-worker.ts <run file>
import { statSync } from 'node:fs';
import { JsonlStore, Processor, type Run, type StateStatus, type Store, type StoreRecord } from '../../src/index.js';
import { type CrashJC, type CrashOC, crashWorkflow, newCrashRun } from './crash-workflow.js';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: crash-worker.ts <run file>');

// Never outlive the test that started this process: if it is gone, so is the reason to run.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(2);
}, 250).unref();

const say = (event: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(event)}\n`);

const store = new JsonlStore<CrashOC, CrashJC>(file, { compactAfterBytes: 64 << 10 });

/** The JsonlStore itself, watched from outside: the log shrinking across an append means it was compacted. */
class Watched implements Store<CrashOC, CrashJC> {
  #logBytes = 0;
  load() {
    return store.load();
  }
  async checkpoint(run: Run<CrashOC, CrashJC>) {
    await store.checkpoint(run);
    this.#logBytes = sizeOf(store.logPath);
  }
  async append(records: readonly StoreRecord<CrashJC>[]) {
    await store.append(records);
    const bytes = sizeOf(store.logPath);
    if (bytes < this.#logBytes) say({ event: 'compacted' });
    this.#logBytes = bytes;
  }
  close() {
    return store.close();
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * Jobs terminal (in either terminal state: `done` or `unparsable`) or stopped failed: what the
 * status counts as completed + failed, which is what the test compares this with.
 */
function settledIn(run: Run<CrashOC, CrashJC>): number {
  let settled = 0;
  for (const job of run.jobs.values()) if (job.state === 'done' || job.state === 'unparsable' || job.failed === true) settled++;
  return settled;
}

const loaded = await store.load();
const run = loaded ?? newCrashRun();
say({ event: 'started', pid: process.pid, resumed: loaded !== undefined, jobs: run.jobs.size, settled: settledIn(run) });

let lastSaid = 0;
let lastAt = 0;
const status = (states: readonly StateStatus[]): void => {
  let settled = 0;
  for (const s of states) settled += s.completed + s.failed;
  const now = Date.now();
  if (settled === lastSaid || now - lastAt < 10) return;
  lastSaid = settled;
  lastAt = now;
  say({ event: 'acked', settled });
};

const result = await new Processor(crashWorkflow, { delay: true }, { store: new Watched(), status }).exec(run);
await store.close();
say({ event: 'completed', ...result });
