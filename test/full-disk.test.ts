// Every byte or an error, on a real full disk: a small tmpfs (this needs root, as CI has), where
// writes come back short before they fail with ENOSPC. What a store acknowledged is on disk; what it
// could not write is an error; a compaction that cannot be written leaves the previous snapshot and
// the log as they were.
import { logData } from './support/log-data.js';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyRecord, JsonlStore, Processor, type StoreRecord, workflow } from '../src/index.js';

type JC = { n: number; pad: string };

const root = mkdtempSync(join(tmpdir(), 'jorb-full-disk-'));
const disk = join(root, 'disk');

beforeAll(() => {
  mkdirSync(disk);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=192k', 'tmpfs', disk], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(`the full-disk tests mount a small tmpfs, which needs root: ${String((error as { stderr?: Buffer }).stderr ?? error)}`);
  }
});
afterAll(() => {
  execFileSync('umount', ['--lazy', disk]); // lazy: a store left open by a failing test must not keep it mounted
  rmSync(root, { recursive: true, force: true });
});

const wf = workflow<object, object, JC>('full')
  .state('work', { concurrency: 4 })
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc: { ...jc, pad: jc.pad.repeat(2) } }))
  .terminal('done')
  .build();

function emptyDisk(): string {
  for (const name of readdirSync(disk)) rmSync(join(disk, name), { recursive: true, force: true });
  const dir = join(disk, `run-${Date.now()}`);
  mkdirSync(dir);
  return dir;
}

/** Copies a run's files off the full disk, so that they can be loaded (and written) elsewhere. */
function rescue(dir: string): string {
  const to = mkdtempSync(join(root, 'rescued-'));
  cpSync(dir, to, { recursive: true });
  rmSync(join(to, 'run.jsonl.lock'), { force: true });
  return join(to, 'run.jsonl');
}

function record(n: number, at: number): StoreRecord<JC> {
  return { type: 'transition', id: String(n), from: 'work', to: 'done', jc: { n, pad: 'x'.repeat(300) }, at };
}

describe('JsonlStore on a full disk', () => {
  it('acknowledges only what is on disk: appends resolve until one fails with ENOSPC, and every resolved one loads back', async () => {
    const dir = emptyDisk();
    const path = join(dir, 'run.jsonl');
    const store = new JsonlStore<object, JC>(path, { compactAfterBytes: Number.MAX_SAFE_INTEGER });
    await store.load();
    const run = wf.newRun('full', {});
    for (let n = 0; n < 1000; n++) run.add({ n, pad: '' }, 'work');
    await store.checkpoint(run);

    let acknowledged = 0;
    let failure: unknown;
    for (let batch = 0; batch < 100 && failure === undefined; batch++) {
      const records = Array.from({ length: 10 }, (_, i) => record(batch * 10 + i, batch));
      try {
        await store.append(records);
        acknowledged += records.length;
      } catch (error) {
        failure = error;
      }
    }
    expect((failure as NodeJS.ErrnoException | undefined)?.code).toBe('ENOSPC');
    expect(acknowledged).toBeGreaterThan(0);
    await store.close().catch(() => undefined); // the disk is still full

    const loaded = await new JsonlStore<object, JC>(rescue(dir), { onWarning: () => undefined }).load(wf);
    const done = [...(loaded?.jobs.values() ?? [])].filter((job) => job.state === 'done').length;
    expect(done).toBe(acknowledged); // not one more (nothing unacknowledged), not one less
  });

  it('a compaction that does not fit leaves the previous snapshot and the log: close() fails, the run loads as acknowledged', async () => {
    const dir = emptyDisk();
    const path = join(dir, 'run.jsonl');
    const store = new JsonlStore<object, JC>(path, { compactAfterBytes: Number.MAX_SAFE_INTEGER });
    await store.load();
    const run = wf.newRun('full', {});
    for (let n = 0; n < 100; n++) run.add({ n, pad: 'y'.repeat(200) }, 'work');
    await store.checkpoint(run);
    const records = Array.from({ length: 100 }, (_, n) => record(n, 1));
    await store.append(records);
    for (const r of records) applyRecord(run, r); // what the processor does once a record is durable
    const snapshot = readFileSync(path);
    const log = logData(`${path}.log`);
    // Fill what is left, so that the compacted snapshot (as big as the two files) cannot be written.
    const { bavail, bsize } = statfsSync(disk);
    writeFileSync(join(disk, 'filler'), Buffer.alloc(Math.max(0, bavail * bsize - 8 * 1024)));

    await expect(store.close()).rejects.toMatchObject({ code: 'ENOSPC' });

    expect(readFileSync(path).equals(snapshot), 'the previous snapshot is kept').toBe(true);
    expect(logData(`${path}.log`).equals(log), 'the log is kept').toBe(true);
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    const loaded = await new JsonlStore<object, JC>(rescue(dir)).load(wf);
    expect([...(loaded?.jobs.values() ?? [])].every((job) => job.state === 'done')).toBe(true);
  });

  it('a processor on a full disk rejects with ENOSPC, and the run moved to a disk with room finishes with nothing lost', async () => {
    const dir = emptyDisk();
    const path = join(dir, 'run.jsonl');
    const store = new JsonlStore<object, JC>(path, { compactAfterBytes: 16 << 10 });
    await store.load();
    const run = wf.newRun('full', {});
    for (let n = 0; n < 400; n++) run.add({ n, pad: 'z'.repeat(150) }, 'work');

    await expect(new Processor(wf, {}, { store }).exec(run)).rejects.toMatchObject({ code: 'ENOSPC' });
    const acknowledged = [...run.jobs.values()].filter((job) => job.state === 'done').map((job) => job.id);
    await store.close().catch(() => undefined); // the disk is still full

    const moved = rescue(dir);
    const again = new JsonlStore<object, JC>(moved, { onWarning: () => undefined });
    const resumed = await again.load(wf);
    if (!resumed) throw new Error('the run was lost');
    const doneAfterLoad = [...resumed.jobs.values()].filter((job) => job.state === 'done').map((job) => job.id);
    expect(doneAfterLoad).toEqual(expect.arrayContaining(acknowledged));
    await new Processor(wf, {}, { store: again }).exec(resumed);
    await again.close();
    const final = await new JsonlStore<object, JC>(moved).load(wf);
    expect([...(final?.jobs.values() ?? [])].map((job) => job.state)).toEqual(Array<string>(400).fill('done'));
  });
});
