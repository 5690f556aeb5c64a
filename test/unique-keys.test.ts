// Keys unique among jobs not yet settled (`keyScope: 'unsettled'`): the same key runs again once the
// previous job with it finished, never twice at once.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JsonlStore, Processor, RunError, workflow } from '../src/index.js';
import { FakeClock } from '../src/testing/index.js';

type JC = { account: number; round?: number };

function sync(clock: FakeClock) {
  return workflow<object, object, JC>('sync')
    .state('tick')
    .to('tick', 'stop')
    .spawns('sync')
    .exec(({ jc }) => {
      const round = (jc.round ?? 0) + 1;
      const kick = { state: 'sync' as const, jc: { account: jc.account, round }, key: `sync:${jc.account}`, keyScope: 'unsettled' as const };
      return { state: round < 4 ? 'tick' : 'stop', jc: { ...jc, round }, delayMs: 1_000, kicks: [kick] };
    })
    .state('sync')
    .to('synced')
    .exec(async ({ jc }) => {
      await new Promise<void>((resolve) => clock.setTimeout(resolve, 1_500)); // longer than a tick
      return { state: 'synced', jc };
    })
    .terminal('synced', 'stop')
    .build();
}

describe("keyScope: 'unsettled'", () => {
  it('drops a kick while a job with its key runs, and makes a new job once that one settled', async () => {
    const clock = new FakeClock();
    const wf = sync(clock);
    const run = wf.newRun('r', {}).add({ account: 7 }, 'tick');
    const execution = new Processor(wf, {}, { clock }).exec(run);
    await clock.runAll();
    expect((await execution).outcome).toBe('complete');
    // Ticks at 0, 1, 2 and 3 s kick sync:7; each sync takes 1.5 s, so the kicks at 1 s and 3 s
    // find the previous one still running and are dropped.
    const syncs = [...run.jobs.values()].filter((j) => j.key === 'sync:7');
    expect(syncs.map((j) => [j.id, j.jc.round, j.state, j.keyScope])).toEqual([
      ['0->0', 1, 'synced', 'unsettled'],
      ['0->1', 3, 'synced', 'unsettled'],
    ]);
  });

  it('run.add refuses a key an unsettled job holds, and accepts it again once that job settled', async () => {
    const clock = new FakeClock();
    const wf = workflow<object, object, JC>('adds')
      .state('sync')
      .to('synced')
      .exec(({ jc }) => ({ state: 'synced', jc }))
      .terminal('synced')
      .build();
    const run = wf.newRun('r', {}).add({ account: 1 }, 'sync', { key: 'a', keyScope: 'unsettled' });
    expect(() => run.add({ account: 2 }, 'sync', { key: 'a', keyScope: 'unsettled' })).toThrow(new RunError('Run "r": the key "a" was already used by another job'));
    await new Processor(wf, {}, { clock }).exec(run);
    run.add({ account: 3 }, 'sync', { key: 'a', keyScope: 'unsettled' });
    // A key held for the run's life stays taken.
    run.add({ account: 4 }, 'sync', { key: 'b' });
    await new Processor(wf, {}, { clock }).exec(run);
    expect(() => run.add({ account: 5 }, 'sync', { key: 'b', keyScope: 'unsettled' })).toThrow(RunError);
    expect([...run.jobs.values()].map((j) => [j.id, j.key])).toEqual([
      ['0', 'a'],
      ['1', 'a'],
      ['2', 'b'],
    ]);
  });

  describe('across a restart', () => {
    let dir: string | undefined;
    afterEach(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
      dir = undefined;
    });

    it('a loaded run frees the keys of its settled jobs and holds those of its unsettled ones', async () => {
      dir = await mkdtemp(join(tmpdir(), 'jorb-keys-'));
      const file = join(dir, 'run.jsonl');
      const wf = workflow<object, object, JC>('keys')
        .state('sync')
        .to('synced')
        .exec(({ jc }) => ({ state: 'synced', jc }))
        .terminal('synced')
        .build();
      const store = new JsonlStore<object, JC>(file);
      const run = wf.newRun('r', {}).add({ account: 1 }, 'sync', { key: 'done-one', keyScope: 'unsettled' });
      await new Processor(wf, {}, { store }).exec(run);
      run.add({ account: 2 }, 'sync', { key: 'waiting-one', keyScope: 'unsettled' });
      await store.close();

      const again = new JsonlStore<object, JC>(file);
      const loaded = await again.load(wf);
      if (!loaded) throw new Error('nothing stored');
      expect(loaded.jobs.get('1')).toMatchObject({ key: 'waiting-one', keyScope: 'unsettled', state: 'sync' });
      loaded.add({ account: 3 }, 'sync', { key: 'done-one', keyScope: 'unsettled' });
      expect(() => loaded.add({ account: 4 }, 'sync', { key: 'waiting-one', keyScope: 'unsettled' })).toThrow(/already used/);
      await again.close();
    });
  });
});
