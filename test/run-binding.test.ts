// A run is bound to its workflow when it is made, loaded for it or executed by it: an unknown
// state is refused with a clear error wherever it would enter, and nothing is changed.
import { logDataBytes, logText } from './support/log-data.js';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonlStore, MemoryStore, Processor, redrive, RunError, UnknownStatesError, workflow } from '../src/index.js';
import { useTempDir } from './support/temp-dir.js';

type JC = { n: number };
const wf = workflow<object, object, JC>('bound')
  .state('fetch')
  .to('done', 'failed')
  .exec(({ jc }) => (jc.n < 0 ? { state: 'failed', jc } : { state: 'done', jc }))
  .terminal('done', 'failed')
  .build();

const tempDir = useTempDir();

async function storedRun(path: string, jobs: number): Promise<void> {
  const store = new JsonlStore<object, JC>(path);
  await store.load();
  const run = wf.newRun('nightly', {});
  for (let n = 0; n < jobs; n++) run.add({ n: n % 7 === 3 ? -n : n }, 'fetch');
  await new Processor(wf, {}, { store }).exec(run);
  await store.close();
}

describe('a run bound to its workflow', () => {
  it('made by the workflow: run.add refuses a state it does not declare', () => {
    const run = wf.newRun('r', {});
    expect(() => run.add({ n: 1 }, 'fetchh' as 'fetch')).toThrow(new RunError('Run "r": cannot add a job in state "fetchh": workflow "bound" has the states fetch, done, failed'));
    expect(run.jobs.size).toBe(0);
  });

  it('loaded for the workflow: run.add and redrive refuse unknown states, and the file is unchanged', async () => {
    const path = join(tempDir(), 'run.jsonl');
    await storedRun(path, 10);
    const before = readFileSync(path, 'utf8');
    const store = new JsonlStore<object, JC>(path);
    const run = await store.load(wf);
    if (!run) throw new Error('nothing loaded');

    expect(() => run.add({ n: 1 }, 'nope' as 'fetch')).toThrow(RunError);
    expect(() => redrive(run, { from: 'failed', to: 'fecth' })).toThrow('Run "nightly": cannot redrive to state "fecth": workflow "bound" has the states fetch, done, failed');
    expect(() => redrive(run, { from: 'faild', to: 'fetch' })).toThrow('Run "nightly": cannot redrive from state "faild": workflow "bound" has the states fetch, done, failed');
    await store.close();
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  it('loaded for a workflow that lacks a stored state: load reports every such job and changes nothing', async () => {
    const path = join(tempDir(), 'run.jsonl');
    await storedRun(path, 10);
    const before = readFileSync(path, 'utf8');
    const renamed = workflow<object, object, JC>('renamed')
      .state('fetch')
      .to('done')
      .exec(({ jc }) => ({ state: 'done', jc }))
      .terminal('done')
      .build();
    const store = new JsonlStore<object, JC>(path);
    const error = await store.load(renamed).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownStatesError);
    expect((error as UnknownStatesError).jobs).toEqual([
      { id: '3', state: 'failed' },
    ]);
    await store.close();
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  it('loaded without a workflow: the processor binds it, refusing an unknown state added before exec, and writes nothing', async () => {
    const path = join(tempDir(), 'run.jsonl');
    await storedRun(path, 10);
    const before = readFileSync(path, 'utf8');
    const store = new JsonlStore<object, JC>(path);
    const run = await store.load();
    if (!run) throw new Error('nothing loaded');
    run.add({ n: 99 }, 'no-such-state', { id: 'typo' }); // not checkable yet: the run knows no workflow

    const error = await new Processor(wf, {}, { store }).exec(run).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownStatesError);
    expect((error as UnknownStatesError).jobs).toEqual([{ id: 'typo', state: 'no-such-state' }]);
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(logDataBytes(`${path}.log`)).toBe(0);
  });

  it('while executing: run.add in an unknown state throws to the caller, and the run completes', async () => {
    let run = wf.newRun('live', {});
    let refused: unknown;
    const adding = workflow<object, object, JC>('bound')
      .state('fetch')
      .to('done', 'failed')
      .exec(({ jc }) => {
        if (jc.n === 0) {
          try {
            run.add({ n: 5 }, 'no-such-state' as 'fetch');
          } catch (error) {
            refused = error;
          }
          run.add({ n: 6 }, 'fetch');
        }
        return { state: 'done', jc };
      })
      .terminal('done', 'failed')
      .build();
    run = adding.newRun('live', {}).add({ n: 0 }, 'fetch');
    const store = new MemoryStore<object, JC>();

    const result = await new Processor(adding, {}, { store }).exec(run);

    expect(refused).toBeInstanceOf(RunError);
    expect(result).toEqual({ outcome: 'complete', transitions: 2, failed: 0 });
    expect([...run.jobs.values()].map((j) => [j.id, j.state])).toEqual([
      ['0', 'done'],
      ['1', 'done'],
    ]);
    const reloaded = await store.load(adding);
    expect(reloaded && [...reloaded.jobs.values()].map((j) => j.state)).toEqual(['done', 'done']);
  });
});

describe('every change is a record', () => {
  it('starting exec on a loaded run appends only what changed: the snapshot is not rewritten', async () => {
    const path = join(tempDir(), 'run.jsonl');
    await storedRun(path, 2_000);
    const snapshotBefore = { stat: statSync(path), text: readFileSync(path, 'utf8') };
    const store = new JsonlStore<object, JC>(path);
    const run = await store.load(wf);
    if (!run) throw new Error('nothing loaded');
    for (let n = 0; n < 3; n++) run.add({ n }, 'fetch', { id: `more-${n}` });
    redrive(run, { from: 'failed', to: 'fetch' });

    let atFirstExec: { snapshot: ReturnType<typeof statSync>; text: string; log: string } | undefined;
    const watching = workflow<object, object, JC>('bound')
      .state('fetch')
      .to('done', 'failed')
      .exec(({ jc }) => {
        atFirstExec ??= { snapshot: statSync(path), text: readFileSync(path, 'utf8'), log: logText(`${path}.log`) };
        return { state: 'done', jc };
      })
      .terminal('done', 'failed')
      .build();
    await new Processor(watching, {}, { store }).exec(run);

    if (!atFirstExec) throw new Error('no exec ran');
    // The same file, byte for byte, but for its log line, flipped in place to say a log is in use.
    expect(atFirstExec.snapshot?.ino).toBe(snapshotBefore.stat.ino);
    expect(atFirstExec.text).toBe(snapshotBefore.text.replace('{"log":"closed"}', '{"log":"active"}'));
    const lines = atFirstExec.log
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type?: string; id?: string; job?: { id: string }; batch?: unknown })
      .filter((line) => line.batch === undefined); // the line that closes each batch
    const moved = [...run.jobs.values()].filter((j) => j.history.some((h) => h.note === 'redrive from failed')).length;
    expect(moved).toBeGreaterThan(0);
    expect(lines.map((l) => l.type)).toEqual([...Array<string>(3).fill('add'), ...Array<string>(moved).fill('move')]);
    expect(lines.slice(0, 3).map((l) => l.job?.id)).toEqual(['more-0', 'more-1', 'more-2']);
    await store.close();
  });
});
