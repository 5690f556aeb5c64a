// A big log is scanned on a worker thread while the main thread reads the snapshot
// (src/store/log-scan-thread.ts): every load here is made both ways, on the main thread alone and
// with the worker (its size threshold set to 0), and must give the same: the same run, sequence
// number, warnings, torn-tail truncation, or the same error, naming the same file and line.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonlStore, Run, StoreCorruptError, type StoreRecord } from '../src/index.js';
import { readRunFiles } from '../src/store/jsonl-reader.js';
import { logData } from './support/log-data.js';
import { useTempDir } from './support/temp-dir.js';

type JC = { n: number; note?: string };

const tempDir = useTempDir();

/**
 * A snapshot of 8 jobs and a log, as a crash leaves them: batches of plain transitions (0-7 move
 * a -> b -> c) and between them records the worker sends as lines: an error, a failed mark, kicks,
 * an add and a move.
 */
async function written(): Promise<{ snapshot: Buffer; log: Buffer }> {
  const path = join(tempDir(), 'source.jsonl');
  const run = new Run<object, JC>('parallel', {});
  for (let i = 0; i < 8; i++) run.add({ n: i }, 'a');
  const store = new JsonlStore<object, JC>(path, { fsync: false });
  await store.load();
  await store.checkpoint(run);
  let at = 1_000;
  const moves = (from: string, to: string, ids: number[]): StoreRecord<JC>[] => ids.map((i) => ({ type: 'transition', id: String(i), from, to, jc: { n: i * 10 }, at: at++ }));
  await store.append(moves('a', 'b', [0, 1, 2, 3]));
  await store.append([
    { type: 'transition', id: '4', from: 'a', to: 'a', jc: { n: 4, note: 'é "quoted"' }, at: at++, error: 'boom' },
    { type: 'transition', id: '5', from: 'a', to: 'a', jc: { n: 5 }, at: at++, failed: true },
    { type: 'transition', id: '6', from: 'a', to: 'b', jc: { n: 6 }, at: at++, kicks: [{ id: '6->0', state: 'a', jc: { n: 60 } }] },
    { type: 'add', job: { id: 'extra', state: 'a', jc: { n: 99 }, errors: {}, updatedAt: at, history: [{ state: 'a', at: at++ }] } },
    { type: 'move', id: '5', from: 'a', to: 'c', at: at++, note: 'redrive' },
  ]);
  await store.append(moves('b', 'c', [0, 1, 2, 3]));
  await store.append(moves('a', 'b', [7, 4]));
  const files = { snapshot: readFileSync(path), log: logData(`${path}.log`) };
  await store.close();
  return files;
}

/** 1,000 jobs and a log of 40 batches of 1,000 plain transitions each (s0 -> s1 -> … -> s40): more than one message from the worker. */
async function manyBatches(name: string): Promise<{ snapshot: Buffer; log: Buffer }> {
  const path = join(tempDir(), `${name}.jsonl`);
  const run = new Run<object, JC>(name, {});
  for (let i = 0; i < 1000; i++) run.add({ n: i }, 's0');
  const store = new JsonlStore<object, JC>(path, { fsync: false });
  await store.load();
  await store.checkpoint(run);
  let at = 0;
  for (let step = 0; step < 40; step++) {
    const batch: StoreRecord<JC>[] = [];
    for (let i = 0; i < 1000; i++) batch.push({ type: 'transition', id: String(i), from: `s${step}`, to: `s${step + 1}`, jc: { n: step }, at: at++ });
    await store.append(batch);
  }
  const files = { snapshot: readFileSync(path), log: logData(`${path}.log`) };
  await store.close();
  return files;
}

/** The files in a fresh directory, under the same name each time (so messages compare). */
function copy(snapshot: Buffer | string, log: Buffer | string): string {
  const dir = join(tempDir(), `copy-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir);
  const path = join(dir, 'run.jsonl');
  writeFileSync(path, snapshot);
  writeFileSync(`${path}.log`, log);
  return path;
}

interface Loaded {
  readonly jobs: unknown;
  readonly read: unknown;
  readonly warnings: readonly string[];
  readonly error: { readonly name: string; readonly message: string; readonly file: string; readonly line: number } | undefined;
  readonly scannedBy: string;
}

async function read(path: string, parallelLogBytes: number, trustEdits: boolean): Promise<Loaded> {
  const warnings: string[] = [];
  let scannedBy = 'none';
  try {
    const got = await readRunFiles<object, JC>(path, `${path}.log`, {
      trustEdits,
      warn: (message) => warnings.push(message),
      parallelLogBytes,
      logScannedBy: (by, error) => (scannedBy = error === undefined ? by : `${by} (the worker failed: ${error instanceof Error ? error.message : "?"})`),
    });
    if (got === undefined) return { jobs: undefined, read: undefined, warnings, error: undefined, scannedBy };
    const { run, ...rest } = got;
    return { jobs: [...run.jobs.values()], read: rest, warnings, error: undefined, scannedBy };
  } catch (error) {
    if (!(error instanceof StoreCorruptError)) throw error;
    return { jobs: undefined, read: undefined, warnings, error: { name: error.name, message: error.message, file: error.file, line: error.line }, scannedBy };
  }
}

/** Loads the files on the main thread alone and with the worker; expects the same, and returns it. */
async function bothWays(snapshot: Buffer | string, log: Buffer | string, trustEdits = false): Promise<Loaded> {
  const path = copy(snapshot, log);
  const main = await read(path, Number.POSITIVE_INFINITY, trustEdits);
  const worker = await read(path, 0, trustEdits);
  // Neither reads the log when the snapshot does not verify.
  expect([main.scannedBy, worker.scannedBy]).toEqual(main.scannedBy === 'none' ? ['none', 'none'] : ['main', 'worker']);
  expect({ ...worker, scannedBy: undefined }).toEqual({ ...main, scannedBy: undefined });
  return worker;
}

/** The 1-based number of the line holding `needle` (its first occurrence). */
function lineOf(text: string, needle: string): number {
  const at = text.indexOf(needle);
  expect(at).not.toBe(-1);
  return text.slice(0, at).split('\n').length;
}

describe('a log scanned on a worker thread', () => {
  it('gives the run the main thread gives, records of every kind included', async () => {
    const { snapshot, log } = await written();
    const got = await bothWays(snapshot, log);
    expect(got.error).toBeUndefined();
    expect(got.scannedBy).toBe('worker');
    const jobs = got.jobs as { id: string; state: string; jc: JC; failed?: true; errors: Record<string, string[]> }[];
    expect(jobs.map((job) => `${job.id}:${job.state}`)).toEqual(['0:c', '1:c', '2:c', '3:c', '4:b', '5:c', '6:b', '7:b', '6->0:a', 'extra:a']);
    expect(jobs[4]?.errors).toEqual({ a: ['boom'] });
    expect(jobs[4]?.jc).toEqual({ n: 40 });
  });

  it('reports a line that is not JSON in the worker part at its line, as the main thread does', async () => {
    const { snapshot, log } = await written();
    const text = log.toString('utf8');
    const line = lineOf(text, '"id":"2","from":"b"');
    const got = await bothWays(snapshot, text.replace('"id":"2","from":"b"', '"id":"2",from":"b"'));
    expect(got.error).toMatchObject({ name: 'StoreCorruptError', line });
    expect(got.error?.message).toMatch(/run\.jsonl\.log:\d+: not valid JSON/);
  });

  it('reports a record with a bad field, a bad batch line and a checksum at their lines', async () => {
    const { snapshot, log } = await written();
    const text = log.toString('utf8');
    const field = await bothWays(snapshot, text.replace('"id":"1","from":"b"', '"id":"","from":"b"'));
    expect(field.error?.line).toBe(lineOf(text, '"id":"1","from":"b"'));
    const batchLine = text.split('\n').findIndex((l) => l.startsWith('{"batch":')) + 1;
    const badBatch = await bothWays(snapshot, text.replace('{"batch":', '{"batch":"x","y":'));
    expect(badBatch.error?.line).toBe(batchLine);
    const checksum = await bothWays(snapshot, text.replace('"jc":{"n":20}', '"jc":{"n":21}'));
    expect(checksum.error?.message).toMatch(/the checksum of records .* does not match/);
  });

  it('applies closed batches before an error and gives the warnings that came before it', async () => {
    const { snapshot, log } = await written();
    const text = log.toString('utf8');
    // Accepted as edited, an unknown job is reached: named at its line, after the warning of its batch line.
    const got = await bothWays(snapshot, text.replace('"id":"7","from":"a"', '"id":"9","from":"a"'), true);
    expect(got.error?.line).toBe(lineOf(text, '"id":"7","from":"a"'));
    expect(got.error?.message).toMatch(/names job "9", which the run does not have/);
    expect(got.warnings).toEqual([expect.stringMatching(/accepted as edited$/)]);
  });

  it('gives a record edited by hand the value the main thread parses (not the store encoding: spaces, -0, 1e400)', async () => {
    const { snapshot, log } = await written();
    const text = log.toString('utf8').replace('"jc":{"n":0}', '"jc": {"n":-0}').replace('"jc":{"n":10}', '"jc":{"n":1e400}');
    const got = await bothWays(snapshot, text, true);
    expect(got.error).toBeUndefined();
    const jobs = got.jobs as { jc: JC }[];
    // The second batch moves 0 and 1 on with a new jc: the first batch's values are in their history only, so edit the last batch.
    expect(got.warnings).toHaveLength(1);
    const last = await bothWays(snapshot, log.toString('utf8').replace('"jc":{"n":70}', '"jc":{"n":-0} ').replace('"jc":{"n":40}', '"jc":{"n":1e400}'), true);
    const lastJobs = last.jobs as { id: string; jc: JC }[];
    expect(Object.is(lastJobs.find((job) => job.id === '7')?.jc.n, -0)).toBe(true);
    expect(lastJobs.find((job) => job.id === '4')?.jc.n).toBe(Number.POSITIVE_INFINITY);
    expect(jobs).toHaveLength(10);
  });

  it('gives a job context too deep for the worker to check, or too large to pack, the value the main thread parses', async () => {
    const { snapshot, log } = await written();
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const large = 'x'.repeat(100_000);
    const text = log.toString('utf8').replace('"jc":{"n":70}', `"jc":{"n":70,"deep":${deep}}`).replace('"jc":{"n":40}', `"jc":{"n":40,"note":"${large}"}`);
    const path = copy(snapshot, text);
    const main = await read(path, Number.POSITIVE_INFINITY, true);
    const worker = await read(path, 0, true);
    expect([main.scannedBy, worker.scannedBy]).toEqual(['main', 'worker']);
    // Compared by their depth and text: a deep equality of 20,000 nested arrays would overflow the test's own stack.
    for (const loaded of [main, worker]) {
      expect(loaded.error).toBeUndefined();
      const jobs = loaded.jobs as { id: string; jc: JC & { deep?: unknown } }[];
      let depth = 0;
      for (let at: unknown = jobs.find((job) => job.id === '7')?.jc.deep; Array.isArray(at); at = at[0]) depth++;
      expect(depth).toBe(20_000);
      expect(jobs.find((job) => job.id === '4')?.jc.note).toBe(large);
      expect(jobs.filter((job) => job.id !== '7')).toEqual((main.jobs as { id: string }[]).filter((job) => job.id !== '7'));
    }
    expect(worker.warnings).toEqual(main.warnings);
  });

  it('drops a torn last line, a torn last batch and what follows a zero byte as the main thread does', async () => {
    const { snapshot, log } = await written();
    const ends: number[] = [];
    for (let at = log.indexOf('{"batch":'); at !== -1; at = log.indexOf('{"batch":', at + 1)) ends.push(log.indexOf(10, at) + 1);
    expect(ends).toHaveLength(4);
    const tornLine = await bothWays(snapshot, log.subarray(0, (ends[3] as number) - 3));
    expect(tornLine.warnings).toEqual([expect.stringMatching(/dropped a torn last batch \(2 records without the line that closes the batch\)/)]);
    const tornBatch = await bothWays(snapshot, log.subarray(0, log.indexOf(10, ends[2]) + 1));
    expect(tornBatch.warnings).toEqual([expect.stringMatching(/dropped a torn last batch \(1 record without/)]);
    const holed = Buffer.from(log);
    holed[log.indexOf(10, ends[1]) + 20] = 0; // inside the third batch: whole batches follow the hole
    const hole = await bothWays(snapshot, holed);
    expect(hole.error).toBeUndefined();
    expect(hole.warnings).toEqual([expect.stringMatching(/dropped a torn last batch/)]);
    expect(hole.read).toMatchObject({ truncateLogTo: ends[1] });
  });

  it('reports a log newer than a closed snapshot, and a damaged snapshot before any problem of its log', async () => {
    const { snapshot, log } = await written();
    const closed = await bothWays(snapshot.toString('utf8').replace('{"log":"active"}', '{"log":"closed"}'), log);
    expect(closed.error?.message).toMatch(/newer than the snapshot, which says its store was closed/);
    const both = await bothWays(snapshot.toString('utf8').replace('"jc":{"n":3}', '"jc":{"n":4}'), log.toString('utf8').replace('{"batch":', '{"batch":"x","y":'));
    expect(both.error?.file.endsWith('run.jsonl')).toBe(true);
    expect(both.error?.message).toMatch(/the checksum does not match/);
  });

  it('reads a log of many batches sent in many messages, a warning in the middle', async () => {
    const { snapshot, log: data } = await manyBatches('many');
    const log = data.toString('utf8');
    const got = await bothWays(snapshot, log.replace('"jc":{"n":20}', '"jc":{"n":-20}'), true);
    expect(got.error).toBeUndefined();
    expect(got.warnings).toHaveLength(1);
    expect((got.jobs as { state: string }[]).every((job) => job.state === 's40')).toBe(true);
    expect(got.read).toMatchObject({ seq: 40_000 });
  });

  it('reads the log again on the main thread when the worker dies after sending part of it (a crash, out of memory)', async () => {
    const files = await manyBatches('crash');
    const copied = copy(files.snapshot, files.log);
    const main = await read(copied, Number.POSITIVE_INFINITY, false);
    const scanned: string[] = [];
    const got = await readRunFiles<object, JC>(copied, `${copied}.log`, { trustEdits: false, warn: () => undefined, parallelLogBytes: 0, stopScanAfterPosts: 1, logScannedBy: (by) => scanned.push(by) });
    expect(scanned).toEqual(['worker', 'main']); // the worker's first pack was taken, then the read was made again
    expect([...(got?.run.jobs.values() ?? [])]).toEqual(main.jobs);
    expect(got?.seq).toBe(40_000);
  });

  it('is not started for a log under the size threshold (32 MiB by default)', async () => {
    const { snapshot, log } = await written();
    const path = copy(snapshot, log);
    let scannedBy = 'none';
    await readRunFiles<object, JC>(path, `${path}.log`, { trustEdits: false, warn: () => undefined, logScannedBy: (by) => (scannedBy = by) });
    expect(scannedBy).toBe('main');
    await readRunFiles<object, JC>(path, `${path}.log`, { trustEdits: false, warn: () => undefined, parallelLogBytes: log.length + 1, logScannedBy: (by) => (scannedBy = by) });
    expect(scannedBy).toBe('main');
    await readRunFiles<object, JC>(path, `${path}.log`, { trustEdits: false, warn: () => undefined, parallelLogBytes: log.length, logScannedBy: (by) => (scannedBy = by) });
    expect(scannedBy).toBe('worker');
  });
});
