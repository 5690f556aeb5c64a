// Delays: a transition, a kick or run.add with `delayMs` makes the job wait in its state, holding no
// slot, at least that long; the due time is stored, so a restart honours it.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JsonlStore, Processor, redrive, workflow, type StateStatus } from '../src/index.js';
import { FakeClock, runWithFakeClock } from '../src/testing/index.js';

type JC = { n: number; log?: string[] };

const T0 = Date.UTC(2026, 11, 1, 12);

function poller(ran: { id: string; at: number }[], clock: FakeClock) {
  return workflow<object, object, JC>('poller')
    .state('start')
    .to('check')
    .spawns('check')
    .exec(({ jc }) => ({ state: 'check', jc, delayMs: 60_000, kicks: [{ state: 'check', jc: { n: 100 }, delayMs: 5_000 }] }))
    .state('check', { concurrency: 1 })
    .to('done')
    .exec(({ jc, job }) => {
      ran.push({ id: job.id, at: clock.now() - T0 });
      return { state: 'done', jc };
    })
    .terminal('done')
    .build();
}

describe('delays', () => {
  it('a delayed transition and a delayed kick wait their time, and the job stores its due time', async () => {
    const clock = new FakeClock(T0);
    const ran: { id: string; at: number }[] = [];
    const wf = poller(ran, clock);
    const run = wf.newRun('r', {}).add({ n: 0 }, 'start');
    const statuses: StateStatus[][] = [];
    const execution = new Processor(wf, {}, { clock, status: (s) => statuses.push([...s]) }).exec(run);
    await clock.advance(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(run.jobs.get('0')).toMatchObject({ state: 'check', dueAt: T0 + 60_000 });
    expect(run.jobs.get('0->0')).toMatchObject({ state: 'check', dueAt: T0 + 5_000 });
    expect(statuses.at(-1)?.find((s) => s.state === 'check')).toMatchObject({ waiting: 2, delayed: 2, executing: 0 });
    await clock.advance(4_999);
    expect(ran).toEqual([]);
    await clock.advance(1);
    await clock.runAll();
    expect((await execution).outcome).toBe('complete');
    // The kicked child after 5 s; the parent after 60 s, though concurrency is 1: waiting held no slot.
    expect(ran).toEqual([
      { id: '0->0', at: 5_000 },
      { id: '0', at: 60_000 },
    ]);
  });

  it('run.add with delayMs during an exec counts from the processor clock', async () => {
    const clock = new FakeClock(T0);
    const ran: { id: string; at: number }[] = [];
    const wf = poller(ran, clock);
    const run = wf.newRun('r', {});
    const execution = new Processor(wf, {}, { clock }).exec(run.add({ n: 1 }, 'check', { id: 'first' }));
    run.add({ n: 2 }, 'check', { id: 'later', delayMs: 2_000 });
    await clock.runAll();
    await execution;
    expect(ran).toEqual([
      { id: 'first', at: 0 },
      { id: 'later', at: 2_000 },
    ]);
  });

  it('a delay of 0 is no delay; a negative or infinite delay fails the job with a message naming it', async () => {
    const wf = workflow<object, object, JC>('bad')
      .state('start')
      .to('done')
      .exec(({ jc }) => ({ state: 'done', jc, delayMs: jc.n === 2 ? Infinity : jc.n }))
      .terminal('done')
      .build();
    const run = wf.newRun('r', {}).add({ n: 0 }, 'start').add({ n: -1 }, 'start').add({ n: 2 }, 'start');
    const { result } = await runWithFakeClock(wf, {}, run);
    expect(result).toMatchObject({ outcome: 'complete', failed: 2 });
    expect(run.jobs.get('0')?.state).toBe('done');
    expect(run.jobs.get('1')?.errors['start']).toEqual(['exec of state "start" returned delayMs -1: a delay must be a number of milliseconds >= 0']);
    expect(run.jobs.get('2')?.errors['start']).toEqual(['exec of state "start" returned delayMs Infinity: a delay must be a number of milliseconds >= 0']);
    expect(() => run.add({ n: 3 }, 'start', { delayMs: -5 })).toThrow('Run "r": delayMs must be a number of milliseconds >= 0, got -5');
  });
});

describe('delays and redrives', () => {
  it('a redrive moves a delayed job without its delay: the wait was for the state it left', async () => {
    const clock = new FakeClock(T0);
    const ran: { id: string; at: number }[] = [];
    const wf = poller(ran, clock);
    const run = wf.newRun('r', {}).add({ n: 0 }, 'start');
    const controller = new AbortController();
    const execution = new Processor(wf, {}, { clock }).exec(run, { signal: controller.signal });
    await clock.advance(0);
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    await execution;
    expect(run.jobs.get('0')?.dueAt).toBe(T0 + 60_000);
    expect(redrive(run, { from: 'check', to: 'start' })).toEqual(['0', '0->0']);
    expect(run.jobs.get('0')?.dueAt).toBeUndefined();
  });
});

describe('delays across a restart', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  async function stopWhileDelayed(file: string): Promise<void> {
    const clock = new FakeClock(T0);
    const wf = poller([], clock);
    const store = new JsonlStore<object, JC>(file);
    const run = wf.newRun('r', {}).add({ n: 0 }, 'start');
    const controller = new AbortController();
    const execution = new Processor(wf, {}, { clock, store }).exec(run, { signal: controller.signal });
    while (run.jobs.get('0')?.state !== 'check') await new Promise((resolve) => setTimeout(resolve, 2));
    controller.abort();
    expect((await execution).outcome).toBe('aborted');
    // Before close (which may compact): the due times come back from the log's records too.
    const reader = new JsonlStore<object, JC>(file, { readOnly: true });
    const replayed = await reader.load(wf);
    expect([replayed?.jobs.get('0')?.dueAt, replayed?.jobs.get('0->0')?.dueAt]).toEqual([T0 + 60_000, T0 + 5_000]);
    await reader.close();
    await store.close();
  }

  it('honours the stored due time after a restart, and runs at once what fell due while stopped', async () => {
    dir = await mkdtemp(join(tmpdir(), 'jorb-delays-'));
    const file = join(dir, 'run.jsonl');
    await stopWhileDelayed(file);
    expect(await readFile(file, 'utf8')).toContain(`"dueAt":${T0 + 60_000}`);

    // Restarted 30 s later: the kicked child (due at 5 s) runs at once, the parent at 60 s.
    const clock = new FakeClock(T0 + 30_000);
    const ran: { id: string; at: number }[] = [];
    const wf = poller(ran, clock);
    const store = new JsonlStore<object, JC>(file);
    const loaded = await store.load(wf);
    if (!loaded) throw new Error('nothing stored');
    expect(loaded.jobs.get('0')?.dueAt).toBe(T0 + 60_000);
    const { result } = await runWithFakeClock(wf, {}, loaded, { clock, store });
    await store.close();
    expect(result.outcome).toBe('complete');
    expect(ran).toEqual([
      { id: '0->0', at: 30_000 },
      { id: '0', at: 60_000 },
    ]);
  });
});
