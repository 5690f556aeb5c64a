// Schedules: jobs added at each tick of an interval or a cron expression, with limits, overlap
// rules and catch-up after downtime, on a fake clock and an in-memory run.
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../src/testing/index.js';
import { schedule, scheduleKey, ScheduleError, type Schedule, type ScheduleOptions, type ScheduleTick } from '../src/schedule/schedule.js';
import { MAX_CATCH_UP, nextTickAfter, planTicks } from '../src/schedule/tick-plan.js';
import { Scheduler, type ScheduleTarget } from '../src/schedule/scheduler.js';
import type { ScheduleHistory } from '../src/schedule/tick-plan.js';

interface Added {
  readonly key: string;
  readonly jc: unknown;
  readonly state: string;
  readonly priority: number | undefined;
  settled: boolean;
}

/** A run as the scheduler sees it: jobs by key, in the order added. Async when asked (as PostgreSQL is). */
class MemoryTarget implements ScheduleTarget<unknown> {
  readonly jobs = new Map<string, Added>();
  /** History reads under way, and the most at once, per schedule. */
  readonly reading = new Map<string, number>();
  readonly mostReading = new Map<string, number>();

  constructor(private readonly delay?: { clock: FakeClock; ms: number }) {}

  history(name: string): ScheduleHistory | Promise<ScheduleHistory> {
    const read = (): ScheduleHistory => {
      const mine = [...this.jobs.values()].filter((job) => job.key.startsWith(`schedule:${name}:`)).sort((a, b) => (a.key < b.key ? -1 : 1));
      const last = mine.at(-1);
      return last === undefined ? { count: 0 } : { count: mine.length, last: { at: Number(last.key.split(':')[2]), settled: last.settled } };
    };
    if (this.delay === undefined) return read();
    const { clock, ms } = this.delay;
    this.reading.set(name, (this.reading.get(name) ?? 0) + 1);
    this.mostReading.set(name, Math.max(this.mostReading.get(name) ?? 0, this.reading.get(name) ?? 0));
    return new Promise((resolve) =>
      clock.setTimeout(() => {
        this.reading.set(name, (this.reading.get(name) ?? 1) - 1);
        resolve(read());
      }, ms),
    );
  }

  add(jc: unknown, state: string, key: string, priority: number | undefined): boolean | Promise<boolean> {
    const fresh = !this.jobs.has(key);
    if (fresh) this.jobs.set(key, { key, jc, state, priority, settled: false });
    return this.delay === undefined ? fresh : Promise.resolve(fresh);
  }

  keys(): string[] {
    return [...this.jobs.keys()];
  }

  /** The tick times of the jobs added, in the order added. */
  ticks(): number[] {
    return this.keys().map((key) => Number(key.split(':')[2]));
  }

  settleAll(): void {
    for (const job of this.jobs.values()) job.settled = true;
  }
}

type JC = { at: number; n: number };
const tickJc = (tick: ScheduleTick): JC => ({ at: tick.at, n: tick.n });

function poll(options: Partial<ScheduleOptions<JC>> = {}): Schedule<JC> {
  return schedule<JC, string>({ name: 'poll', everyMs: 1000, state: 'fetch', jc: tickJc, ...options });
}

/** Starts a scheduler (a "process") on the target and waits for its first plan. */
async function startScheduler(schedules: readonly Schedule<unknown>[], target: ScheduleTarget<unknown>, clock: FakeClock) {
  const errors: unknown[] = [];
  let changes = 0;
  const scheduler = new Scheduler(schedules, target, clock, (e) => errors.push(e));
  scheduler.onChange(() => changes++);
  scheduler.start();
  await scheduler.idle();
  return { scheduler, errors, changes: () => changes };
}

describe('everyMs', () => {
  it('ticks at whole multiples of everyMs since the epoch, not since the start', async () => {
    const clock = new FakeClock(12_345);
    const target = new MemoryTarget();
    const { scheduler } = await startScheduler([poll()], target, clock);
    expect(target.keys()).toEqual([]); // 12_345 is no tick: nothing is due yet
    await clock.advance(3_155); // to 15_500
    expect(target.keys()).toEqual(['schedule:poll:000000000013000', 'schedule:poll:000000000014000', 'schedule:poll:000000000015000']);
    expect([...target.jobs.values()].map((j) => [j.jc, j.state])).toEqual([
      [{ at: 13_000, n: 1 }, 'fetch'],
      [{ at: 14_000, n: 2 }, 'fetch'],
      [{ at: 15_000, n: 3 }, 'fetch'],
    ]);
    expect(clock.nextAt).toBe(16_000);
    scheduler.stop();
    expect(clock.pending).toBe(0);
  });

  it('adds a job for a tick at exactly the start', async () => {
    const clock = new FakeClock(10_000);
    const target = new MemoryTarget();
    const { scheduler } = await startScheduler([poll()], target, clock);
    expect(target.keys()).toEqual([scheduleKey('poll', 10_000)]);
    expect(target.jobs.get(scheduleKey('poll', 10_000))?.jc).toEqual({ at: 10_000, n: 1 });
    scheduler.stop();
  });

  it('gives each job its own copy of a fixed jc, and the priority', async () => {
    const clock = new FakeClock(0);
    const target = new MemoryTarget();
    const fixed = { url: 'https://example.com/feed' };
    const { scheduler } = await startScheduler([schedule({ name: 'feed', everyMs: 500, state: 'fetch', jc: fixed, priority: 5 })], target, clock);
    await clock.advance(500);
    const jobs = [...target.jobs.values()];
    expect(jobs.map((j) => [j.key, j.jc, j.priority])).toEqual([
      ['schedule:feed:000000000000000', fixed, 5],
      ['schedule:feed:000000000000500', fixed, 5],
    ]);
    expect(jobs[0]?.jc).not.toBe(fixed);
    expect(jobs[0]?.jc).not.toBe(jobs[1]?.jc);
    scheduler.stop();
  });
});

describe('cron', () => {
  const may1 = Date.UTC(2024, 4, 1, 12, 0, 0);

  it('reads a seconds field', async () => {
    const clock = new FakeClock(may1 + 3_000);
    const target = new MemoryTarget();
    const { scheduler } = await startScheduler([schedule({ name: 'tens', cron: '*/10 * * * * *', state: 'fetch', jc: tickJc })], target, clock);
    await clock.advance(27_000); // to 12:00:30
    expect(target.ticks().map((t) => new Date(t).toISOString())).toEqual(['2024-05-01T12:00:10.000Z', '2024-05-01T12:00:20.000Z', '2024-05-01T12:00:30.000Z']);
    expect(target.jobs.get(scheduleKey('tens', may1 + 20_000))?.jc).toEqual({ at: may1 + 20_000, n: 2 });
    scheduler.stop();
  });

  it('reads the expression in UTC unless given a timezone', async () => {
    const clock = new FakeClock(may1);
    const utc = new MemoryTarget();
    const stockholm = new MemoryTarget();
    const a = await startScheduler([schedule({ name: 'nine', cron: '0 9 * * *', state: 'report', jc: tickJc })], utc, clock);
    const b = await startScheduler([schedule({ name: 'nine', cron: '0 9 * * *', timezone: 'Europe/Stockholm', state: 'report', jc: tickJc })], stockholm, clock);
    await clock.advance(2 * 24 * 3600_000);
    expect(utc.ticks().map((t) => new Date(t).toISOString())).toEqual(['2024-05-02T09:00:00.000Z', '2024-05-03T09:00:00.000Z']);
    expect(stockholm.ticks().map((t) => new Date(t).toISOString())).toEqual(['2024-05-02T07:00:00.000Z', '2024-05-03T07:00:00.000Z']); // CEST is UTC+2
    a.scheduler.stop();
    b.scheduler.stop();
  });

  it('finishes when the expression has no tick left', async () => {
    const clock = new FakeClock(may1);
    const target = new MemoryTarget();
    const { scheduler, changes } = await startScheduler([schedule({ name: 'y2020', cron: '0 0 0 1 1 * 2020', state: 'a', jc: {} })], target, clock);
    expect(scheduler.active).toBe(false);
    expect(changes()).toBe(1);
    expect(clock.pending).toBe(0);
    expect(target.keys()).toEqual([]);
  });
});

describe('limit', () => {
  it('holds across a restart: counted from the jobs the run holds', async () => {
    const clock = new FakeClock(0);
    const target = new MemoryTarget();
    const first = await startScheduler([poll({ limit: 3 })], target, clock);
    await clock.advance(1_000);
    expect(target.ticks()).toEqual([0, 1_000]);
    first.scheduler.stop();
    expect(first.scheduler.active).toBe(false);

    await clock.advance(500);
    const second = await startScheduler([poll({ limit: 3 })], target, clock);
    expect(second.scheduler.active).toBe(true);
    await clock.advance(5_000);
    expect(target.ticks()).toEqual([0, 1_000, 2_000]);
    expect(target.jobs.get(scheduleKey('poll', 2_000))?.jc).toEqual({ at: 2_000, n: 3 });
    expect(second.scheduler.active).toBe(false);
    expect(second.changes()).toBe(1); // the job added, with active turning false in the same plan
    expect(clock.pending).toBe(0);

    const third = await startScheduler([poll({ limit: 3 })], target, clock);
    expect(third.scheduler.active).toBe(false);
    expect(target.keys()).toHaveLength(3);
  });

  it('bounds a catch-up', async () => {
    const clock = new FakeClock(0);
    const target = new MemoryTarget();
    (await startScheduler([poll({ limit: 4 })], target, clock)).scheduler.stop();
    await clock.advance(10_500);
    const { scheduler } = await startScheduler([poll({ limit: 4, catchUp: 'all' })], target, clock);
    expect(target.ticks()).toEqual([0, 1_000, 2_000, 3_000]);
    expect(scheduler.active).toBe(false);
  });
});

describe('overlap', () => {
  it("'allow' adds a job at each tick, settled or not", async () => {
    const clock = new FakeClock(0);
    const target = new MemoryTarget();
    const { scheduler } = await startScheduler([poll({ overlap: 'allow' })], target, clock);
    await clock.advance(2_000);
    expect(target.ticks()).toEqual([0, 1_000, 2_000]);
    scheduler.stop();
  });

  it("'skip' adds nothing while the latest job has not settled, and does not defer the tick", async () => {
    const clock = new FakeClock(0);
    const target = new MemoryTarget();
    const { scheduler } = await startScheduler([poll({ overlap: 'skip' })], target, clock);
    await clock.advance(2_000);
    expect(target.ticks()).toEqual([0]); // 1000 and 2000 skipped: job 0 is still running
    await clock.advance(500);
    target.settleAll();
    await clock.advance(400); // to 2_900: nothing is added when the job settles
    expect(target.ticks()).toEqual([0]);
    await clock.advance(100);
    expect(target.ticks()).toEqual([0, 3_000]);
    expect(target.jobs.get(scheduleKey('poll', 3_000))?.jc).toEqual({ at: 3_000, n: 2 });
    scheduler.stop();
  });

  it("'skip' catches up nothing while the latest job has not settled", async () => {
    const clock = new FakeClock(0);
    const target = new MemoryTarget();
    (await startScheduler([poll({ overlap: 'skip' })], target, clock)).scheduler.stop();
    await clock.advance(5_500);
    const { scheduler } = await startScheduler([poll({ overlap: 'skip', catchUp: 'all' })], target, clock);
    expect(target.ticks()).toEqual([0]);
    scheduler.stop();
  });
});

describe('catchUp, after downtime', () => {
  /** One job at 10_000, then no process until 15_500 (ticks 11_000 … 15_000 missed), then a restart. */
  async function afterDowntime(catchUp: 'none' | 'one' | 'all' | undefined, downUntil = 15_500) {
    const clock = new FakeClock(10_000);
    const target = new MemoryTarget();
    const before = await startScheduler([poll()], target, clock);
    expect(target.ticks()).toEqual([10_000]);
    before.scheduler.stop();
    await clock.advance(downUntil - 10_000);
    expect(target.ticks()).toEqual([10_000]); // nobody ran the schedule
    const after = await startScheduler([poll(catchUp === undefined ? {} : { catchUp })], target, clock);
    return { clock, target, after };
  }

  it("'none' skips the missed ticks and goes on from the next", async () => {
    const { clock, target, after } = await afterDowntime('none');
    expect(target.ticks()).toEqual([10_000]);
    await clock.advance(500);
    expect(target.ticks()).toEqual([10_000, 16_000]);
    expect(target.jobs.get(scheduleKey('poll', 16_000))?.jc).toEqual({ at: 16_000, n: 2 });
    after.scheduler.stop();
  });

  it("'one' (the default) adds one job, for the latest missed tick", async () => {
    const { clock, target, after } = await afterDowntime(undefined);
    expect(target.ticks()).toEqual([10_000, 15_000]);
    expect(target.jobs.get(scheduleKey('poll', 15_000))?.jc).toEqual({ at: 15_000, n: 2 });
    await clock.advance(500);
    expect(target.ticks()).toEqual([10_000, 15_000, 16_000]);
    after.scheduler.stop();
  });

  it("'all' adds one job per missed tick, oldest first", async () => {
    const { target, after } = await afterDowntime('all');
    expect(target.ticks()).toEqual([10_000, 11_000, 12_000, 13_000, 14_000, 15_000]);
    expect([...target.jobs.values()].map((j) => (j.jc as JC).n)).toEqual([1, 2, 3, 4, 5, 6]);
    after.scheduler.stop();
  });

  it("'all' adds at most the latest 1000 missed ticks", async () => {
    const { target, after } = await afterDowntime('all', 10_000 + 5_000_000 + 500);
    expect(target.keys()).toHaveLength(1 + MAX_CATCH_UP);
    expect(target.ticks().slice(1, 3)).toEqual([4_011_000, 4_012_000]);
    expect(target.ticks().at(-1)).toBe(5_010_000);
    after.scheduler.stop();
  });

  it('adds a tick at exactly the restart, even with none', async () => {
    const { target, after } = await afterDowntime('none', 15_000);
    expect(target.ticks()).toEqual([10_000, 15_000]);
    after.scheduler.stop();
  });

  it('adds nothing twice when the restart is before the next tick', async () => {
    const { target, after } = await afterDowntime('all', 10_600);
    expect(target.ticks()).toEqual([10_000]);
    after.scheduler.stop();
  });
});

describe('several processes on one run', () => {
  it('add one job per tick between them, numbered from the run', async () => {
    const clock = new FakeClock(0);
    const target = new MemoryTarget();
    let calls = 0;
    const counted = () => poll({ jc: (tick: ScheduleTick) => (calls++, tickJc(tick)) });
    const a = await startScheduler([counted()], target, clock);
    const b = await startScheduler([counted()], target, clock);
    await clock.advance(3_000);
    expect(target.ticks()).toEqual([0, 1_000, 2_000, 3_000]);
    expect([...target.jobs.values()].map((j) => (j.jc as JC).n)).toEqual([1, 2, 3, 4]);
    expect(calls).toBe(4); // the second process reads the run first and finds each tick taken
    a.scheduler.stop();
    b.scheduler.stop();
  });
});

describe('an async target (history read from PostgreSQL)', () => {
  it('adds the same jobs, and never runs two plans of one schedule at once', async () => {
    const clock = new FakeClock(0);
    const target = new MemoryTarget({ clock, ms: 1_500 }); // each read outlasts a tick
    const scheduler = new Scheduler([poll({ limit: 3 })], target, clock, (e) => {
      throw e;
    });
    scheduler.start();
    await clock.advance(1_499);
    expect(target.keys()).toEqual([]);
    await clock.advance(1); // the first read returns at 1_500: the tick at 1_500 is no tick, nothing was due at the start
    expect(target.keys()).toEqual([]);
    await clock.advance(10_000);
    // The plan started by the timer at 2_000 ends at 3_500, adding 2_000 and 3_000 (both due by then);
    // the next, from 4_000, adds 4_000 and reaches the limit.
    expect(target.ticks()).toEqual([2_000, 3_000, 4_000]);
    expect([...target.jobs.values()].map((j) => (j.jc as JC).n)).toEqual([1, 2, 3]);
    expect(target.mostReading.get('poll')).toBe(1);
    await scheduler.idle();
    expect(scheduler.active).toBe(false);
  });
});

describe('errors', () => {
  it('a jc function that throws stops the schedule with an error naming it and the tick', async () => {
    const clock = new FakeClock(Date.UTC(2024, 4, 1));
    const target = new MemoryTarget();
    const bad = schedule({
      name: 'token',
      everyMs: 60_000,
      state: 'fetch',
      jc: (tick: ScheduleTick) => {
        if (tick.n === 2) throw new Error('no token');
        return { n: tick.n };
      },
    });
    const { scheduler, errors, changes } = await startScheduler([bad, poll()], target, clock);
    await clock.advance(60_000);
    expect(errors).toHaveLength(1);
    const error = errors[0] as ScheduleError;
    expect(error).toBeInstanceOf(ScheduleError);
    expect(error.name).toBe('ScheduleError');
    expect(error.message).toBe('schedule "token": the jc function threw for the tick at 2024-05-01T00:01:00.000Z (job 2): no token');
    expect(error.schedule).toBe('token');
    expect(error.at).toBe(Date.UTC(2024, 4, 1, 0, 1));
    expect((error.cause as Error).message).toBe('no token');
    await clock.advance(120_000);
    expect(target.keys().filter((k) => k.startsWith('schedule:token:'))).toEqual([scheduleKey('token', Date.UTC(2024, 4, 1))]);
    expect(scheduler.active).toBe(true); // poll goes on; the engine stops the run on the error
    expect(changes()).toBeGreaterThan(0);
    scheduler.stop();
  });

  it.each<[string, (tick: ScheduleTick) => unknown, string]>([
    ['a Date', () => ({ when: new Date(0) }), 'schedule "bad": the jc function returned, for the tick at 1970-01-01T00:00:00.000Z (job 1), a job context JSON cannot store: jc.when is a Date, which JSON turns into a string: store plain objects, arrays, strings, numbers, booleans and null'],
    ['undefined', () => undefined, 'schedule "bad": the jc function returned, for the tick at 1970-01-01T00:00:00.000Z (job 1), a job context JSON cannot store: jc is undefined, which JSON drops'],
    ['a Promise', async () => ({}), 'schedule "bad": the jc function returned a Promise for the tick at 1970-01-01T00:00:00.000Z (job 1): it must return the job context itself (it is called synchronously)'],
  ])('a jc function that returns %s is reported, and adds nothing', async (_, jc, message) => {
    const clock = new FakeClock(0);
    const target = new MemoryTarget();
    const { scheduler, errors } = await startScheduler([schedule({ name: 'bad', everyMs: 1000, state: 'a', jc })], target, clock);
    expect(errors.map((e) => (e as Error).message)).toEqual([message]);
    expect(target.keys()).toEqual([]);
    expect(scheduler.active).toBe(false);
    expect(clock.pending).toBe(0);
  });

  it('a target that fails is reported, naming the schedule', async () => {
    const clock = new FakeClock(0);
    const target: ScheduleTarget<unknown> = {
      history: () => Promise.reject(new Error('connection refused')),
      add: () => true,
    };
    const { errors } = await startScheduler([poll()], target, clock);
    expect(errors.map((e) => (e as Error).message)).toEqual(['schedule "poll": could not read the run\'s jobs of the schedule: connection refused']);
  });

  it('the scheduler takes only schedules made by schedule(), with different names', () => {
    const clock = new FakeClock(0);
    const target = new MemoryTarget();
    expect(() => new Scheduler([poll(), poll()], target, clock, () => {})).toThrow(
      new TypeError('schedules: two schedules are named "poll": names must differ, since they make the keys of the jobs'),
    );
    const lookAlike = { name: 'poll', options: { name: 'poll', everyMs: 1000, state: 'a', jc: {} } } as Schedule<unknown>;
    expect(() => new Scheduler([lookAlike], target, clock, () => {})).toThrow(/^schedules\[0\] must be made by schedule\(\{ … \}\), got an object \{ name: "poll"/);
  });
});

describe('schedule() checks its options', () => {
  const base = { name: 'poll', state: 'fetch', jc: {} };
  it.each<[string, unknown, string]>([
    ['no options', undefined, "schedule: options must be an object such as { name: 'poll', everyMs: 60_000, state: 'fetch', jc: { url } }, got undefined"],
    ['an empty name', { ...base, name: '', everyMs: 1 }, `schedule: name must be a non-empty string without ':', got ""`],
    ['a name with a colon', { ...base, name: 'a:b', everyMs: 1 }, `schedule: name must be a non-empty string without ':', got "a:b"`],
    ['an unknown key', { ...base, everyMS: 1000 }, 'schedule "poll": unknown option "everyMS" (did you mean "everyMs"?)'],
    ['neither everyMs nor cron', base, 'schedule "poll": give everyMs (ticks every so many milliseconds) or cron (a cron expression), got neither'],
    ['both everyMs and cron', { ...base, everyMs: 1000, cron: '* * * * *' }, 'schedule "poll": give everyMs or cron, not both, got everyMs 1000 and cron "* * * * *"'],
    ['a negative everyMs', { ...base, everyMs: -5 }, 'schedule "poll": everyMs must be a whole number of milliseconds from 1 up, got -5'],
    ['a fractional everyMs', { ...base, everyMs: 1.5 }, 'schedule "poll": everyMs must be a whole number of milliseconds from 1 up, got 1.5'],
    ['a timezone with everyMs', { ...base, everyMs: 1000, timezone: 'UTC' }, 'schedule "poll": timezone is for cron only (everyMs ticks at multiples of 1000 ms since the epoch, in every zone), got timezone "UTC"'],
    ['a cron that is not a string', { ...base, cron: 5 }, "schedule \"poll\": cron must be a cron expression, a string such as '*/5 * * * *', got 5"],
    ['an invalid cron expression', { ...base, cron: '61 * * * *' }, 'schedule "poll": cron must be a valid cron expression, got "61 * * * *" (croner: CronPattern: Invalid value for minute: 61)'],
    ['an unknown time zone', { ...base, cron: '* * * * *', timezone: 'Mars/Base' }, `schedule "poll": timezone must be an IANA time zone name such as 'Europe/Stockholm', got "Mars/Base"`],
    ['no state', { ...base, state: undefined, everyMs: 1 }, "schedule \"poll\": state must be a non-empty string (one of the workflow's states), got undefined"],
    ['a jc JSON cannot store', { ...base, everyMs: 1, jc: { when: new Map() } }, 'schedule "poll": jc must be a job context JSON can store, or a function of the tick that returns one: jc.when is a Map, which JSON does not store as it is: store plain objects, arrays, strings, numbers, booleans and null'],
    ['a priority that is not finite', { ...base, everyMs: 1, priority: Infinity }, 'schedule "poll": priority must be a finite number, got Infinity'],
    ['a limit of 0', { ...base, everyMs: 1, limit: 0 }, 'schedule "poll": limit must be a whole number from 1 up, got 0'],
    ['an unknown overlap', { ...base, everyMs: 1, overlap: 'queue' }, `schedule "poll": overlap must be 'allow' or 'skip', got "queue"`],
    ['an unknown catchUp', { ...base, everyMs: 1, catchUp: 'latest' }, `schedule "poll": catchUp must be 'none', 'one' or 'all', got "latest"`],
  ])('%s', (_, options, message) => {
    expect(() => schedule(options as ScheduleOptions<unknown>)).toThrow(new TypeError(message));
  });

  it('returns a frozen schedule', () => {
    const options = { name: 'poll', everyMs: 1000, state: 'fetch', jc: {} };
    const made = schedule(options);
    expect(made.name).toBe('poll');
    expect(made.options).toEqual(options);
    expect(made.options).not.toBe(options);
    expect(Object.isFrozen(made) && Object.isFrozen(made.options)).toBe(true);
  });
});

describe('the planner', () => {
  it('finds the next tick strictly after a time', () => {
    expect(nextTickAfter(poll(), 2_500)).toBe(3_000);
    expect(nextTickAfter(poll(), 3_000)).toBe(4_000);
    const daily = schedule({ name: 'd', cron: '@daily', state: 'a', jc: {} });
    expect(nextTickAfter(daily, Date.UTC(2024, 4, 1))).toBe(Date.UTC(2024, 4, 2));
  });

  it('adds every tick a late timer finds due, in order', () => {
    const plan = planTicks(poll(), { now: 3_500, started: false, history: { count: 1, last: { at: 1_000, settled: false } }, lastPlannedAt: 1_000 });
    expect(plan).toEqual({ add: [2_000, 3_000], nextAt: 4_000 });
  });

  it("with 'skip', adds only the first of several due ticks", () => {
    const plan = planTicks(poll({ overlap: 'skip' }), { now: 3_500, started: false, history: { count: 1, last: { at: 1_000, settled: true } }, lastPlannedAt: 1_000 });
    expect(plan).toEqual({ add: [2_000], nextAt: 4_000 });
  });

  it('plans no tick at or before the latest in the history (another process added it)', () => {
    const plan = planTicks(poll(), { now: 3_000, started: false, history: { count: 3, last: { at: 3_000, settled: false } }, lastPlannedAt: 2_000 });
    expect(plan).toEqual({ add: [], nextAt: 4_000 });
  });

  it('says the schedule is finished when the limit is reached', () => {
    expect(planTicks(poll({ limit: 2 }), { now: 2_000, started: false, history: { count: 1, last: { at: 1_000, settled: true } }, lastPlannedAt: 1_000 })).toEqual({ add: [2_000], nextAt: undefined });
    expect(planTicks(poll({ limit: 2 }), { now: 9_000, started: true, history: { count: 2, last: { at: 1_000, settled: true } } })).toEqual({ add: [], nextAt: undefined });
  });

  it('catches up a cron schedule without walking every missed tick', () => {
    const everySecond = schedule({ name: 's', cron: '* * * * * *', state: 'a', jc: {}, catchUp: 'all' });
    const year = 365 * 24 * 3600_000;
    const plan = planTicks(everySecond, { now: year + 500, started: true, history: { count: 1, last: { at: 0, settled: true } } });
    expect(plan.add).toHaveLength(MAX_CATCH_UP);
    expect(plan.add[0]).toBe(year - 999_000);
    expect(plan.add.at(-1)).toBe(year);
    expect(plan.nextAt).toBe(year + 1_000);
  });
});
