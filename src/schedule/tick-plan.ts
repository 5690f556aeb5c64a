import { Cron } from 'croner';
import type { Schedule } from './schedule.js';

/**
 * The most jobs one plan adds for the ticks that came due together: a catch-up of `'all'` after a
 * long downtime, or a timer that fired very late (a machine that slept). When more ticks are due,
 * only the latest this many are added; the older ones are skipped for good (the latest tick among
 * the run's jobs is then past them, so no restart brings them back).
 *
 * @example
 * ```ts
 * // every second, down for an hour, catchUp 'all': 1000 jobs, for the last 1000 seconds of the hour
 * MAX_CATCH_UP; // 1000
 * ```
 */
export const MAX_CATCH_UP = 1000;

/**
 * What a run holds of one schedule: how many jobs (keys `schedule:<name>:…`), and the latest
 * one's tick time and whether it has settled (reached a terminal state).
 *
 * @example
 * ```ts
 * const history: ScheduleHistory = { count: 2, last: { at: 1714564800000, settled: false } };
 * ```
 */
export interface ScheduleHistory {
  /** How many jobs the run holds of the schedule. */
  readonly count: number;
  /** The job of the latest tick, if any: its tick time, and whether it reached a terminal state. */
  readonly last?: { readonly at: number; readonly settled: boolean };
}

/**
 * What one plan of a schedule is made from.
 *
 * @example
 * ```ts
 * const input: PlanInput = { now: clock.now(), started: true, history: await target.history('poll') };
 * ```
 */
export interface PlanInput {
  /** The time of the plan, in epoch ms. */
  readonly now: number;
  /** True for the plan made as an exec starts (or restarts), when missed ticks are caught up; false for the plans a timer makes. */
  readonly started: boolean;
  /** What the run holds of the schedule, read just before the plan. */
  readonly history: ScheduleHistory;
  /** The `now` of this exec's previous plan of the schedule; ticks up to it were planned then. */
  readonly lastPlannedAt?: number;
}

/**
 * What a plan says: the ticks to add a job for now, and when to plan next.
 *
 * @example
 * ```ts
 * const plan: TickPlan = { add: [1714564800000], nextAt: 1714564860000 };
 * ```
 */
export interface TickPlan {
  /** The tick times to add a job for now, oldest first. */
  readonly add: readonly number[];
  /** When to plan again (the next tick), or undefined when the schedule is finished: its limit reached, or a cron expression with no tick left. */
  readonly nextAt: number | undefined;
}

/** Each cron schedule's parsed expression, made on first use. */
const crons = new WeakMap<Schedule<unknown>, Cron>();

function cronOf(schedule: Schedule<unknown>, expression: string): Cron {
  let cron = crons.get(schedule);
  if (cron === undefined) {
    cron = new Cron(expression, { paused: true, timezone: schedule.options.timezone ?? 'UTC' });
    crons.set(schedule, cron);
  }
  return cron;
}

/**
 * The schedule's first tick strictly after `t` (epoch ms), or undefined when it has none left
 * (a cron expression whose years have passed). An interval ticks at the next whole multiple of
 * `everyMs`; a cron expression at croner's next match, in the schedule's time zone.
 *
 * @example
 * ```ts
 * nextTickAfter(schedule({ name: 'p', everyMs: 1000, state: 'a', jc: {} }), 2500); // 3000
 * nextTickAfter(schedule({ name: 'p', everyMs: 1000, state: 'a', jc: {} }), 3000); // 4000
 * ```
 */
export function nextTickAfter(schedule: Schedule<unknown>, t: number): number | undefined {
  const { everyMs, cron } = schedule.options;
  if (everyMs !== undefined) return Math.floor(t / everyMs) * everyMs + everyMs;
  // Date keeps whole milliseconds (towards zero), and cron ticks are whole seconds, so a fraction
  // of t cannot hide a tick.
  const next = cronOf(schedule, cron ?? '').nextRun(new Date(t));
  return next === null ? undefined : next.getTime();
}

/**
 * The ticks in (`after`, `until`], oldest first; only the latest `max` of them when there are more.
 * With `after` undefined, the tick at exactly `until`, if `until` is one.
 */
export function ticksBetween(schedule: Schedule<unknown>, after: number | undefined, until: number, max: number): number[] {
  if (max <= 0) return [];
  if (after === undefined) return isTick(schedule, until) ? [until] : [];
  const { everyMs, cron } = schedule.options;
  if (everyMs !== undefined) {
    const first = Math.floor(after / everyMs) * everyMs + everyMs;
    const last = Math.floor(until / everyMs) * everyMs;
    if (first > last) return [];
    const start = Math.max(first, last - (max - 1) * everyMs);
    const ticks: number[] = [];
    for (let t = start; t <= last; t += everyMs) ticks.push(t);
    return ticks;
  }
  const ticks: number[] = [];
  for (let t = nextTickAfter(schedule, after); t !== undefined && t <= until; t = nextTickAfter(schedule, t)) {
    if (ticks.length === max) {
      // More than max are due: take the latest max, counted back from until (cron ticks are whole
      // seconds, so those before floor(until) + 1 are those at or before until).
      return cronOf(schedule, cron ?? '')
        .previousRuns(max, new Date(Math.floor(until) + 1))
        .map((d) => d.getTime())
        .filter((tick) => tick > after)
        .reverse();
    }
    ticks.push(t);
  }
  return ticks;
}

/**
 * Plans one schedule: which ticks get a job now, and when to plan again.
 *
 * - The ticks considered are after the latest of `lastPlannedAt` and the history's latest tick, so
 *   no tick is planned twice, in this exec or after another process or an earlier exec added it.
 * - When the exec starts (`started`) and the run has a job of the schedule, the ticks since then
 *   and before `now` were missed: `catchUp` says which to add (`'none'`, the latest, or all, at
 *   most {@link MAX_CATCH_UP}). A tick at exactly `now` is due, and added whatever `catchUp` says.
 *   A run with no job of the schedule has missed nothing: only a tick at exactly `now` is due.
 * - In the plans a timer makes, every tick since the last plan is due (normally exactly one; more
 *   when the timer fired late, at most {@link MAX_CATCH_UP}).
 * - With `overlap: 'skip'`, a latest job that has not settled makes the due ticks add nothing,
 *   and of several due ticks only the first is added.
 * - No more than `limit - count` ticks are added (the oldest of those due); at the limit, `nextAt`
 *   is undefined.
 *
 * @example
 * ```ts
 * const poll = schedule({ name: 'poll', everyMs: 1000, state: 'a', jc: {}, catchUp: 'all' });
 * planTicks(poll, { now: 5000, started: true, history: { count: 1, last: { at: 2000, settled: true } } });
 * // { add: [3000, 4000, 5000], nextAt: 6000 }
 * planTicks(poll, { now: 6000, started: false, history: { count: 4, last: { at: 5000, settled: true } }, lastPlannedAt: 5000 });
 * // { add: [6000], nextAt: 7000 }
 * ```
 */
export function planTicks(schedule: Schedule<unknown>, input: PlanInput): TickPlan {
  const { now, started, history, lastPlannedAt } = input;
  const { limit = Infinity, overlap = 'allow', catchUp = 'one' } = schedule.options;
  const left = limit - history.count;
  if (left <= 0) return FINISHED;
  const last = history.last;
  const after = latest(lastPlannedAt, last?.at);

  let due: number[];
  if (started && last !== undefined) {
    const since = latest(last.at, lastPlannedAt);
    if (catchUp === 'none') due = since < now && isTick(schedule, now) ? [now] : [];
    else due = ticksBetween(schedule, since, now, catchUp === 'one' ? 1 : MAX_CATCH_UP);
  } else if (started || after === undefined) {
    due = ticksBetween(schedule, undefined, now, 1);
  } else {
    due = ticksBetween(schedule, after, now, MAX_CATCH_UP);
  }

  if (overlap === 'skip') due = last !== undefined && !last.settled ? [] : due.slice(0, 1);
  const add = due.length > left ? due.slice(0, left) : due;
  if (add.length >= left) return { add, nextAt: undefined };
  return { add, nextAt: nextTickAfter(schedule, latest(now, after)) };
}

const FINISHED: TickPlan = Object.freeze({ add: Object.freeze([]), nextAt: undefined });

/** Whether `t` is one of the schedule's ticks. */
function isTick(schedule: Schedule<unknown>, t: number): boolean {
  return Number.isInteger(t) && nextTickAfter(schedule, t - 1) === t;
}

function latest(a: number, b: number | undefined): number;
function latest(a: number | undefined, b: number | undefined): number | undefined;
function latest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : Math.max(a, b);
}
