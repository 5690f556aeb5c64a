// The child process of the join kill campaign (test/join-kill-campaign.test.ts): runs the join
// workflow (test/support/join-workflow.ts) on a JsonlStore until the run is complete, the way a
// user's program does (load the run or create it, exec, close). The campaign SIGKILLs it at chosen
// moments and starts it again.
//
// Evidence kept outside the store: every call of merge's exec appends one line to the side file,
// before the exec does anything else (appendFileSync: on disk once it returns, whatever kills the
// process next): a JSON MergeEvidence, the parent and each child as the exec was handed it. So
// the side file holds every merge exec ever called, also those whose transition never became
// durable because the process was killed first.
//
// It says what it does on stdout, one JSON object per line:
//   {"e":"ready","pid":…}
//   {"e":"loaded","pid":…,"resumed":…,"jobs":…,"done":…}   load done (the lock is held); done: parents in 'done'
//   {"e":"ack","n":…,"done":[ids]}     a batch of n records is durable (fsynced); done: the parents it moved to 'done'
//   {"e":"merge","parent":…}           a merge exec started (its side-file line is written)
//   {"e":"closing"}                    about to close the store
//   {"e":"failed","stage":"load"|"exec"|"close","message":…}   an error (exit 1)
//   {"e":"completed","outcome":…,"transitions":…,"failed":…}   after store.close() (exit 0)
//
// Usage: node --import tsx test/support/join-kill-worker.ts <run file> <side file> [--salt N] [--compact-after BYTES]
import { appendFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type ChildResult, JsonlStore, Processor, type Run, type StoreRecord } from '../../src/index.js';
import { type JoinAC, type JoinJC, type JoinOC, joinWorkflow, type MergeEvidence, newJoinRun } from './join-workflow.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { salt: { type: 'string' }, 'compact-after': { type: 'string' } },
});
const [file, side] = positionals;
if (file === undefined || side === undefined) throw new Error('usage: join-kill-worker.ts <run file> <side file> [--salt N] [--compact-after BYTES]');
const int = (text: string | undefined, fallback: number): number => (text === undefined ? fallback : Number.parseInt(text, 10));

// Never outlive the campaign that started this process.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(2);
}, 250).unref();

const say = (event: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(event)}\n`);
const messageOf = (error: unknown): string => (error instanceof Error ? (error.stack ?? error.message) : String(error));

say({ e: 'ready', pid: process.pid });
const store = new JsonlStore<JoinOC, JoinJC>(file, { compactAfterBytes: int(values['compact-after'], 256 << 10), onWarning: (message) => say({ e: 'warning', message }) });

/** The store as the processor uses it, saying which batches are durable. */
const watched = {
  load: () => store.load(joinWorkflow),
  checkpoint: (run: Run<JoinOC, JoinJC>, when?: 'start' | 'stop') => store.checkpoint(run, when),
  async append(records: readonly StoreRecord<JoinJC>[]) {
    await store.append(records);
    const done: string[] = [];
    for (const record of records) if (record.type === 'transition' && record.to === 'done') done.push(record.id);
    say({ e: 'ack', n: records.length, done });
  },
  close: () => store.close(),
};

let loaded: Run<JoinOC, JoinJC> | undefined;
try {
  loaded = await store.load(joinWorkflow);
} catch (error) {
  say({ e: 'failed', stage: 'load', message: messageOf(error) });
  await store.close().catch(() => undefined);
  process.exit(1);
}
const run = loaded ?? newJoinRun(int(values.salt, 0));
let done = 0;
for (const job of run.jobs.values()) if (job.state === 'done') done++;
say({ e: 'loaded', pid: process.pid, resumed: loaded !== undefined, jobs: run.jobs.size, done });

const ac: JoinAC = {
  merging(parentId: string, state: string, children: readonly ChildResult<JoinJC>[]) {
    const evidence: MergeEvidence = { pid: process.pid, parent: parentId, state, children: children.map((c) => [c.id, c.state, c.failed] as const) };
    appendFileSync(side, `${JSON.stringify(evidence)}\n`);
    say({ e: 'merge', parent: parentId });
  },
};

try {
  const result = await new Processor(joinWorkflow, ac, { store: watched }).exec(run);
  say({ e: 'closing' });
  await store.close().catch((error: unknown) => {
    say({ e: 'failed', stage: 'close', message: messageOf(error) });
    process.exit(1);
  });
  say({ e: 'completed', ...result });
} catch (error) {
  say({ e: 'failed', stage: 'exec', message: messageOf(error) });
  await store.close().catch(() => undefined);
  process.exit(1);
}
