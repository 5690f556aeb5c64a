import { Cron } from 'croner';
import { aNumber, anObject, checkOption, checkOptions, oneOf, optionKeys, optional, rule, wholeNumber } from '../model/check-option.js';
import { jsonProblem } from '../model/json-value.js';
import { renderValue } from '../model/render-value.js';

/**
 * One tick of a schedule, as its `jc` function is given it: the schedule's name, the tick's time
 * and the job's number among the schedule's jobs.
 *
 * @example
 * ```ts
 * const poll = schedule({ name: 'poll', everyMs: 60_000, state: 'fetch', jc: (tick: ScheduleTick) => ({ at: tick.at, n: tick.n }) });
 * // the job of the tick at 2024-05-01T12:00:00Z, the schedule's third: jc { at: 1714564800000, n: 3 }
 * ```
 * @public
 */
export interface ScheduleTick {
  /** The schedule's name. */
  readonly name: string;
  /** The tick's time, in epoch ms (not the time the job was added, which may be later: a late timer, a catch-up). */
  readonly at: number;
  /** 1 for the schedule's first job in the run, 2 for its second, …: counted from the run, so restarts continue the count. */
  readonly n: number;
}

/**
 * The options of {@link schedule}: its name, when it ticks (`everyMs` or `cron`, exactly one), the
 * job each tick adds (`state`, `jc`, `priority`) and the rules for limits, overlaps and downtime.
 *
 * @example
 * ```ts
 * const options: ScheduleOptions<{ url: string }, 'fetch'> = {
 *   name: 'nightly', cron: '0 30 2 * * *', timezone: 'Europe/Stockholm', state: 'fetch', jc: { url: 'https://example.com/feed' },
 *   overlap: 'skip', catchUp: 'one',
 * };
 * ```
 * @public
 */
export interface ScheduleOptions<JC, S extends string = string> {
  /**
   * The schedule's name: part of each of its jobs' keys (`schedule:<name>:<tick>`), so it must be
   * the same in every process and after every restart, and differ between the schedules of a run.
   * A non-empty string without `:`.
   */
  readonly name: string;
  /**
   * Ticks at every whole multiple of `everyMs` since the epoch (for `everyMs: 3_600_000`, on the
   * hour, UTC), so every process and every restart agrees on them. A whole number of
   * milliseconds, from 1 up. Give this or `cron`, not both.
   */
  readonly everyMs?: number;
  /**
   * Ticks at each match of a cron expression, read by croner: five fields (minute to weekday), or
   * six with seconds first (`'30 0 * * * *'`: at 00:30 past each hour), or seven with a year last;
   * `@daily` and the other nicknames, `L`, `W` and `#` too. Give this or `everyMs`, not both.
   */
  readonly cron?: string;
  /**
   * The time zone a `cron` expression is read in, as an IANA name (`'Europe/Stockholm'`); for
   * `cron` only. UTC unless given, so a schedule ticks at the same instants on every machine,
   * whatever its local zone (croner's own default is the machine's local time).
   * @defaultValue 'UTC'
   */
  readonly timezone?: string;
  /** The state each job is added in: one of the workflow's states. */
  readonly state: S;
  /**
   * Each job's context: one value (each job gets its own copy), or a function of the tick that
   * returns one. It must be a value JSON can store; a function that throws, or returns something
   * JSON cannot store (a Promise too: it is called synchronously), stops the run with a
   * {@link ScheduleError} naming the schedule and the tick.
   */
  readonly jc: JC | ((tick: ScheduleTick) => JC);
  /** The priority of each job (as `run.add`'s `priority`): a finite number. @defaultValue no priority (0) */
  readonly priority?: number;
  /**
   * At most this many jobs, ever: counted from the jobs the run holds of this schedule, so the
   * limit holds across restarts and processes. Once reached, the schedule adds nothing more and
   * no longer keeps the run going. A whole number from 1 up.
   * @defaultValue no limit
   */
  readonly limit?: number;
  /**
   * What a tick does while the schedule's latest job has not settled (reached a terminal state):
   * `'allow'` adds its job anyway; `'skip'` adds nothing for that tick (it is dropped, not deferred
   * to when the job settles). Also, when several ticks are due at once (a timer firing late, a
   * catch-up), `'skip'` adds only the first of them: the others would overlap it.
   * @defaultValue 'allow'
   */
  readonly overlap?: 'allow' | 'skip';
  /**
   * What happens, when an exec starts, to the ticks missed while no process ran the schedule:
   * those after the latest tick among the run's jobs of this schedule and before now. `'none'`
   * skips them; `'one'` adds one job, for the latest missed tick; `'all'` adds one per missed tick,
   * oldest first, but at most 1000 (`MAX_CATCH_UP`): when more were missed, only the latest
   * 1000 are added and the older ones are skipped for good. A tick at exactly the exec's start is
   * due, not missed: it is added whatever `catchUp` says. A run without any job of the schedule has
   * missed nothing: its first tick is the first at or after the exec's start.
   * @defaultValue 'one'
   */
  readonly catchUp?: 'none' | 'one' | 'all';
}

/**
 * A checked, frozen schedule, made by {@link schedule}: what `processor.exec(run, { schedules })`
 * takes.
 *
 * @example
 * ```ts
 * const poll: Schedule<{ url: string }, 'fetch'> = schedule({ name: 'poll', everyMs: 60_000, state: 'fetch', jc: { url } });
 * await processor.exec(run, { schedules: [poll] });
 * ```
 * @public
 */
export interface Schedule<JC, S extends string = string> {
  /** The schedule's name, as in its options. */
  readonly name: string;
  /** The options it was made with (a frozen copy). */
  readonly options: ScheduleOptions<JC, S>;
}

/**
 * Thrown (or handed to the run's error handling) when a schedule cannot add its job: its `jc`
 * function threw or returned a value JSON cannot store, or the run could not be read or added to.
 * It names the schedule and, when the problem is one tick's, the tick.
 *
 * @example
 * ```ts
 * try { await processor.exec(run, { schedules: [poll] }); }
 * catch (e) { if (e instanceof ScheduleError) console.error(e.schedule, e.message); }
 * // schedule "poll": the jc function threw for the tick at 2024-05-01T12:00:00.000Z (job 3): no token
 * ```
 * @public
 */
export class ScheduleError extends Error {
  /** Always `'ScheduleError'`. */
  override readonly name = 'ScheduleError';
  /** The schedule's name. */
  readonly schedule: string;
  /** The tick's time (epoch ms), when the problem is one tick's. */
  readonly at: number | undefined;

  constructor(schedule: string, message: string, options: { readonly at?: number; readonly cause?: unknown } = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.schedule = schedule;
    this.at = options.at;
  }
}

/** The keys of {@link ScheduleOptions}, for the unknown-option check (the compiler keeps it in step). */
export const SCHEDULE_OPTION_KEYS = optionKeys<ScheduleOptions<unknown>>({
  name: true,
  everyMs: true,
  cron: true,
  timezone: true,
  state: true,
  jc: true,
  priority: true,
  limit: true,
  overlap: true,
  catchUp: true,
});

const EXAMPLE = "{ name: 'poll', everyMs: 60_000, state: 'fetch', jc: { url } }";
const NAME = rule("a non-empty string without ':'", (v): v is string => typeof v === 'string' && v.length > 0 && !v.includes(':'));
const STATE = rule('a non-empty string (one of the workflow\'s states)', (v): v is string => typeof v === 'string' && v.length > 0);
const CRON = rule("a cron expression, a string such as '*/5 * * * *'", (v): v is string => typeof v === 'string');
const TIMEZONE = rule("an IANA time zone name such as 'Europe/Stockholm'", (v): v is string => typeof v === 'string' && knownTimeZone(v));
const FINITE = rule('a finite number', (v): v is number => aNumber.test(v) && Number.isFinite(v));

/** The schedules {@link schedule} made, so the scheduler can tell them from look-alike objects. */
const made = new WeakSet<object>();

/**
 * A schedule: jobs added to a run at each tick of an interval (`everyMs`) or a cron expression,
 * while `processor.exec(run, { schedules: [...] })` runs. Each job's key is
 * {@link scheduleKey}`(name, tick)`, so a tick adds one job however many processes run the
 * schedule and however often the run restarts. Every option is checked here: a bad one throws a
 * TypeError naming the schedule, the option and the value
 * (`schedule "poll": everyMs must be a whole number of milliseconds from 1 up, got -5`).
 *
 * @example
 * ```ts
 * const poll = schedule({ name: 'poll', everyMs: 60_000, state: 'fetch', jc: { url: 'https://example.com/feed' } });
 * const nightly = schedule({
 *   name: 'nightly', cron: '0 30 2 * * *', timezone: 'Europe/Stockholm', state: 'report',
 *   jc: (tick) => ({ day: new Date(tick.at).toISOString().slice(0, 10) }), overlap: 'skip', limit: 30,
 * });
 * await processor.exec(run, { schedules: [poll, nightly] });
 * ```
 * @public
 */
export function schedule<JC, S extends string>(options: ScheduleOptions<JC, S>): Schedule<JC, S> {
  const given = checkOption('schedule', 'options', options, anObject(EXAMPLE)) as Partial<ScheduleOptions<unknown>>;
  const name = checkOption('schedule', 'name', given.name, NAME);
  const owner = `schedule ${JSON.stringify(name)}`;
  checkOptions(owner, given, SCHEDULE_OPTION_KEYS, EXAMPLE);
  const { everyMs, cron, timezone } = given;
  if (everyMs !== undefined && cron !== undefined) {
    throw new TypeError(`${owner}: give everyMs or cron, not both, got everyMs ${renderValue(everyMs)} and cron ${renderValue(cron)}`);
  }
  if (everyMs === undefined && cron === undefined) {
    throw new TypeError(`${owner}: give everyMs (ticks every so many milliseconds) or cron (a cron expression), got neither`);
  }
  if (everyMs !== undefined) {
    checkOption(owner, 'everyMs', everyMs, wholeNumber(1, 'milliseconds'));
    if (timezone !== undefined) {
      throw new TypeError(`${owner}: timezone is for cron only (everyMs ticks at multiples of ${everyMs} ms since the epoch, in every zone), got timezone ${renderValue(timezone)}`);
    }
  } else {
    checkOption(owner, 'timezone', timezone, optional(TIMEZONE));
    checkCron(owner, checkOption(owner, 'cron', cron, CRON), timezone ?? 'UTC');
  }
  checkOption(owner, 'state', given.state, STATE);
  const problem = typeof given.jc === 'function' ? undefined : jsonProblem(given.jc, 'jc');
  if (problem !== undefined) throw new TypeError(`${owner}: jc must be a job context JSON can store, or a function of the tick that returns one: ${problem}`);
  checkOption(owner, 'priority', given.priority, optional(FINITE));
  checkOption(owner, 'limit', given.limit, optional(wholeNumber(1)));
  checkOption(owner, 'overlap', given.overlap, optional(oneOf(['allow', 'skip'])));
  checkOption(owner, 'catchUp', given.catchUp, optional(oneOf(['none', 'one', 'all'])));
  const made_: Schedule<JC, S> = Object.freeze({ name, options: Object.freeze({ ...options }) });
  made.add(made_);
  return made_;
}

/**
 * The key of a schedule's job for the tick at `at` (epoch ms): `schedule:<name>:<at>`, the time
 * padded to 15 digits so that the keys of one schedule sort by tick time (until the year 33658).
 * The run holds one job per key, which is what keeps a tick from adding two jobs.
 *
 * @example
 * ```ts
 * scheduleKey('poll', 1714564800000); // 'schedule:poll:001714564800000'
 * ```
 * @public
 */
export function scheduleKey(name: string, at: number): string {
  return `schedule:${name}:${String(at).padStart(15, '0')}`;
}

/**
 * The prefix every key of a schedule's jobs starts with, `schedule:<name>:`: what a target reads
 * the schedule's history by.
 *
 * @example
 * ```ts
 * const mine = [...run.jobs.values()].filter((job) => job.key?.startsWith(scheduleKeyPrefix('poll')));
 * ```
 */
export function scheduleKeyPrefix(name: string): string {
  return `schedule:${name}:`;
}

/**
 * Whether `value` was made by {@link schedule} (so it is checked and frozen).
 *
 * @example
 * ```ts
 * isSchedule(schedule({ name: 'poll', everyMs: 1000, state: 'a', jc: {} })); // true
 * isSchedule({ name: 'poll', options: {} }); // false
 * ```
 */
export function isSchedule(value: unknown): value is Schedule<unknown> {
  return typeof value === 'object' && value !== null && made.has(value);
}

/** Throws a TypeError saying the expression is not one croner reads, with croner's reason. */
function checkCron(owner: string, expression: string, timezone: string): void {
  try {
    new Cron(expression, { paused: true, timezone });
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new TypeError(`${owner}: cron must be a valid cron expression, got ${renderValue(expression)} (croner: ${reason})`, { cause: e });
  }
}

function knownTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
