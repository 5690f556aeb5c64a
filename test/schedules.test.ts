// Schedules through the processor: a job per tick, a limit, overlap and catch-up, on the fake clock,
// and across a restart of a JSONL run.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JsonlStore, Processor, RunError, schedule, workflow, type Run } from '../src/index.js';
import { FakeClock, runWithFakeClock } from '../src/testing/index.js';

type JC = { tick: number; n: number };

/** A poll that takes `workMs` of fake time per job. */
function poller(clock: FakeClock, workMs: number) {
  return workflow<object, object, JC>('poller')
    .state('poll')
    .to('done')
    .exec(async ({ jc, signal }) => {
      // Stops when the exec is stopped (a shutdown): the job stays where it is, unsettled.
      await new Promise<void>((resolve, reject) => {
        const timer = clock.setTimeout(resolve, workMs);
        signal.addEventListener('abort', () => (clock.clearTimeout(timer), reject(new Error('stopped'))), { once: true });
      });
      return { state: 'done', jc };
    })
    .terminal('done')
    .build();
}

const ticks = (run: Run<object, JC>) => [...run.jobs.values()].map((j) => [j.key, j.jc.tick, j.jc.n, j.state]);

describe('schedules', () => {
  it('adds one job per interval tick, at epoch multiples, until its limit, then the exec completes', async () => {
    const clock = new FakeClock(10_500);
    const wf = poller(clock, 100);
    const run = wf.newRun('r', {});
    const every = schedule({ name: 'poll', everyMs: 5_000, state: 'poll', jc: (t) => ({ tick: t.at, n: t.n }), limit: 3 });
    const { result, elapsedMs } = await runWithFakeClock(wf, {}, run, { clock, schedules: [every] });
    expect(result.outcome).toBe('complete');
    expect(elapsedMs).toBe(14_600); // ticks at 15 s, 20 s, 25 s; the last job takes 0.1 s
    expect(ticks(run)).toEqual([
      ['schedule:poll:000000000015000', 15_000, 1, 'done'],
      ['schedule:poll:000000000020000', 20_000, 2, 'done'],
      ['schedule:poll:000000000025000', 25_000, 3, 'done'],
    ]);
  });

  it('a cron schedule ticks at its matches (seconds field)', async () => {
    const clock = new FakeClock(Date.UTC(2026, 11, 1, 12, 0, 1));
    const wf = poller(clock, 10);
    const run = wf.newRun('r', {});
    const cron = schedule({ name: 'c', cron: '*/20 * * * * *', state: 'poll', jc: (t) => ({ tick: t.at, n: t.n }), limit: 3 });
    await runWithFakeClock(wf, {}, run, { clock, schedules: [cron] });
    expect(ticks(run).map(([, at]) => new Date(at as number).toISOString())).toEqual(['2026-12-01T12:00:20.000Z', '2026-12-01T12:00:40.000Z', '2026-12-01T12:01:00.000Z']);
  });

  it("overlap 'skip' adds nothing while the previous job runs; 'allow' adds every tick", async () => {
    for (const overlap of ['skip', 'allow'] as const) {
      const clock = new FakeClock(0);
      const wf = poller(clock, 2_500); // longer than the 1 s between ticks
      const run = wf.newRun('r', {});
      const every = schedule({ name: 'p', everyMs: 1_000, state: 'poll', jc: (t) => ({ tick: t.at, n: t.n }), limit: 3, overlap });
      const controller = new AbortController();
      const execution = new Processor(wf, {}, { clock }).exec(run, { schedules: [every], signal: controller.signal });
      await clock.advance(8_000);
      controller.abort();
      await clock.runAll();
      await execution;
      const at = ticks(run).map(([, t]) => t);
      // A tick exactly at the start is due: 0 s, then every second.
      expect(at).toEqual(overlap === 'skip' ? [0, 3_000, 6_000] : [0, 1_000, 2_000]);
    }
  });

  it('a jc function that throws stops the run with a ScheduleError naming the schedule', async () => {
    const clock = new FakeClock(0);
    const wf = poller(clock, 1);
    const bad = schedule<JC, 'poll'>({
      name: 'bad',
      everyMs: 1_000,
      state: 'poll',
      jc: () => {
        throw new Error('no config');
      },
      limit: 1,
    });
    await expect(runWithFakeClock(wf, {}, wf.newRun('r', {}), { clock, schedules: [bad] })).rejects.toThrow(/schedule "bad".*no config/);
  });

  it('refuses a schedule into a terminal state: its jobs would be done before they ran', async () => {
    const clock = new FakeClock(0);
    const wf = poller(clock, 1);
    const done = schedule({ name: 'd', everyMs: 1_000, state: 'done', jc: { tick: 0, n: 0 } });
    await expect(new Processor(wf, {}, { clock }).exec(wf.newRun('r', {}), { schedules: [done] })).rejects.toThrow(
      new RunError('Schedule "d" adds jobs in state "done", a terminal state of workflow "poller": they would be done before they ran'),
    );
  });

  it('refuses a schedule into a state the workflow does not declare, before anything runs', async () => {
    const clock = new FakeClock(0);
    const wf = poller(clock, 1);
    const stray = schedule({ name: 's', everyMs: 1_000, state: 'nowhere', jc: { tick: 0, n: 0 } });
    // @ts-expect-error 'nowhere' is not a state of the workflow
    await expect(new Processor(wf, {}, { clock }).exec(wf.newRun('r', {}), { schedules: [stray] })).rejects.toThrow(
      new RunError('Schedule "s" adds jobs in state "nowhere", which workflow "poller" does not declare'),
    );
  });
});

describe('schedules across a restart', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  type Options = { catchUp?: 'none' | 'one' | 'all'; limit?: number; overlap?: 'allow' | 'skip'; cron?: string; workMs?: number };

  /** Runs the schedule from `start` for `forMs` of fake time, then stops the exec (a shutdown). */
  async function runFor(file: string, start: number, forMs: number, options: Options): Promise<Run<object, JC>> {
    const { cron, workMs = 10, ...rest } = options;
    const clock = new FakeClock(start);
    const wf = poller(clock, workMs);
    const store = new JsonlStore<object, JC>(file);
    const run = (await store.load(wf)) ?? wf.newRun('r', {});
    const timing = cron === undefined ? { everyMs: 1_000 } : { cron };
    const every = schedule({ name: 'p', ...timing, state: 'poll', jc: (t) => ({ tick: t.at, n: t.n }), ...rest });
    const controller = new AbortController();
    const execution = new Processor(wf, {}, { clock, store }).exec(run, { schedules: [every], signal: controller.signal });
    // The exec starts once the store has written the run (real I/O): then the schedule's timer is set.
    while (clock.pending === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    // In steps, letting the store's real writes finish between them: what a job did by then is in the run.
    for (let t = 0; t < forMs; t += 100) {
      await clock.advance(Math.min(100, forMs - t));
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    controller.abort();
    await clock.runAll();
    await execution;
    await store.close();
    return run;
  }

  for (const [catchUp, expected] of [
    ['none', [0, 1_000, 2_000, 11_000, 12_000, 13_000]],
    ['one', [0, 1_000, 2_000, 10_000, 11_000, 12_000, 13_000]],
    ['all', [0, 1_000, 2_000, 3_000, 4_000, 5_000, 6_000, 7_000, 8_000, 9_000, 10_000, 11_000, 12_000, 13_000]],
  ] as const) {
    it(`catchUp '${catchUp}': the ticks missed while stopped`, async () => {
      dir = await mkdtemp(join(tmpdir(), 'jorb-schedules-'));
      const file = join(dir, 'run.jsonl');
      await runFor(file, 0, 2_500, { catchUp });
      // Down from 2.5 s to 10.5 s: ticks 3 s … 10 s were missed.
      const run = await runFor(file, 10_500, 3_000, { catchUp });
      expect(ticks(run).map(([, t]) => t)).toEqual(expected);
      expect(new Set(ticks(run).map(([key]) => key)).size).toBe(expected.length); // one job per tick
    });
  }

  it("overlap 'skip' across a restart: the job stopped mid-run is unsettled, so the ticks until it finishes add nothing", async () => {
    dir = await mkdtemp(join(tmpdir(), 'jorb-schedules-'));
    const file = join(dir, 'run.jsonl');
    // Each job takes 2.5 s: the one of tick 0 is still running when the exec stops at 0.5 s.
    await runFor(file, 0, 500, { overlap: 'skip', workMs: 2_500 });
    // Back at 10.5 s: the missed tick (10 s) is skipped, the job of tick 0 runs again and ends at
    // 13 s, the tick at 13 s still finds it running (its transition is being stored), and the one
    // at 14 s adds the next.
    const run = await runFor(file, 10_500, 4_000, { overlap: 'skip', workMs: 2_500 });
    expect(ticks(run).map(([, t, , state]) => [t, state])).toEqual([
      [0, 'done'],
      [14_000, 'poll'],
    ]);
  });

  it('a cron schedule across a restart: the ticks continue from the run, one job each', async () => {
    dir = await mkdtemp(join(tmpdir(), 'jorb-schedules-'));
    const file = join(dir, 'run.jsonl');
    const start = Date.UTC(2026, 11, 1, 12, 0, 0);
    await runFor(file, start + 1, 4_500, { cron: '*/2 * * * * *', catchUp: 'none' });
    const run = await runFor(file, start + 9_000, 2_500, { cron: '*/2 * * * * *', catchUp: 'none' });
    expect(ticks(run).map(([, t]) => ((t as number) - start) / 1000)).toEqual([2, 4, 10]);
  });

  it('the limit counts the jobs the run already has: a restart adds only the rest', async () => {
    dir = await mkdtemp(join(tmpdir(), 'jorb-schedules-'));
    const file = join(dir, 'run.jsonl');
    await runFor(file, 0, 1_500, { limit: 3 });
    // Back at 5.5 s: the default catch-up adds the latest missed tick (5 s), the third and last job.
    const run = await runFor(file, 5_500, 10_000, { limit: 3 });
    expect(ticks(run).map(([, t, n]) => [t, n])).toEqual([
      [0, 1],
      [1_000, 2],
      [5_000, 3],
    ]);
  });
});
