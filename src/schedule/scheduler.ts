import type { Clock } from '../model/clock.js';
import { copyJson, jsonProblem } from '../model/json-value.js';
import { renderValue } from '../model/render-value.js';
import { isSchedule, ScheduleError, scheduleKey, type Schedule, type ScheduleTick } from './schedule.js';
import { planTicks, type ScheduleHistory } from './tick-plan.js';

/**
 * Where a {@link Scheduler} reads a schedule's history and adds its jobs: the run being executed,
 * as the engine (or a test) presents it.
 *
 * @example
 * ```ts
 * const jobs = new Map<string, { at: number; settled: boolean }>();
 * const target: ScheduleTarget<unknown> = {
 *   history: (name) => {
 *     const mine = [...jobs].filter(([key]) => key.startsWith(`schedule:${name}:`)).sort(([a], [b]) => (a < b ? -1 : 1));
 *     const last = mine.at(-1)?.[1];
 *     return last === undefined ? { count: 0 } : { count: mine.length, last };
 *   },
 *   add: (_jc, _state, key) => !jobs.has(key) && Boolean(jobs.set(key, { at: Number(key.split(':')[2]), settled: false })),
 * };
 * ```
 */
export interface ScheduleTarget<JC> {
  /**
   * What the run already holds of this schedule: the jobs whose key starts with
   * `schedule:<name>:`, how many, and the latest by key (keys sort by tick time). Read before
   * each plan, so it is the truth across restarts and processes. May be async (PostgreSQL).
   */
  history(name: string): ScheduleHistory | Promise<ScheduleHistory>;
  /**
   * Adds one job; resolves to false (adding nothing) when the run already has a job with that
   * key: another process or an earlier exec added it.
   */
  add(jc: JC, state: string, key: string, priority: number | undefined): boolean | Promise<boolean>;
}

/** One schedule's place in the scheduler. */
interface Entry {
  readonly schedule: Schedule<unknown>;
  /** waiting: between plans (or not yet started); planning: a plan runs; finished: no job left to add; failed: stopped by an error. */
  status: 'waiting' | 'planning' | 'finished' | 'failed';
  /** Whether the exec's first plan (the catch-up) was made. */
  planned: boolean;
  lastPlannedAt: number | undefined;
  timer: unknown;
  hasTimer: boolean;
  running: Promise<void> | undefined;
}

/**
 * Runs the schedules of one exec: plans each as it starts (catching up missed ticks), then at each
 * of its ticks on a timer of the given clock, re-reading the run's history of the schedule before
 * every plan and adding one job per due tick (key {@link scheduleKey}`(name, tick)`). One plan of a
 * schedule runs at a time. A problem (a `jc` function that throws or returns what JSON cannot
 * store, a target that fails) goes to `onError` as a {@link ScheduleError}, and that schedule adds
 * nothing more; the engine stops the run with it.
 *
 * @example
 * ```ts
 * const scheduler = new Scheduler([poll], target, clock, (e) => stopRun(e));
 * scheduler.onChange(() => { if (!scheduler.active) maybeComplete(); else wakeUp(); });
 * scheduler.start();
 * // … when the exec ends:
 * scheduler.stop();
 * await scheduler.idle();
 * ```
 */
export class Scheduler {
  readonly #entries: Entry[];
  readonly #target: ScheduleTarget<unknown>;
  readonly #clock: Clock;
  readonly #onError: (e: unknown) => void;
  readonly #listeners: (() => void)[] = [];
  #started = false;
  #stopped = false;

  /**
   * Throws a TypeError for a value not made by `schedule()`, or for two schedules of one name
   * (their jobs would share keys).
   */
  constructor(schedules: readonly Schedule<unknown>[], target: ScheduleTarget<unknown>, clock: Clock, onError: (e: unknown) => void) {
    const given: unknown = schedules;
    if (!Array.isArray(given)) throw new TypeError(`schedules must be an array of schedule({ … }), got ${renderValue(schedules)}`);
    const names = new Set<string>();
    schedules.forEach((s: unknown, i) => {
      if (!isSchedule(s)) throw new TypeError(`schedules[${i}] must be made by schedule({ … }), got ${renderValue(s)}`);
      if (names.has(s.name)) throw new TypeError(`schedules: two schedules are named ${JSON.stringify(s.name)}: names must differ, since they make the keys of the jobs`);
      names.add(s.name);
    });
    this.#entries = schedules.map((schedule) => ({ schedule, status: 'waiting', planned: false, lastPlannedAt: undefined, timer: undefined, hasTimer: false, running: undefined }));
    this.#target = target;
    this.#clock = clock;
    this.#onError = onError;
  }

  /** Makes each schedule's first plan (adding the ticks due or missed now) and sets its timer. A second call does nothing, and so does a call after `stop`. */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    for (const entry of this.#entries) this.#plan(entry);
  }

  /**
   * Cancels every timer: no plan starts after this, and a plan under way adds no further job
   * (an `add` already called may still complete: `idle()` waits for it). `active` is false from
   * now on; no `onChange` listener is called for that.
   */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const entry of this.#entries) this.#clearTimer(entry);
  }

  /**
   * True while some schedule may still add jobs: before start, and afterwards while one has no
   * limit or has not reached it (and its cron expression has ticks left, and no error stopped it).
   * False after `stop`, and from the start when there are no schedules.
   */
  get active(): boolean {
    return !this.#stopped && this.#entries.some((e) => e.status === 'waiting' || e.status === 'planning');
  }

  /**
   * Calls `fn` after each plan that added one or more jobs, and when `active` turns false (a
   * limit reached, a schedule stopped by an error), once per plan. A listener that throws is
   * reported to `onError`.
   */
  onChange(fn: () => void): void {
    this.#listeners.push(fn);
  }

  /** Resolves when no plan is under way (for instance after `stop`, before closing the store). */
  async idle(): Promise<void> {
    for (;;) {
      const running = this.#entries.map((e) => e.running).filter((r) => r !== undefined);
      if (running.length === 0) return;
      await Promise.all(running);
    }
  }

  #plan(entry: Entry): void {
    if (this.#stopped || entry.running !== undefined || entry.status !== 'waiting') return;
    entry.status = 'planning';
    const wasActive = this.active;
    const running = this.#planOnce(entry).then(
      (added) => this.#settle(entry, wasActive, added),
      (e: unknown) => {
        entry.status = 'failed';
        this.#report(e);
        this.#settle(entry, wasActive, 0);
      },
    );
    entry.running = running;
    void running.finally(() => {
      if (entry.running === running) entry.running = undefined;
    });
  }

  /** One plan of one schedule; resolves to the number of jobs it added. */
  async #planOnce(entry: Entry): Promise<number> {
    const { schedule } = entry;
    const { name } = schedule;
    let history: ScheduleHistory;
    try {
      history = await this.#target.history(name);
    } catch (e) {
      throw new ScheduleError(name, `schedule ${JSON.stringify(name)}: could not read the run's jobs of the schedule: ${message(e)}`, { cause: e });
    }
    if (this.#stopped) return 0;
    const now = this.#clock.now();
    const plan = planTicks(schedule, { now, started: !entry.planned, history, ...(entry.lastPlannedAt === undefined ? {} : { lastPlannedAt: entry.lastPlannedAt }) });
    entry.planned = true;
    entry.lastPlannedAt = now;
    let added = 0;
    for (const [i, at] of plan.add.entries()) {
      if (this.#stopped) return added;
      const tick: ScheduleTick = Object.freeze({ name, at, n: history.count + i + 1 });
      const jc = jobContext(schedule, tick);
      let fresh: boolean;
      try {
        fresh = await this.#target.add(jc, schedule.options.state, scheduleKey(name, at), schedule.options.priority);
      } catch (e) {
        throw new ScheduleError(name, `schedule ${JSON.stringify(name)}: could not add the job of the tick at ${iso(at)} (job ${tick.n}): ${message(e)}`, { at, cause: e });
      }
      if (fresh) added++;
    }
    if (this.#stopped) return added;
    if (plan.nextAt === undefined) {
      entry.status = 'finished';
    } else {
      entry.status = 'waiting';
      const nextAt = plan.nextAt;
      entry.hasTimer = true;
      entry.timer = this.#clock.setTimeout(() => {
        entry.hasTimer = false;
        this.#plan(entry);
      }, nextAt - this.#clock.now());
    }
    return added;
  }

  /** After a plan: tells the listeners when it added jobs or `active` turned false. */
  #settle(entry: Entry, wasActive: boolean, added: number): void {
    if (entry.status === 'planning') entry.status = 'waiting'; // stopped mid-plan
    if (this.#stopped) return;
    if (added === 0 && !(wasActive && !this.active)) return;
    for (const fn of this.#listeners) {
      try {
        fn();
      } catch (e) {
        this.#report(e);
      }
    }
  }

  #clearTimer(entry: Entry): void {
    if (!entry.hasTimer) return;
    this.#clock.clearTimeout(entry.timer);
    entry.hasTimer = false;
    entry.timer = undefined;
  }

  #report(e: unknown): void {
    try {
      this.#onError(e);
    } catch {
      // onError must not throw; if it does, there is nobody left to tell.
    }
  }
}

/** The job context of a tick: a copy of the static one, or what the `jc` function returns, checked. */
function jobContext(schedule: Schedule<unknown>, tick: ScheduleTick): unknown {
  const { jc } = schedule.options;
  if (typeof jc !== 'function') return copyJson(jc);
  const what = `the tick at ${iso(tick.at)} (job ${tick.n})`;
  const owner = `schedule ${JSON.stringify(schedule.name)}`;
  let value: unknown;
  try {
    value = (jc as (tick: ScheduleTick) => unknown)(tick);
  } catch (e) {
    throw new ScheduleError(schedule.name, `${owner}: the jc function threw for ${what}: ${message(e)}`, { at: tick.at, cause: e });
  }
  if (typeof (value as { then?: unknown } | null)?.then === 'function') {
    throw new ScheduleError(schedule.name, `${owner}: the jc function returned a Promise for ${what}: it must return the job context itself (it is called synchronously)`, { at: tick.at });
  }
  const problem = jsonProblem(value, 'jc');
  if (problem !== undefined) throw new ScheduleError(schedule.name, `${owner}: the jc function returned, for ${what}, a job context JSON cannot store: ${problem}`, { at: tick.at });
  return value;
}

function iso(at: number): string {
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? String(at) : date.toISOString();
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : renderValue(e);
}
