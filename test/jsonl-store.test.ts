// The JSONL store: what is on disk, what loads back, and the clear errors for files it cannot take.
import { logData, logText } from './support/log-data.js';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flushUnsavedRecords, JsonlStore, Processor, RunError, RunLockedError, StoreCorruptError, UnknownStatesError, workflow } from '../src/index.js';
import { countStates } from './support/count-states.js';
import { sleep } from './support/sleep.js';
import { useTempDir } from './support/temp-dir.js';

type OC = { outDir: string };
type JC = { n: number; note?: string };

const wf = workflow<object, OC, JC>('store-test')
  .state('start', { concurrency: 3 })
  .to('middle', 'start')
  .spawns('middle')
  .exec(({ jc, job }) => {
    if (jc.n % 5 === 0 && !job.errors['start']) return { state: 'start', jc, error: `retry ${jc.n}` };
    return { state: 'middle', jc: { ...jc, n: jc.n + 1 }, kicks: jc.n % 4 === 0 ? [{ state: 'middle', jc: { n: -jc.n }, key: `k${jc.n % 8}` }] : [] };
  })
  .state('middle', { concurrency: 2 })
  .to('done')
  .exec(({ jc }) => {
    if (jc.n === 7) throw new Error('seven is unlucky');
    return { state: 'done', jc };
  })
  .terminal('done')
  .build();

const tempDir = useTempDir();

async function completedRun(path: string, jobs = 20) {
  const store = new JsonlStore<OC, JC>(path);
  const run = (await store.load()) ?? wf.newRun('nightly', { outDir: 'out' });
  for (let n = 0; n < jobs; n++) run.add({ n }, 'start');
  await new Processor(wf, {}, { store }).exec(run);
  await store.close();
  return run;
}

describe('JsonlStore', () => {
  it('round trip: the loaded run equals the run (jobs, states, errors, OC, kick counters)', async () => {
    const path = join(tempDir(), 'runs', 'nightly.jsonl');
    const run = await completedRun(path);
    expect(countStates(run)).toEqual({ done: 21, middle: 1 });

    const store = new JsonlStore<OC, JC>(path);
    const loaded = await store.load();
    if (!loaded) throw new Error('nothing loaded');
    expect(loaded.name).toBe('nightly');
    expect(loaded.oc).toEqual({ outDir: 'out' });
    expect([...loaded.jobs.values()]).toEqual([...run.jobs.values()]);
    expect(loaded.jobs.get('6')).toMatchObject({ state: 'middle', failed: true, jc: { n: 7 }, errors: { middle: ['seven is unlucky'] } });
    expect(loaded.jobs.get('4->0')).toMatchObject({ parentId: '4', key: 'k4', state: 'done', jc: { n: -4 } });
    expect(loaded.jobs.get('5')?.errors).toEqual({ start: ['retry 5'] });
    // Kick counters and keys came back: a new kick by job "0" gets a fresh id, a used key is dropped.
    loaded.add({ n: 100 }, 'start', { id: 'late' });
    await new Processor(wf, {}, { store }).exec(loaded);
    expect(loaded.jobs.get('late->0')).toBeUndefined(); // key k4 (100 % 8) was used before: dropped
    expect(loaded.jobs.size).toBe(23);
    await store.close();
  });

  it('close() leaves a single snapshot file: a header line, the log line, one line per job, an end line', async () => {
    const dir = tempDir();
    await completedRun(join(dir, 'run.jsonl'));
    expect(readdirSync(dir)).toEqual(['run.jsonl']);
    const lines = readFileSync(join(dir, 'run.jsonl'), 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(1 + 1 + 22 + 1);
    expect(JSON.parse(lines[0] ?? '')).toEqual({ format: 'jorb-run', version: 2, name: 'nightly', oc: { outDir: 'out' }, nextId: 20, seq: expect.any(Number) as number });
    expect(lines[1]).toBe('{"log":"closed"}');
    expect(JSON.parse(lines[24] ?? '')).toEqual({ end: { jobs: 22, crc32: expect.any(Number) as number } });
    lines.splice(1, 1);
    expect(lines[1]).toMatch(/^\{"id":"0","state":"done","jc":\{"n":1\},"errors":\{"start":\["retry 0"\]\},"updatedAt":\d+,"history":\[/);
    expect(lines[2]).toMatch(/^\{"id":"1","state":"done","jc":\{"n":2\},"errors":\{\},"updatedAt":\d+,"history":\[\{"state":"start","at":\d+\},/);
  });

  it('keeps a run editable: a find-and-replace on the file, then a seal, redrives jobs', async () => {
    const path = join(tempDir(), 'run.jsonl');
    await completedRun(path);
    const text = readFileSync(path, 'utf8');
    // The redrive the original's users did: send the failed job back to where it failed, unmarked.
    const edited = text.replace('"state":"middle","failed":true,"jc":{"n":7}', '"state":"middle","jc":{"n":8}');
    expect(edited).not.toBe(text);
    writeFileSync(path, edited);
    // The checksum no longer matches: the edit is refused until it is accepted (`jorb seal`).
    await expect(new JsonlStore<OC, JC>(path).load()).rejects.toThrow(`${path}:25: the checksum does not match`);
    rmSync(`${path}.lock`);
    const warnings: string[] = [];
    const sealing = new JsonlStore<OC, JC>(path, { trustEdits: true, onWarning: (m) => warnings.push(m) });
    await sealing.load();
    await sealing.close();
    expect(warnings).toEqual([expect.stringMatching(/^.+run\.jsonl:25: the checksum does not match .+; accepted as edited$/) as string]);
    const store = new JsonlStore<OC, JC>(path);
    const run = await store.load();
    if (!run) throw new Error('nothing loaded');
    await new Processor(wf, {}, { store }).exec(run);
    await store.close();
    expect(run.jobs.get('6')).toMatchObject({ state: 'done', jc: { n: 8 } });
    expect(run.jobs.get('6')?.failed).toBeUndefined();
  });

  it('drops a torn last log line with a warning and loses only that line', async () => {
    const path = join(tempDir(), 'run.jsonl');
    const store = new JsonlStore<OC, JC>(path, { compactAfterBytes: 1 << 30 });
    const run = wf.newRun('nightly', { outDir: 'out' });
    for (let n = 1; n <= 3; n++) run.add({ n }, 'start');
    await store.checkpoint(run);
    await store.append([
      { type: 'transition', id: '1', from: 'start', to: 'middle', jc: { n: 2 }, at: 1 },
      { type: 'transition', id: '2', from: 'start', to: 'middle', jc: { n: 3 }, at: 2 },
    ]);
    // Simulate a crash mid-write: a half-written third record, never acknowledged, no newline.
    writeFileSync(`${path}.log`, `${logText(`${path}.log`)}{"seq":3,"type":"transition","id":"3","fr`);
    rmSync(`${path}.lock`); // the crashed process's lock: (here the process lives on, so remove it by hand)

    const warnings: string[] = [];
    const reopened = new JsonlStore<OC, JC>(path, { onWarning: (m) => warnings.push(m) });
    const loaded = await reopened.load();
    expect(warnings).toEqual([`${path}.log:4: dropped a torn last line (41 bytes): the process stopped while writing it, before it was acknowledged`]);
    expect(loaded && [...loaded.jobs.values()].map((j) => [j.id, j.state])).toEqual([
      ['0', 'start'],
      ['1', 'middle'],
      ['2', 'middle'],
    ]);
    // The next append goes after the last good batch, not after the torn bytes.
    await reopened.append([{ type: 'transition', id: '0', from: 'start', to: 'middle', jc: { n: 2 }, at: 3 }]);
    expect(logText(`${path}.log`).split('\n').map((l) => l.slice(0, 9))).toEqual(['{"seq":1,', '{"seq":2,', '{"batch":', '{"seq":3,', '{"batch":', '']);
  });

  it('a batch torn at the end of the log\'s data is dropped, and the next append goes right after the last whole batch', async () => {
    const path = await runWithOneTransition();
    const data = logText(`${path}.log`);
    // A crash in the middle of the next batch's write: its first bytes landed in the zeroed space.
    writeAt(`${path}.log`, '{"seq":2,"type":"transition","id":"2","from":"start","to":"middle","jc":{"n":3},"at":2}\n{"batch":{"fi', Buffer.byteLength(data));
    rmSync(`${path}.lock`); // the crashed process's lock (the process lives on here)

    const warnings: string[] = [];
    const reopened = new JsonlStore<OC, JC>(path, { onWarning: (m) => warnings.push(m) });
    const loaded = await reopened.load();
    expect(warnings).toEqual([`${path}.log:4: dropped a torn last batch (1 record without the line that closes the batch): the process stopped while writing it, before it was acknowledged`]);
    expect(loaded && [...loaded.jobs.values()].map((j) => j.state)).toEqual(['start', 'middle', 'start']);
    await reopened.append([{ type: 'transition', id: '2', from: 'start', to: 'middle', jc: { n: 3 }, at: 3 }]);
    expect(logText(`${path}.log`).split('\n').map((l) => l.slice(0, 9))).toEqual(['{"seq":1,', '{"batch":', '{"seq":2,', '{"batch":', '']);
    rmSync(`${path}.lock`); // crashed again: the log, zeroes and all, is what the next load reads
    const again = await new JsonlStore<OC, JC>(path).load();
    expect(again && [...again.jobs.values()].map((j) => j.state)).toEqual(['start', 'middle', 'middle']);
  });

  it('with fsync on, the log grows zeroed space ahead of its data by what the store has written: the first batch is a plain append, and only zeroes follow the data', async () => {
    const path = join(tempDir(), 'run.jsonl');
    const store = new JsonlStore<OC, JC>(path, { compactAfterBytes: 1 << 30 });
    const run = wf.newRun('nightly', { outDir: 'out' });
    run.add({ n: 1 }, 'start');
    await store.checkpoint(run);
    const failed = (at: number) => ({ type: 'transition' as const, id: '0', from: 'start', to: 'start', jc: { n: 1 }, at, error: `failed at ${at}`, failed: true as const });
    await store.append([failed(1)]);
    expect(statSync(`${path}.log`).size).toBe(logData(`${path}.log`).length); // a plain append
    for (let at = 2; at <= 10; at++) {
      await store.append([failed(at)]);
      const size = statSync(`${path}.log`).size;
      const data = logData(`${path}.log`).length;
      expect(size).toBeLessThanOrEqual(2 * data); // never more zeroes than data written
      expect(readFileSync(`${path}.log`).subarray(data).every((byte) => byte === 0)).toBe(true);
    }
    expect(statSync(`${path}.log`).size).toBeGreaterThan(logData(`${path}.log`).length); // space grown ahead
    await store.close();
    expect(existsSync(`${path}.log`)).toBe(false);
  });

  it('a batch that landed in part after a zero (a power loss mid-write) is not data: the next append goes where the data ends, and no stale byte follows it', async () => {
    const path = await runWithOneTransition();
    const end = Buffer.byteLength(logText(`${path}.log`));
    // The next batch's first sector never reached the disk; a later one did.
    writeAt(`${path}.log`, '"to":"middle","jc":{"n":3},"at":2}\n{"batch":{"first":2,"last":2,"crc32":1}}\n', end + 512);
    rmSync(`${path}.lock`);

    const reopened = new JsonlStore<OC, JC>(path, { onWarning: (m) => expect.fail(m) });
    const loaded = await reopened.load();
    expect(loaded && [...loaded.jobs.values()].map((j) => j.state)).toEqual(['start', 'middle', 'start']);
    await reopened.append([{ type: 'transition', id: '0', from: 'start', to: 'middle', jc: { n: 2 }, at: 3 }]);
    const bytes = readFileSync(`${path}.log`);
    const data = logText(`${path}.log`);
    expect(data.split('\n').map((l) => l.slice(0, 9))).toEqual(['{"seq":1,', '{"batch":', '{"seq":2,', '{"batch":', '']);
    expect(bytes.subarray(Buffer.byteLength(data)).every((byte) => byte === 0), 'only zeroes after the data').toBe(true);
    rmSync(`${path}.lock`);
    const again = await new JsonlStore<OC, JC>(path).load();
    expect(again && [...again.jobs.values()].map((j) => j.state)).toEqual(['middle', 'middle', 'start']);
  });

  it('a corrupt line is an error naming file, line and problem, and nothing is rewritten', async () => {
    const path = join(tempDir(), 'run.jsonl');
    await completedRun(path);
    const text = readFileSync(path, 'utf8').replace('{"id":"3","state":"done"', '{"id":"3","state":"done"{{');
    writeFileSync(path, text);
    const error = await new JsonlStore<OC, JC>(path).load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreCorruptError);
    expect((error as StoreCorruptError).message).toMatch(new RegExp(`^${path}:6: not valid JSON \\(.+\\)$`));
    expect((error as StoreCorruptError).line).toBe(6);
    expect(readFileSync(path, 'utf8')).toBe(text);
  });

  it.each([
    ['a job without a state', (t: string) => t.replace('"id":"2","state":"done",', '"id":"2",'), 5, 'job "2": "state" must be a non-empty string, got undefined'],
    ['a newer format version', (t: string) => t.replace('"version":2', '"version":9'), 1, 'format version 9 is not supported (this jorb-ts reads versions 1 and 2)'],
    ['not a run file', () => '{"hello":"world"}\n', 1, 'not a jorb-ts run file: the header\'s "format" is undefined, expected "jorb-run"'],
  ])('rejects %s with a clear error and leaves the file alone', async (_, edit, line, problem) => {
    const path = join(tempDir(), 'run.jsonl');
    await completedRun(path);
    const text = edit(readFileSync(path, 'utf8'));
    writeFileSync(path, text);
    const error = (await new JsonlStore<OC, JC>(path).load().catch((e: unknown) => e)) as StoreCorruptError;
    expect(error).toBeInstanceOf(StoreCorruptError);
    expect({ line: error.line, problem: error.problem }).toEqual({ line, problem });
    expect(readFileSync(path, 'utf8')).toBe(text);
  });

  it('rejects a repeated job id: as damage (its checksum) and, accepted as an edit, as a repeated id; the file is left alone', async () => {
    const path = join(tempDir(), 'run.jsonl');
    await completedRun(path);
    const text = readFileSync(path, 'utf8').replace('"id":"2"', '"id":"1"');
    writeFileSync(path, text);
    const damaged = (await new JsonlStore<OC, JC>(path).load().catch((e: unknown) => e)) as StoreCorruptError;
    expect({ line: damaged.line, problem: damaged.problem }).toEqual({ line: 25, problem: expect.stringMatching(/^the checksum does not match/) as string });
    rmSync(`${path}.lock`);
    const edited = (await new JsonlStore<OC, JC>(path, { trustEdits: true, onWarning: () => undefined }).load().catch((e: unknown) => e)) as StoreCorruptError;
    expect(edited).toBeInstanceOf(StoreCorruptError);
    expect({ line: edited.line, problem: edited.problem }).toEqual({ line: 0, problem: 'jobs[2] repeats the id "1"' });
    expect(readFileSync(path, 'utf8')).toBe(text);
  });

  it('a run with states the workflow does not declare is reported before anything runs; the file is untouched', async () => {
    const path = join(tempDir(), 'run.jsonl');
    await completedRun(path);
    writeFileSync(path, readFileSync(path, 'utf8').replaceAll('"state":"middle"', '"state":"midle"'));
    const sealing = new JsonlStore<OC, JC>(path, { trustEdits: true, onWarning: () => undefined });
    await sealing.load(); // the edit is accepted (`jorb seal`) and written back with a fresh checksum
    await sealing.close();
    const text = readFileSync(path, 'utf8');
    const store = new JsonlStore<OC, JC>(path);
    const run = await store.load();
    if (!run) throw new Error('nothing loaded');
    await expect(new Processor(wf, {}, { store }).exec(run)).rejects.toThrow(UnknownStatesError);
    await expect(new Processor(wf, {}, { store }).exec(run)).rejects.toThrow('Run "nightly" has 1 job in states workflow "store-test" does not declare');
    expect(readFileSync(path, 'utf8')).toBe(text);
  });

  it('a write error (disk full) stops the run, rejects exec, and keeps everything acknowledged', async () => {
    const path = join(tempDir(), 'run.jsonl');
    const store = new JsonlStore<OC, JC>(path);
    expect(await store.load()).toBeUndefined();
    const run = wf.newRun('nightly', { outDir: 'out' });
    for (let n = 0; n < 30; n++) run.add({ n }, 'start', { id: `job-${n}` });
    const acknowledged = [...run.jobs.values()].map((job) => ({ ...job }));
    // The snapshot is written at start; every append to the log after it fails with ENOSPC.
    symlinkSync('/dev/full', `${path}.log`);

    let execs = 0;
    const counting = workflow<object, OC, JC>('store-test')
      .state('start', { concurrency: 3 })
      .to('middle', 'start')
      .spawns('middle')
      .exec(async ({ jc }) => (execs++, await sleep(20), { state: 'middle', jc }))
      .state('middle')
      .to('done')
      .exec(({ jc }) => (execs++, { state: 'done', jc }))
      .terminal('done')
      .build();
    await expect(new Processor(counting, {}, { store }).exec(run)).rejects.toThrow(/^ENOSPC: no space left on device, write$/);

    // The first three ran, and three more took their freed slots while the first write was failing.
    expect(execs).toBeLessThanOrEqual(6);
    expect(countStates(run)).toEqual({ start: 30 }); // nothing unacknowledged applied
    rmSync(`${path}.log`);
    writeFileSync(`${path}.log`, ''); // on a real full disk the log is there, holding what was written: nothing
    rmSync(`${path}.lock`);
    const reloaded = await new JsonlStore<OC, JC>(path).load();
    expect(reloaded && [...reloaded.jobs.values()]).toEqual(acknowledged);
  });

  it('a write error when exec starts (disk full) rejects before anything runs and keeps the changes for the next try', async () => {
    const path = join(tempDir(), 'run.jsonl');
    await completedRun(path, 10);
    const acknowledged = readFileSync(path, 'utf8');
    const store = new JsonlStore<OC, JC>(path);
    const run = await store.load();
    if (!run) throw new Error('nothing loaded');
    for (let n = 0; n < 30; n++) run.add({ n }, 'start', { id: `more-${n}` });
    symlinkSync('/dev/full', `${path}.log`); // the adds are written to the log when exec starts

    let execs = 0;
    const counting = workflow<object, OC, JC>('store-test')
      .state('start')
      .to('done')
      .exec(({ jc }) => (execs++, { state: 'done', jc }))
      .terminal('middle', 'done')
      .build();
    await expect(new Processor(counting, {}, { store }).exec(run)).rejects.toThrow(/^ENOSPC: no space left on device, write$/);
    expect(execs).toBe(0);
    // The snapshot was not rewritten: only its log line says a log is in use now.
    expect(readFileSync(path, 'utf8')).toBe(acknowledged.replace('{"log":"closed"}', '{"log":"active"}'));

    // The adds were not acknowledged, so they are still the run's unsaved changes: a store that
    // can write takes them.
    const records: unknown[] = [];
    await flushUnsavedRecords(run, async (unsaved) => void records.push(...unsaved));
    expect(records).toHaveLength(30);
    expect(records[0]).toMatchObject({ type: 'add', job: { id: 'more-0', state: 'start', jc: { n: 0 } } });
  });
});

describe('JsonlStore guards', () => {
  it('refuses to overwrite a run it did not load', async () => {
    const path = join(tempDir(), 'run.jsonl');
    await completedRun(path);
    const store = new JsonlStore<OC, JC>(path);
    const fresh = wf.newRun('other', { outDir: 'x' }).add({ n: 1 }, 'start');
    await expect(new Processor(wf, {}, { store }).exec(fresh)).rejects.toThrow(
      new RunError(`${path} already holds a run: load it with store.load() to continue it, or delete the file to start over`),
    );
    await store.close();
    expect((await completedRun(path, 0)).jobs.size).toBe(22);
  });

  it('keeps a second store off a run that is open', async () => {
    const path = join(tempDir(), 'run.jsonl');
    const first = new JsonlStore<OC, JC>(path);
    await first.load();
    await expect(new JsonlStore<OC, JC>(path).load()).rejects.toThrow(RunLockedError);
    await first.close();
    await expect(new JsonlStore<OC, JC>(path).load()).resolves.toBeUndefined();
  });

  it('compacts the log as it grows, so a restart replays little', async () => {
    const path = join(tempDir(), 'run.jsonl');
    const store = new JsonlStore<OC, JC>(path, { compactAfterBytes: 2_000 });
    const run = wf.newRun('nightly', { outDir: 'out' });
    for (let n = 0; n < 200; n++) run.add({ n }, 'start');
    await new Processor(wf, {}, { store }).exec(run);
    expect(logText(`${path}.log`)).toBe(''); // the last checkpoint compacted it
    await store.close();
  });
});

/** A run of three jobs in 'start' written whole, and one batch in its log: job 1 moved to 'middle'; the store left open (a crash). */
async function runWithOneTransition(): Promise<string> {
  const path = join(tempDir(), 'run.jsonl');
  const store = new JsonlStore<OC, JC>(path, { compactAfterBytes: 1 << 30 });
  const run = wf.newRun('nightly', { outDir: 'out' });
  for (let n = 1; n <= 3; n++) run.add({ n }, 'start');
  await store.checkpoint(run);
  await store.append([{ type: 'transition', id: '1', from: 'start', to: 'middle', jc: { n: 2 }, at: 1 }]);
  return path;
}

/** Writes text into a file at a byte offset, as a write the crash cut short would have. */
function writeAt(file: string, text: string, position: number): void {
  const handle = openSync(file, 'r+');
  writeSync(handle, text, position);
  closeSync(handle);
}
