// The original jorb processor's test scenarios, ported to the public API. Time-dependent ones run
// on vitest's fake clock: "about 200 ms" is asserted as "not done at 199 ms, done at 200 ms".
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryStore, Processor, workflow } from '../src/index.js';
import { countStates } from './support/count-states.js';
import { sleep } from './support/sleep.js';
import { countsOf, statusRecorder } from './support/status-recorder.js';

type JC = { count: number; strings?: string[]; s?: string };
type OC = { name: string };

function jobsOf<T>(run: { jobs: ReadonlyMap<string, T> }): T[] {
  return [...run.jobs.values()];
}

describe('processor scenarios (ported from jorb)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('one job: 10 jobs of 200 ms at concurrency 10 finish together in about 200 ms', async () => {
    const wf = workflow<object, OC, JC>('one-job')
      .state('new', { concurrency: 10 })
      .to('done')
      .exec(async ({ jc }) => {
        await sleep(200);
        return { state: 'done', jc: { count: jc.count + 1 } };
      })
      .terminal('done')
      .build();
    const run = wf.newRun('job', { name: 'x' });
    for (let i = 0; i < 10; i++) run.add({ count: 0 }, 'new');

    let finished = false;
    const result = new Processor(wf, {}).exec(run).then((r) => ((finished = true), r));
    await vi.advanceTimersByTimeAsync(199);
    expect(finished).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await result).toEqual({ outcome: 'complete', transitions: 10, failed: 0 });
    expect(jobsOf(run).map((j) => [j.state, j.jc.count])).toEqual(Array(10).fill(['done', 1]));
  });

  it('the same 10 jobs at concurrency 1 take ten times as long', async () => {
    const wf = workflow<object, OC, JC>('serial')
      .state('new', { concurrency: 1 })
      .to('done')
      .exec(async ({ jc }) => (await sleep(200), { state: 'done', jc }))
      .terminal('done')
      .build();
    const run = wf.newRun('job', { name: 'x' });
    for (let i = 0; i < 10; i++) run.add({ count: 0 }, 'new');
    let finished = false;
    const result = new Processor(wf, {}).exec(run).then(() => (finished = true));
    await vi.advanceTimersByTimeAsync(1999);
    expect(finished).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await result;
    expect(finished).toBe(true);
  });

  it('all terminal at start: returns at once after exactly one status update', async () => {
    const wf = workflow<object, OC, JC>('all-terminal').state('new').to('done_two').exec(({ jc }) => ({ state: 'done_two', jc })).terminal('done_two', 'done').build();
    const run = wf.newRun('job', { name: 'x' });
    for (let i = 0; i < 10; i++) run.add({ count: 0 }, 'done');
    for (let i = 0; i < 5; i++) run.add({ count: 0 }, 'done_two');
    const { listener, updates } = statusRecorder();
    const result = await new Processor(wf, {}, { status: listener }).exec(run);
    expect(result).toEqual({ outcome: 'complete', transitions: 0, failed: 0 });
    expect(updates).toEqual([
      [
        { state: 'new', terminal: false, waiting: 0, delayed: 0, joining: 0, executing: 0, committing: 0, completed: 0, failed: 0 },
        { state: 'done_two', terminal: true, waiting: 0, delayed: 0, joining: 0, executing: 0, committing: 0, completed: 5, failed: 0 },
        { state: 'done', terminal: true, waiting: 0, delayed: 0, joining: 0, executing: 0, committing: 0, completed: 10, failed: 0 },
      ],
    ]);
  });

  it('two sequential states: each job passes both', async () => {
    const wf = workflow<object, OC, JC>('two-states')
      .state('new', { concurrency: 10 })
      .to('middle')
      .exec(({ jc }) => ({ state: 'middle', jc: { count: jc.count + 1 } }))
      .state('middle', { concurrency: 10 })
      .to('done')
      .exec(({ jc }) => ({ state: 'done', jc: { count: jc.count + 1 } }))
      .terminal('done')
      .build();
    const run = wf.newRun('job', { name: 'x' });
    for (let i = 0; i < 10; i++) run.add({ count: 0 }, 'new');
    await new Processor(wf, {}).exec(run);
    expect(jobsOf(run).map((j) => [j.state, j.jc.count])).toEqual(Array(10).fill(['done', 2]));
    expect(jobsOf(run)[0]?.history.map((h) => h.state)).toEqual(['new', 'middle', 'done']);
  });

  it('two terminal states: jobs end in whichever their exec chose', async () => {
    const wf = workflow<object, OC, JC>('two-terminal')
      .state('new', { concurrency: 10 })
      .to('done', 'done_two')
      .exec(async ({ jc, job }) => {
        await sleep(Number(job.id) * 7);
        return { state: Number(job.id) % 2 === 0 ? 'done' : 'done_two', jc: { count: jc.count + 1 } };
      })
      .terminal('done_two', 'done')
      .build();
    const run = wf.newRun('job', { name: 'x' });
    for (let i = 0; i < 40; i++) run.add({ count: 0 }, 'new');
    const result = new Processor(wf, {}).exec(run);
    await vi.runAllTimersAsync();
    await result;
    expect(countStates(run)).toEqual({ done: 20, done_two: 20 });
    expect(jobsOf(run).every((j) => j.jc.count === 1)).toBe(true);
  });

  it('status callback: counts per state in declared order as the run progresses', async () => {
    const wf = workflow<object, OC, JC>('status')
      .state('new', { concurrency: 10 })
      .to('done')
      .exec(async ({ jc, job }) => (await sleep(1000 + Number(job.id)), { state: 'done', jc }))
      .terminal('done')
      .build();
    const run = wf.newRun('job', { name: 'x' });
    for (let i = 0; i < 11; i++) run.add({ count: 0 }, 'new');
    const { listener, updates } = statusRecorder();
    const result = new Processor(wf, {}, { status: listener }).exec(run);
    await vi.advanceTimersByTimeAsync(0);
    expect(updates.map((u) => u.map((s) => s.state))).toEqual([['new', 'done']]);
    expect(countsOf(updates[0], 'new')).toEqual({ waiting: 1, executing: 10, completed: 0, failed: 0 });
    await vi.runAllTimersAsync();
    await result;
    const last = updates.at(-1);
    expect(countsOf(last, 'new')).toEqual({ waiting: 0, executing: 0, completed: 0, failed: 0 });
    expect(countsOf(last, 'done')).toEqual({ waiting: 0, executing: 0, completed: 11, failed: 0 });
    const done = updates.map((u) => countsOf(u, 'done').completed);
    expect(done).toEqual([...done].sort((a, b) => a - b)); // never goes backwards
    expect(updates.length).toBeGreaterThan(2);
  });

  it('fairness: a job that re-enqueues itself goes to the back of its state', async () => {
    let total = 0;
    const wf = workflow<object, OC, JC>('fairness')
      .state('new', { concurrency: 1 })
      .to('new', 'done')
      .exec(({ jc }) => {
        total++;
        if (total > 10) return { state: 'done', jc };
        return { state: 'new', jc: { count: jc.count + 1 } };
      })
      .terminal('done')
      .build();
    const run = wf.newRun('job', { name: 'x' });
    for (let i = 0; i < 5; i++) run.add({ count: 0 }, 'new');
    await new Processor(wf, {}).exec(run);
    expect(jobsOf(run).map((j) => j.jc.count)).toEqual([2, 2, 2, 2, 2]);
  });

  it('close: aborting a run that loops for ever resolves "aborted", and a later exec continues', async () => {
    const wf = workflow<object, OC, JC>('forever')
      .state('new', { concurrency: 1 })
      .to('new', 'done')
      .exec(async ({ jc, signal }) => {
        await sleep(50, signal);
        return { state: jc.count >= 5 ? 'done' : 'new', jc: { count: jc.count + 1 } };
      })
      .terminal('done')
      .build();
    const run = wf.newRun('job', { name: 'x' });
    run.add({ count: 0 }, 'new');
    const controller = new AbortController();
    const result = new Processor(wf, {}).exec(run, { signal: controller.signal });
    await vi.advanceTimersByTimeAsync(120);
    controller.abort();
    expect(await result).toEqual({ outcome: 'aborted', transitions: 2, failed: 0 });
    const job = jobsOf(run)[0];
    expect(job).toMatchObject({ state: 'new', jc: { count: 2 }, errors: {} });
    expect(job?.failed).toBeUndefined();

    const again = new Processor(wf, {}).exec(run);
    await vi.runAllTimersAsync();
    expect(await again).toEqual({ outcome: 'complete', transitions: 4, failed: 0 });
    expect(jobsOf(run)[0]).toMatchObject({ state: 'done', jc: { count: 6 } });
  });

  it('close: an exec that completes before the abort leaves the run complete', async () => {
    const wf = workflow<object, OC, JC>('completes')
      .state('new', { concurrency: 1 })
      .to('done')
      .exec(async ({ jc, signal }) => (await sleep(50, signal), { state: 'done', jc }))
      .terminal('done')
      .build();
    const run = wf.newRun('job', { name: 'x' }).add({ count: 0 }, 'new');
    const controller = new AbortController();
    const result = new Processor(wf, {}).exec(run, { signal: controller.signal });
    await vi.advanceTimersByTimeAsync(100);
    controller.abort();
    expect((await result).outcome).toBe('complete');
  });

  it('status dedup: a job looping in one state sends no repeated updates', async () => {
    const wf = workflow<object, OC, JC>('dedup')
      .state('new', { concurrency: 1 })
      .to('new', 'done')
      .exec(({ jc }) => (jc.count + 1 < 10 ? { state: 'new', jc: { count: jc.count + 1 } } : { state: 'done', jc: { count: jc.count + 1 } }))
      .terminal('done')
      .build();
    const run = wf.newRun('job', { name: 'x' }).add({ count: 0 }, 'new');
    const { listener, updates } = statusRecorder();
    await new Processor(wf, {}, { status: listener }).exec(run);
    expect(updates.map((u) => [countsOf(u, 'new').executing, countsOf(u, 'done').completed])).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(jobsOf(run)[0]?.jc.count).toBe(10);
  });

  it('retries by returning to the same state, recording each returned error', async () => {
    const wf = workflow<object, OC, JC>('retries')
      .state('new', { concurrency: 10 })
      .to('new', 'done')
      .exec(({ jc }) => {
        const count = jc.count + 1;
        if (count <= 3) return { state: 'new', jc: { count }, error: new Error(`attempt ${count} failed`) };
        return { state: 'done', jc: { count } };
      })
      .terminal('done')
      .build();
    const run = wf.newRun('job', { name: 'x' });
    for (let i = 0; i < 10; i++) run.add({ count: 0 }, 'new');
    const result = await new Processor(wf, {}).exec(run);
    expect(result).toEqual({ outcome: 'complete', transitions: 40, failed: 0 });
    for (const job of jobsOf(run)) {
      expect(job.state).toBe('done');
      expect(job.jc.count).toBe(4);
      expect(job.errors).toEqual({ new: ['attempt 1 failed', 'attempt 2 failed', 'attempt 3 failed'] });
    }
  });

  it('loop with exit: new → middle → new … until the count says done', async () => {
    const wf = workflow<object, OC, JC>('loop')
      .state('new', { concurrency: 10 })
      .to('middle')
      .exec(({ jc }) => ({ state: 'middle', jc: { count: jc.count + 1 } }))
      .state('middle', { concurrency: 10 })
      .to('new', 'done')
      .exec(({ jc }) => ({ state: jc.count + 1 > 9 ? 'done' : 'new', jc: { count: jc.count + 1 } }))
      .terminal('done')
      .build();
    const run = wf.newRun('job', { name: 'x' });
    for (let i = 0; i < 10; i++) run.add({ count: 0 }, 'new');
    await new Processor(wf, {}).exec(run);
    expect(jobsOf(run).map((j) => [j.state, j.jc.count])).toEqual(Array(10).fill(['done', 10]));
  });

  it('first step expands via kicks: each of 10 jobs kicks 10 children', async () => {
    const wf = workflow<object, OC, JC>('expand')
      .state('new', { concurrency: 10 })
      .to('done')
      .spawns('middle')
      .exec(({ jc }) => ({ state: 'done', jc, kicks: (jc.strings ?? []).map((s) => ({ state: 'middle', jc: { count: 0, s } })) }))
      .state('middle', { concurrency: 10 })
      .to('done_two')
      .exec(({ jc }) => ({ state: 'done_two', jc: { ...jc, count: jc.s?.length ?? 0 } }))
      .terminal('done', 'done_two')
      .build();
    const run = wf.newRun('job', { name: 'x' });
    for (let i = 0; i < 10; i++) run.add({ count: 0, strings: Array.from({ length: 10 }, (_, k) => `${i}-${k}`.padEnd(30, '.')) }, 'new');
    const result = await new Processor(wf, {}).exec(run);
    expect(result.transitions).toBe(110);
    expect(countStates(run)).toEqual({ done: 10, done_two: 100 });
    expect(jobsOf(run).filter((j) => j.state === 'done_two').every((j) => j.jc.count === 30)).toBe(true);
    expect(run.jobs.get('3->7')).toMatchObject({ parentId: '3', state: 'done_two', jc: { s: '3-7'.padEnd(30, '.') } });
  });

  it('round trip: a run executed against the memory store loads back equal', async () => {
    const wf = workflow<object, OC, JC>('serialization')
      .state('new', { concurrency: 10 })
      .to('new', 'done')
      .spawns('done')
      .exec(({ jc, job }) => {
        if (jc.count === 1) return { state: 'done', jc, error: 'errored again', kicks: [{ state: 'done', jc: { count: 99 } }] };
        return { state: 'new', jc: { count: jc.count + 1 }, error: `errored ${job.id}` };
      })
      .terminal('done')
      .build();
    const store = new MemoryStore<OC, JC>();
    expect(await store.load()).toBeUndefined();
    const run = wf.newRun('job', { name: 'serialised' });
    for (let i = 0; i < 10; i++) run.add({ count: 0 }, 'new');
    await new Processor(wf, {}, { store }).exec(run);
    for (const job of jobsOf(run).filter((j) => !j.parentId)) {
      expect(job.errors).toEqual({ new: [`errored ${job.id}`, 'errored again'] });
    }
    const loaded = await store.load();
    expect(loaded?.name).toBe('job');
    expect(loaded?.oc).toEqual({ name: 'serialised' });
    expect(loaded && jobsOf(loaded)).toEqual(jobsOf(run));
    expect(loaded?.jobs.size).toBe(20);
  });
});
