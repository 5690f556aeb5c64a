// Pausing a state: it starts no attempt (those running finish) and its jobs wait until it is
// resumed; the rest of the run goes on. A JSONL run keeps its pauses beside it, so another process
// (jorb pause, the dashboard) can pause a running run, and a restart finds the state still paused.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JsonlStore, MemoryStore, Processor, workflow, type StateStatus } from '../src/index.js';
import { FakeClock } from '../src/testing/index.js';
import { jorb } from './support/run-jorb.js';

type JC = { n: number };

function pipeline(ran: string[], clock?: FakeClock) {
  return workflow<object, object, JC>('pipeline')
    .state('fetch', { concurrency: 2 })
    .to('parse')
    .exec(async ({ jc }) => {
      ran.push(`fetch ${jc.n}`);
      if (clock) await new Promise<void>((resolve) => clock.setTimeout(() => resolve(), 100));
      return { state: 'parse', jc };
    })
    .state('parse', { concurrency: 2 })
    .to('done')
    .exec(async ({ jc }) => {
      ran.push(`parse ${jc.n}`);
      if (clock) await new Promise<void>((resolve) => clock.setTimeout(() => resolve(), 100));
      return { state: 'done', jc };
    })
    .terminal('done')
    .build();
}

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const of = (statuses: readonly StateStatus[] | undefined, state: string) => statuses?.find((s) => s.state === state);

describe('pausing a state', () => {
  it('a paused state starts nothing while the states before it go on; resumed, the run completes', async () => {
    const clock = new FakeClock();
    const ran: string[] = [];
    const wf = pipeline(ran, clock);
    const run = wf.newRun('r', {});
    for (let n = 0; n < 4; n++) run.add({ n }, 'fetch');
    let last: readonly StateStatus[] | undefined;
    const processor = new Processor(wf, {}, { clock, status: (s) => (last = s) });
    await processor.pause('parse');
    const done = processor.exec(run);
    await clock.advance(1_000);
    expect(ran.filter((r) => r.startsWith('parse'))).toEqual([]);
    expect(of(last, 'parse')).toMatchObject({ paused: true, waiting: 4, executing: 0 });
    expect(of(last, 'fetch')).not.toHaveProperty('paused');
    expect(of(last, 'done')).toMatchObject({ completed: 0 });
    // The ledger says why nothing moves: the paused state, not a starved one.
    const parse = processor.ledger()?.states.find((s) => s.state === 'parse');
    expect(parse).toMatchObject({ paused: true, verdict: { kind: 'idle', reason: 'paused: 4 waiting until it is resumed' } });
    expect(processor.ledger()?.bottleneck).toEqual({ state: 'parse', kind: 'idle', reason: 'parse: paused: 4 waiting until it is resumed' });

    await processor.resume('parse');
    await clock.runAll();
    expect((await done).outcome).toBe('complete');
    expect(ran.filter((r) => r.startsWith('parse')).length).toBe(4);
    expect(of(last, 'parse')).not.toHaveProperty('paused');
  });

  it('pausing during an exec lets the running attempts finish and starts no more', async () => {
    const clock = new FakeClock();
    const ran: string[] = [];
    const wf = pipeline(ran, clock);
    const run = wf.newRun('r', {});
    for (let n = 0; n < 6; n++) run.add({ n }, 'fetch');
    const processor = new Processor(wf, {}, { clock });
    const done = processor.exec(run);
    await clock.advance(50); // fetch 0 and 1 are running
    await processor.pause('fetch');
    await clock.advance(1_000);
    expect(ran.filter((r) => r.startsWith('fetch'))).toEqual(['fetch 0', 'fetch 1']);
    expect([...run.jobs.values()].filter((j) => j.state === 'done').length).toBe(2);
    await processor.resume('fetch');
    await clock.runAll();
    expect((await done).outcome).toBe('complete');
  });

  it('refuses an unknown or terminal state, naming it', async () => {
    const processor = new Processor(pipeline([]), {}, { store: new MemoryStore() });
    await expect(processor.pause('fetchh' as never)).rejects.toThrow('processor.pause("fetchh"): workflow "pipeline" has no such state');
    await expect(processor.resume('done')).rejects.toThrow('processor.resume("done"): a terminal state runs nothing, so there is nothing to resume');
  });

  it('a JSONL run keeps its pauses in a file beside it: another process pauses it live, a restart keeps it paused, another resumes it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jorb-pause-'));
    dirs.push(dir);
    const file = join(dir, 'run.jsonl');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const ran: string[] = [];
    const wf = workflow<object, object, JC>('gated')
      .state('fetch', { concurrency: 1 })
      .to('parse')
      .exec(async ({ jc }) => {
        ran.push(`fetch ${jc.n}`);
        if (jc.n === 0) await gate;
        return { state: 'parse', jc };
      })
      .state('parse')
      .to('done')
      .exec(({ jc }) => {
        ran.push(`parse ${jc.n}`);
        return { state: 'done', jc };
      })
      .terminal('done')
      .build();

    const store = new JsonlStore<object, JC>(file, { fsync: false });
    const run = (await store.load(wf)) ?? wf.newRun('r', {});
    for (let n = 0; n < 3; n++) run.add({ n }, 'fetch');
    let last: readonly StateStatus[] | undefined;
    const controller = new AbortController();
    const done = new Processor(wf, {}, { store, status: (s) => (last = s) }).exec(run, { signal: controller.signal });
    await vi.waitFor(() => expect(ran).toEqual(['fetch 0']));
    // Another process (a read-only store, as jorb pause and jorb serve open it) pauses fetch.
    await new JsonlStore(file, { readOnly: true }).pausedStates().set('fetch', true);
    expect(JSON.parse(await readFile(`${file}.paused`, 'utf8'))).toEqual({ paused: ['fetch'] });
    await vi.waitFor(() => expect(of(last, 'fetch')).toMatchObject({ paused: true }), { timeout: 3_000 });
    release();
    await vi.waitFor(() => expect(ran).toEqual(['fetch 0', 'parse 0']));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(ran).toEqual(['fetch 0', 'parse 0']); // fetch 1 and 2 wait
    controller.abort(); // a person's Ctrl-C
    expect((await done).outcome).toBe('aborted');
    await store.close();

    // A restart: the state is still paused, so nothing runs until it is resumed from elsewhere.
    const again = new JsonlStore<object, JC>(file, { fsync: false });
    const loaded = await again.load(wf);
    const restarted = new Processor(wf, {}, { store: again, status: (s) => (last = s) }).exec(loaded as NonNullable<typeof loaded>);
    await vi.waitFor(() => expect(of(last, 'fetch')).toMatchObject({ paused: true, waiting: 2 }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(ran).toEqual(['fetch 0', 'parse 0']);
    await new JsonlStore(file, { readOnly: true }).pausedStates().set('fetch', false);
    expect((await restarted).outcome).toBe('complete');
    await again.close();
    expect(ran.slice(2).sort()).toEqual(['fetch 1', 'fetch 2', 'parse 1', 'parse 2']);
    await expect(readFile(`${file}.paused`, 'utf8')).rejects.toThrow('ENOENT'); // nothing paused: no file
  });

  it('jorb pause and jorb resume on a run file: one line each; a state no job has been in, or a terminal one, is refused (exit 2)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jorb-pause-cli-'));
    dirs.push(dir);
    const file = join(dir, 'run.jsonl');
    const wf = pipeline([]);
    const store = new JsonlStore<object, JC>(file, { fsync: false });
    await store.load(wf);
    await store.checkpoint(wf.newRun('r', {}).add({ n: 1 }, 'fetch'));
    await store.close();
    const paused = await jorb('pause', file, 'fetch');
    expect(paused).toMatchObject({ code: 0, stderr: '' });
    expect(paused.stdout).toMatch(/^paused state "fetch" of run "r" \(.*run\.jsonl\): a processor running it starts nothing there within a second, and a restart keeps it paused: jorb resume to go on\n$/);
    expect([...(await new JsonlStore(file, { readOnly: true }).pausedStates().read())]).toEqual(['fetch']);
    expect(await jorb('pause', file, 'parse')).toMatchObject({ code: 2, stdout: '', stderr: 'jorb: pause: "parse": no job of the run is in that state or has been; the states are fetch (give --workflow <module> to name a state no job has reached)\n' });
    expect(await jorb('resume', file, 'fetch')).toMatchObject({ code: 0, stderr: '' });
    expect([...(await new JsonlStore(file, { readOnly: true }).pausedStates().read())]).toEqual([]);
  }, 30_000);
});
