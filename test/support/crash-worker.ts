// The child process of the crash campaigns (scripts/crash-campaign.ts): runs the crash workflow on a
// JsonlStore until the run is complete, the way a user's program does (load the run or start it,
// exec, close), and says what it does on stdout, one JSON object per line:
//   {"e":"ready","pid":…}                       started; with --go it now waits for that file
//   {"e":"loaded","pid":…,"resumed":…,"jobs":…,"settled":…,"loadMs":…}   load done (the lock is held)
//   {"e":"locked","message":…}                  load refused: another process holds the run (exit 3)
//   {"e":"checkpointed","jobs":…}               the start checkpoint is durable (a new run's jobs are on disk)
//   {"e":"ack","r":[[id,progress,[kid ids]?],…]} a batch of transitions is durable (fsynced): after it
//                                                job `id` has had `progress` transitions (see progressOf)
//   {"e":"settled","n":…}                       jobs terminal or failed, as the processor acknowledged them
//   {"e":"compacted"}                           the log was compacted into the snapshot while running
//   {"e":"warning","message":…}                 the store warned (a torn tail dropped, a compaction failed)
//   {"e":"stalled","bytes":…}                   --stall-snapshot: a snapshot write is stopped half-way
//   {"e":"closing"}                             about to close the store (a kill now may find the lock released)
//   {"e":"failed","stage":"load"|"exec"|"close","message":…,"code":…}   an error (exit 1)
//   {"e":"completed","outcome":…,"transitions":…,"failed":…}  after store.close() (exit 0)
// The campaign SIGKILLs it at chosen moments and starts it again.
//
// Usage: node --import tsx test/support/crash-worker.ts <run file> [options]
//   --seeds N --salt N          the run to create when there is none (default 2000, 0)
//   --compact-after BYTES       the store's compactAfterBytes (default 64 KiB)
//   --holders FILE              append `+pid` once holding the run, `a pid` after each durable batch,
//                               `-pid` before closing: two holders at once show in this file
//   --go FILE                   wait for this file to exist before loading (to race another process)
//   --stall-snapshot N          once N records are durable in this life, stop the next snapshot write
//                               half-way through its temp file and wait to be killed
//   --sabotage                  checker self-test: acknowledge batches without writing them
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, statSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import type { Run as AnyRun, StateStatus, StoreRecord as AnyRecord } from '../../src/index.js';
import type { CrashJC, CrashOC } from './crash-workflow.js';

type Run = AnyRun<CrashOC, CrashJC>;
type StoreRecord = AnyRecord<CrashJC>;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seeds: { type: 'string' },
    salt: { type: 'string' },
    'compact-after': { type: 'string' },
    holders: { type: 'string' },
    go: { type: 'string' },
    'stall-snapshot': { type: 'string' },
    sabotage: { type: 'boolean' },
  },
});
const file = positionals[0];
if (file === undefined) throw new Error('usage: crash-worker.ts <run file> [--seeds N] [--salt N] [--compact-after BYTES] [--holders FILE] [--go FILE] [--stall-snapshot N] [--sabotage]');
const int = (text: string | undefined, fallback: number): number => (text === undefined ? fallback : Number.parseInt(text, 10));

// Never outlive the campaign that started this process: if it is gone, so is the reason to run.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(2);
}, 250).unref();

const say = (event: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(event)}\n`);
const holders = values.holders;
const hold = (line: string): void => {
  if (holders !== undefined) appendFileSync(holders, `${line}\n`);
};
const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const codeOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | undefined)?.code;

// --stall-snapshot: the store writes its snapshots through fs/promises' open (a temp file beside the
// run, `.<file>.<pid>.tmp`); wrapping open makes the armed write stop half-way, deterministically in
// the middle of a snapshot write, where the campaign kills it. Set before the store is imported
// (type-only imports above are erased).
let durableInLife = 0;
const stallAfter = values['stall-snapshot'] === undefined ? undefined : int(values['stall-snapshot'], 0);
if (stallAfter !== undefined) {
  const fsp = createRequire(import.meta.url)('node:fs/promises') as { open: (...args: unknown[]) => Promise<FileHandle> };
  const open = fsp.open.bind(fsp);
  const temp = `.${basename(file)}.${process.pid}.tmp`;
  fsp.open = async (...args: unknown[]) => {
    const handle = await open(...args);
    if (typeof args[0] !== 'string' || basename(args[0]) !== temp || durableInLife < stallAfter) return handle;
    return new Proxy(handle, {
      get(target, prop) {
        if (prop === 'write') {
          return async (buffer: Uint8Array, offset = 0, length = buffer.length - offset) => {
            const half = Math.max(1, Math.floor(length / 2));
            const written = await target.write(buffer, offset, half);
            say({ e: 'stalled', bytes: written.bytesWritten });
            setInterval(() => undefined, 1000); // an empty event loop would end the process: wait for the kill
            return new Promise<never>(() => undefined);
          };
        }
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
  syncBuiltinESMExports();
}

const { JsonlStore, Processor, RunLockedError } = await import('../../src/index.js');
const { crashWorkflow, isSettled, newCrashRun, progressOf } = await import('./crash-workflow.js');

say({ e: 'ready', pid: process.pid });
if (values.go !== undefined) while (!existsSync(values.go)) await new Promise((resolve) => setImmediate(resolve));

const store = new JsonlStore<CrashOC, CrashJC>(file, {
  compactAfterBytes: int(values['compact-after'], 64 << 10),
  onWarning: (message) => say({ e: 'warning', message }),
});

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** The JsonlStore itself, watched from outside: what it acknowledged, and the log shrinking across an append (a compaction). */
class Watched {
  #logBytes = 0;
  #run: Run | undefined;
  load() {
    return store.load(crashWorkflow);
  }
  async checkpoint(run: Run, when?: 'start' | 'stop') {
    this.#run = run;
    await store.checkpoint(run, when);
    this.#logBytes = sizeOf(store.logPath);
    if (when !== 'stop') say({ e: 'checkpointed', jobs: run.jobs.size });
  }
  async append(records: readonly StoreRecord[]) {
    // Before the processor applies the batch (it does once the append resolved): each job's progress so far.
    const acked: unknown[] = [];
    for (const record of records) {
      if (record.type !== 'transition') continue;
      const job = this.#run?.jobs.get(record.id);
      const progress = job === undefined ? 1 : progressOf(job) + 1;
      acked.push(record.kicks && record.kicks.length > 0 ? [record.id, progress, record.kicks.map((k) => k.id)] : [record.id, progress]);
    }
    if (values.sabotage !== true) await store.append(records);
    durableInLife += records.length;
    hold(`a ${process.pid}`);
    say({ e: 'ack', r: acked });
    const bytes = sizeOf(store.logPath);
    if (bytes < this.#logBytes) say({ e: 'compacted' });
    this.#logBytes = bytes;
  }
  close() {
    return store.close();
  }
}

/** Jobs terminal (either terminal state, `done` or `unparsable`) or stopped failed: what the status counts as completed + failed. */
function settledIn(run: Run): number {
  let settled = 0;
  for (const job of run.jobs.values()) if (isSettled(job)) settled++;
  return settled;
}

const loadStart = performance.now();
let loaded: Run | undefined;
try {
  loaded = await store.load(crashWorkflow);
} catch (error) {
  if (error instanceof RunLockedError) {
    say({ e: 'locked', message: error.message });
    process.exit(3);
  }
  say({ e: 'failed', stage: 'load', message: messageOf(error), code: codeOf(error) });
  await store.close().catch(() => undefined);
  process.exit(1);
}
const loadMs = performance.now() - loadStart;
hold(`+${process.pid}`);
const run = loaded ?? newCrashRun(int(values.seeds, 2000), int(values.salt, 0));
say({ e: 'loaded', pid: process.pid, resumed: loaded !== undefined, jobs: run.jobs.size, settled: settledIn(run), loadMs: Math.round(loadMs * 10) / 10 });

let lastSaid = -1;
const status = (states: readonly StateStatus[]): void => {
  let settled = 0;
  for (const s of states) settled += s.completed + s.failed;
  if (settled === lastSaid) return;
  lastSaid = settled;
  say({ e: 'settled', n: settled });
};

const prefix = `${process.pid.toString(36)}${randomBytes(3).toString('hex')}`;
let execs = 0;
const ac = { delay: true, tag: () => `${prefix}.${++execs}` };
try {
  const result = await new Processor(crashWorkflow, ac, { store: new Watched(), status }).exec(run);
  say({ e: 'closing' });
  hold(`-${process.pid}`);
  await store.close().catch((error: unknown) => {
    say({ e: 'failed', stage: 'close', message: messageOf(error), code: codeOf(error) });
    process.exit(1);
  });
  say({ e: 'completed', ...result });
} catch (error) {
  say({ e: 'failed', stage: 'exec', message: messageOf(error), code: codeOf(error) });
  say({ e: 'closing' });
  hold(`-${process.pid}`);
  await store.close().catch((closeError: unknown) => say({ e: 'failed', stage: 'close', message: messageOf(closeError), code: codeOf(closeError) }));
  process.exit(1);
}
