// A store that fails to write stops the run, surfaces the error, and keeps what was acknowledged.
import { describe, expect, it } from 'vitest';
import { MemoryStore, Processor, type Run, type Store, type StoreRecord, workflow } from '../src/index.js';
import { countStates } from './support/count-states.js';

type JC = { n: number };

/** A real MemoryStore whose appends start failing after `okAppends` successful ones (a disk filling up). */
class FillingStore implements Store<object, JC> {
  readonly inner = new MemoryStore<object, JC>();
  appends = 0;
  constructor(private readonly okAppends: number) {}
  load() {
    return this.inner.load();
  }
  checkpoint(run: Run<object, JC>) {
    return this.inner.checkpoint(run);
  }
  close() {
    return this.inner.close();
  }
  async append(records: readonly StoreRecord<JC>[]) {
    if (this.appends++ >= this.okAppends) throw new Error('ENOSPC: no space left on device, write');
    await this.inner.append(records);
  }
}

describe('a store write error', () => {
  it('rejects exec() with the error, starts no new work, and loses nothing acknowledged', async () => {
    let started = 0;
    const wf = workflow<object, object, JC>('fill')
      .state('a', { concurrency: 2 })
      .to('b')
      .exec(async ({ jc }) => (started++, await Promise.resolve(), { state: 'b', jc: { n: jc.n + 1 } }))
      .state('b', { concurrency: 2 })
      .to('done')
      .exec(async ({ jc }) => (started++, await Promise.resolve(), { state: 'done', jc: { n: jc.n + 1 } }))
      .terminal('done')
      .build();
    const run = wf.newRun('r', {});
    for (let n = 0; n < 50; n++) run.add({ n: 0 }, 'a');
    const store = new FillingStore(3);

    await expect(new Processor(wf, {}, { store }).exec(run)).rejects.toThrow('ENOSPC: no space left on device, write');

    expect(started).toBeLessThan(100); // it stopped early
    const onDisk = await store.inner.load();
    if (!onDisk) throw new Error('nothing stored');
    expect(onDisk.jobs.size).toBe(50);
    // Everything the store acknowledged is in the live run too, and the live run moved no job the
    // store did not acknowledge.
    expect(countStates(run)).toEqual(countStates(onDisk));
    for (const job of onDisk.jobs.values()) expect(run.jobs.get(job.id)).toEqual(job);
    expect(countStates(onDisk)['a']).toBeLessThan(50);
  });
});

describe('jobs added while a run executes', () => {
  it('are stored and run too', async () => {
    let added = false;
    const wf = workflow<object, object, JC>('feed')
      .state('work', { concurrency: 2 })
      .to('done')
      .exec(async ({ jc }) => (await Promise.resolve(), { state: 'done', jc }))
      .terminal('done')
      .build();
    const run = wf.newRun('r', {}).add({ n: 0 }, 'work');
    const store = new MemoryStore<object, JC>();
    const result = await new Processor(wf, {}, {
      store,
      status: () => {
        if (added) return;
        added = true;
        run.add({ n: 1 }, 'work').add({ n: 2 }, 'work');
      },
    }).exec(run);
    expect(result.transitions).toBe(3);
    expect(countStates(run)).toEqual({ done: 3 });
    const loaded = await store.load();
    expect(loaded && countStates(loaded)).toEqual({ done: 3 });
  });
});
