// Loading a log applies the records of its closed batches as it reads them (the batches before the
// log's last batch line), instead of holding each batch until its batch line: these are the cases
// where that could differ from holding them, and the load must not.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonlStore, Run, StoreCorruptError, type TransitionRecord } from '../src/index.js';
import { logData } from './support/log-data.js';
import { useTempDir } from './support/temp-dir.js';

type JC = { n: number };

const tempDir = useTempDir();

/** A snapshot of 6 jobs and a log of 4 batches of 3 transitions each (jobs 0-5 move a -> b -> c), as a crash leaves them. */
async function written(): Promise<{ snapshot: Buffer; log: Buffer }> {
  const path = join(tempDir(), 'source.jsonl');
  const run = new Run<object, JC>('early', {});
  for (let i = 0; i < 6; i++) run.add({ n: i }, 'a');
  const store = new JsonlStore<object, JC>(path, { fsync: false });
  await store.load();
  await store.checkpoint(run);
  let at = 1_000;
  for (const [from, to] of [['a', 'b'], ['b', 'c']] as const) {
    for (const ids of [[0, 1, 2], [3, 4, 5]]) {
      const batch: TransitionRecord<JC>[] = ids.map((i) => ({ type: 'transition', id: String(i), from, to, jc: { n: i * 10 }, at: at++ }));
      await store.append(batch);
    }
  }
  const files = { snapshot: readFileSync(path), log: logData(`${path}.log`) };
  await store.close();
  return files;
}

/** The files in a fresh directory, under the same name each time (so messages compare). */
function copy(snapshot: Buffer, log: Buffer): string {
  const dir = join(tempDir(), `copy-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir);
  const path = join(dir, 'run.jsonl');
  writeFileSync(path, snapshot);
  writeFileSync(`${path}.log`, log);
  return path;
}

async function load(path: string, trustEdits = false): Promise<{ jobs: unknown; warnings: string[]; error: unknown }> {
  const warnings: string[] = [];
  const store = new JsonlStore<object, JC>(path, { fsync: false, trustEdits, onWarning: (m) => warnings.push(m.replace(path, 'RUN')) });
  try {
    const run = await store.load();
    return { jobs: run ? [...run.jobs.values()] : undefined, warnings, error: undefined };
  } catch (error) {
    return { jobs: undefined, warnings, error };
  } finally {
    await store.close().catch(() => undefined);
  }
}

/** The byte offsets just past each batch line of a log. */
function batchEnds(log: Buffer): number[] {
  const ends: number[] = [];
  for (let at = log.indexOf('{"batch":'); at !== -1; at = log.indexOf('{"batch":', at + 1)) ends.push(log.indexOf(10, at) + 1);
  return ends;
}

describe('a log whose closed batches are applied as they are read', () => {
  it('loads as if each batch were held: a zero byte inside a batch ends the log there, though whole batches follow it', async () => {
    const { snapshot, log } = await written();
    const ends = batchEnds(log);
    expect(ends).toHaveLength(4);
    // A crash during a write into zeroed space can leave a later batch on disk and a hole in an earlier one.
    const holed = Buffer.from(log);
    const hole = log.indexOf(10, ends[1]) + 20; // inside the third batch's second record (line 10)
    holed[hole] = 0;
    const got = await load(copy(snapshot, holed));
    const expected = await load(copy(snapshot, log.subarray(0, hole)));
    expect(got.error).toBeUndefined();
    expect(got).toEqual(expected);
    expect(got.warnings).toHaveLength(1);
    expect(got.warnings[0]).toMatch(/^RUN\.log:10: dropped a torn last batch \(1 record without the line that closes the batch\)/);
    const states = (got.jobs as { id: string; state: string }[]).map((job) => job.state);
    expect(states).toEqual(['b', 'b', 'b', 'b', 'b', 'b']);
  });

  it('gives each warning once when the log is read again (an edit accepted before the hole)', async () => {
    const { snapshot, log } = await written();
    const ends = batchEnds(log);
    const edited = Buffer.from(log.toString('utf8').replace('"jc":{"n":10}', '"jc":{"n":11}'));
    edited[edited.indexOf(10, ends[1]) + 20] = 0;
    const got = await load(copy(snapshot, edited), true);
    expect(got.error).toBeUndefined();
    expect(got.warnings).toHaveLength(2);
    expect(got.warnings[0]).toMatch(/^RUN\.log:4: the checksum of records 1 to 3 does not match .*; accepted as edited$/);
    expect(got.warnings[1]).toMatch(/^RUN\.log:10: dropped a torn last batch \(1 record without the line that closes the batch\)/);
    expect((got.jobs as { jc: JC }[])[1]?.jc).toEqual({ n: 11 });
  });

  it('names a record that cannot be applied at its line, after its batch line is checked', async () => {
    const { snapshot, log } = await written();
    const text = log.toString('utf8');
    const bad = Buffer.from(text.replace('"id":"4","from":"a"', '"id":"9","from":"a"'));
    // Without trustEdits the damaged batch is named by its batch line, before the record's job.
    const strict = await load(copy(snapshot, bad));
    expect(strict.error).toBeInstanceOf(StoreCorruptError);
    expect((strict.error as StoreCorruptError).line).toBe(8);
    expect((strict.error as StoreCorruptError).message).toMatch(/the checksum of records 4 to 6 does not match/);
    // Accepted as edited, the record is reached and names its job; the warning came first.
    const trusted = await load(copy(snapshot, bad), true);
    expect(trusted.error).toBeInstanceOf(StoreCorruptError);
    expect((trusted.error as StoreCorruptError).line).toBe(6);
    expect((trusted.error as StoreCorruptError).message).toMatch(/names job "9", which the run does not have/);
    expect(trusted.warnings).toEqual([expect.stringMatching(/^RUN\.log:8: the checksum of records 4 to 6 does not match/)]);
  });

  it('drops a torn last batch after closed ones, applying none of its records', async () => {
    const { snapshot, log } = await written();
    const ends = batchEnds(log);
    const cut = (ends[3] as number) - 5; // inside the last batch line
    const got = await load(copy(snapshot, log.subarray(0, cut)));
    expect(got.error).toBeUndefined();
    expect(got.warnings).toEqual([expect.stringMatching(/^RUN\.log:16: dropped a torn last batch \(3 records without the line that closes the batch\)/)]);
    expect((got.jobs as { state: string }[]).map((job) => job.state)).toEqual(['c', 'c', 'c', 'b', 'b', 'b']);
  });
});
