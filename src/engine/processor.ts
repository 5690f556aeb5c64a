import type { Graph } from '../model/graph.js';
import { type Clock, systemClock } from '../model/clock.js';
import type { StatusListener } from '../status/state-status.js';
import type { Store } from '../model/store.js';
import type { ProcessorExecResult } from './processor-exec-result.js';
import { Execution } from './execution.js';
import { bindRun, discardUnsavedRecords, internalsOf, type Run } from '../model/run.js';
import { renderValue } from '../model/render-value.js';
import { RunError } from '../model/run-error.js';
import type { Workflow } from '../model/workflow.js';
import { checkOptions, optionKeys } from '../model/check-option.js';
import { isSchedule, type Schedule } from '../schedule/schedule.js';
import type { RunLedger } from '../ledger/run-ledger.js';
import type { AttemptObserver } from '../model/attempt-observer.js';

/**
 * Options of a {@link Processor}.
 *
 * @example
 * ```ts
 * new Processor(crawl, ac, { store: new MemoryStore(), status: progressBars() });
 * ```
 * @public
 */
export interface ProcessorOptions<OC, JC> {
  /** Where completed transitions are recorded; without one the run lives in memory only. */
  readonly store?: Store<OC, JC>;
  /** Receives per-state counts whenever they change. */
  readonly status?: StatusListener;
  /**
   * The clock timeouts, retries, rate limits and record times use; a `FakeClock` from
   * `jorb-ts/testing` in tests. Rate limiters made without a clock of their own follow it.
   * @defaultValue systemClock
   */
  readonly clock?: Clock;
  /**
   * Where retry backoffs draw their jitter: a number in [0, 1) per call. Give a seeded generator
   * in tests to make the waits exact.
   * @defaultValue Math.random
   * @example
   * ```ts
   * let seed = 1;
   * const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
   * new Processor(wf, ac, { clock: new FakeClock(), random });
   * ```
   */
  readonly random?: () => number;
  /**
   * How long an exec that ignores its `signal` keeps its concurrency slot after its timeout fired
   * or the run was aborted. Then the slot goes to the next job and the attempt is abandoned: what
   * it returns later is discarded, and `result.abandoned` counts it; after an abort, `exec`
   * resolves at the latest this long after the signal.
   * Minimum: 0.
   * @defaultValue 5,000
   */
  readonly graceMs?: number;
  /**
   * How far a state may run ahead of the store: how many of its finished attempts may await
   * durability besides its running ones. A state starts no attempt while its running and
   * not-yet-durable attempts reach `concurrency + maxUndurable`, so after a `kill -9` at most
   * `Σ (concurrency + maxUndurable)` over the working states run again. `'strict'` (0): a slot is
   * freed only when its transition is durable, and re-runs are at most the attempts in flight. A
   * number applies to every state; a function gets each state's concurrency.
   * Minimum: 0.
   * @defaultValue `(concurrency) => 4 * concurrency`
   * @example
   * ```ts
   * new Processor(wf, ac, { store, maxUndurable: 'strict' });
   * ```
   */
  readonly maxUndurable?: number | 'strict' | ((concurrency: number) => number);
  /**
   * Whether the processor keeps the live ledger of its executions (see {@link Processor.ledger}
   * and the second argument of a {@link StatusListener}): per state, arrivals and completions per
   * second, visits per job, service time and queue wait, in flight against the limit, utilisation,
   * rate-limit waits, errors, retries, timeouts, the event loop's delay, and the bottleneck
   * verdict. It costs a few counter updates per attempt, and two clock reads per attempt it times:
   * every attempt of a state that starts fewer than a thousand a second, one in k (a power of 2)
   * above that, each counting as k in the busy time and the durations' totals (counts stay exact;
   * W3: see the README's figures). `false` turns it off; an object keeps it on with settings of its own.
   * @defaultValue true
   * @example
   * ```ts
   * new Processor(wf, ac, { ledger: false }); // the least overhead
   * new Processor(wf, ac, { clock, ledger: { eventLoopDelay: () => 120 } }); // a test of a CPU-bound run
   * ```
   */
  readonly ledger?: boolean | LedgerOptions;
  /**
   * Told as each attempt starts and how it ends, in the order given: `otelTracing()` from
   * `jorb-ts/otel` makes a span of each attempt; implement {@link AttemptObserver} for another tool.
   * @example
   * ```ts
   * import { otelTracing } from 'jorb-ts/otel';
   * new Processor(wf, ac, { observers: [otelTracing()] });
   * ```
   */
  readonly observers?: readonly AttemptObserver[];
}

/**
 * Settings of the processor's live ledger (its `ledger` option).
 *
 * @example
 * ```ts
 * const options: LedgerOptions = { eventLoopDelay: () => monitor.percentile(95) / 1e6 };
 * new Processor(wf, ac, { ledger: options });
 * ```
 * @public
 */
export interface LedgerOptions {
  /**
   * How late the event loop runs now, in ms; read about once a second while the run works, and
   * the highest of the last 5 readings is the ledger's `eventLoopDelayMs` (50 ms or more makes
   * the run `cpu-bound`). For tests, or another measure.
   * @defaultValue on the system clock, the mean lateness of a 20 ms timer since the last
   * reading (the sampler `adaptive()` uses); on any other clock (a `FakeClock`), 0
   */
  readonly eventLoopDelay?: () => number;
}

const PROCESSOR_OPTION_KEYS = optionKeys<ProcessorOptions<unknown, unknown>>({ store: true, status: true, clock: true, random: true, graceMs: true, maxUndurable: true, ledger: true, observers: true });
const LEDGER_OPTION_KEYS = optionKeys<LedgerOptions>({ eventLoopDelay: true });
const PROCESSOR_EXEC_OPTION_KEYS = optionKeys<ProcessorExecOptions>({ signal: true, schedules: true });

/** By default a state may run 4 × its concurrency ahead of the store: W3 re-runs at most 100 execs after a kill. */
const DEFAULT_UNDURABLE_PER_SLOT = 4;

/**
 * Options of {@link Processor.exec}.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * process.once('SIGINT', () => controller.abort());
 * await processor.exec(run, { signal: controller.signal });
 * ```
 * @public
 */
export interface ProcessorExecOptions<JC = unknown, S extends string = string> {
  /**
   * Stops the run: no new exec starts, running execs see their `signal` abort, and `exec` resolves
   * with outcome `aborted` once they settled and the store is flushed. Exec again to continue.
   */
  readonly signal?: AbortSignal;
  /**
   * Recurring work: each {@link schedule} adds a job to the run at each of its ticks while the
   * exec runs. The exec is not complete while a schedule may still add jobs (one with no `limit`
   * runs until `signal` aborts).
   */
  readonly schedules?: readonly Schedule<JC, S>[];
}

/**
 * Runs a run through a workflow until every job is in a terminal state (or stopped, marked failed),
 * with one pool per state at the state's concurrency.
 *
 * @example
 * ```ts
 * const processor = new Processor(crawl, { api }, { status: progressBars() });
 * const result = await processor.exec(run);
 * console.log(result.outcome, result.transitions);
 * ```
 * @public
 */
export class Processor<AC, OC, JC, S extends string = string> {
  readonly #workflow: Workflow<AC, OC, JC, S>;
  readonly #ac: AC;
  readonly #options: ProcessorOptions<OC, JC>;
  /** The current execution, or the last one (its ledger stays readable). */
  #execution: Execution | undefined;
  /** The execution running now, if one is. */
  #running: Execution | undefined;
  /** The states paused by `pause`, for a store that keeps no paused states (or none). */
  readonly #paused = new Set<string>();

  constructor(workflow: Workflow<AC, OC, JC, S>, ac: AC, options: ProcessorOptions<OC, JC> = {}) {
    if (workflow === null || typeof workflow !== 'object' || workflow.graph === undefined) {
      throw new TypeError('new Processor(workflow, ac, options): workflow must be a built workflow (call .build() on the builder)');
    }
    checkProcessorOptions(options);
    this.#workflow = workflow;
    this.#ac = ac;
    this.#options = options;
  }

  /**
   * Runs `run` until every job is terminal or failed, or until `signal` aborts. The run is bound to
   * the workflow (see {@link bindRun}): jobs in states it does not declare are reported with an
   * {@link UnknownStatesError} before anything runs, and a `run.add` in an unknown state throws.
   * A store failure stops the run and rejects with the store's error; everything acknowledged
   * before it is kept.
   */
  async exec(run: Run<OC, JC>, options: ProcessorExecOptions<JC, S> = {}): Promise<ProcessorExecResult> {
    checkOptions('processor.exec(run, options)', options, PROCESSOR_EXEC_OPTION_KEYS, '{ signal }');
    const graph = this.#workflow.graph;
    const schedules = checkSchedules(graph, options.schedules);
    const own = internalsOf<JC>(run);
    if (own.busy) throw new RunError(`Run "${run.name}" is already being executed by a processor`);
    bindRun(run, this.#workflow); // an unknown state is reported here, before anything runs
    own.busy = true;
    const clock = this.#options.clock ?? systemClock;
    // run.add stamps its jobs (and counts their delays) by the processor's clock from now on.
    own.now = () => clock.now();
    for (const node of graph.states) if (!node.terminal) node.rateLimit?.useClock?.(clock);
    try {
      // Without a store nothing will write the changes made before this exec: they live in the run.
      if (this.#options.store === undefined) discardUnsavedRecords(run);
      const ledger = this.#options.ledger ?? true;
      const execution = new Execution({
        graph: graph as unknown as Graph,
        ac: this.#ac,
        run: run,
        store: this.#options.store,
        status: this.#options.status,
        signal: options.signal,
        schedules,
        clock,
        random: this.#options.random ?? Math.random,
        graceMs: this.#options.graceMs ?? 5_000,
        maxUndurable: undurableLimit(this.#options.maxUndurable),
        ledger: ledger === false ? undefined : ledger === true ? {} : ledger,
        observers: this.#options.observers ?? [],
        paused: this.#paused,
      });
      this.#execution = execution;
      this.#running = execution;
      return await execution.run();
    } finally {
      this.#running = undefined;
      own.busy = false;
    }
  }

  /**
   * Where the current execution's time goes — or the last one's, as of its end, once `exec` has
   * resolved: per-state rates, durations, utilisation and the bottleneck verdict (see
   * {@link RunLedger}). Undefined before the first `exec`, and when the `ledger` option is false.
   * Computed on each call (a sort of each state's recent durations): a few times a second is cheap.
   *
   * @example
   * ```ts
   * const done = processor.exec(run);
   * const timer = setInterval(() => console.log(processor.ledger()?.bottleneck.reason), 1000);
   * await done;
   * clearInterval(timer);
   * ```
   */
  ledger(): RunLedger | undefined {
    return this.#execution?.ledger();
  }

  /**
   * Pauses a working state: it starts no attempt (those running finish) and its jobs wait, in this
   * exec and the next ones, until {@link Processor.resume}. The exec is not complete while jobs wait
   * in a paused state. With a store that keeps paused states (the JSONL and PostgreSQL stores) the
   * pause is written there, so a restart, `jorb pause`/`jorb resume` and the dashboard see and
   * change the same pauses; it resolves once written. Throws for a name that is not a working state.
   *
   * @example
   * ```ts
   * await processor.pause('fetch'); // the service is down: stop calling it, keep the rest going
   * // …
   * await processor.resume('fetch');
   * ```
   */
  async pause(state: S): Promise<void> {
    await this.#setPaused(state, true);
  }

  /**
   * Resumes a state paused by {@link Processor.pause} (or by `jorb pause`, or the dashboard): its
   * waiting jobs start again. Resolves once the store has it, when the store keeps paused states.
   *
   * @example
   * ```ts
   * await processor.resume('fetch');
   * ```
   */
  async resume(state: S): Promise<void> {
    await this.#setPaused(state, false);
  }

  async #setPaused(state: string, paused: boolean): Promise<void> {
    const what = paused ? 'pause' : 'resume';
    const node = this.#workflow.graph.state(state);
    if (node === undefined) throw new RunError(`processor.${what}(${renderValue(state)}): workflow "${this.#workflow.graph.name}" has no such state`);
    if (node.terminal) throw new RunError(`processor.${what}(${renderValue(state)}): a terminal state runs nothing, so there is nothing to ${what}`);
    await this.#options.store?.pausedStates?.().set(state, paused);
    if (paused) this.#paused.add(state);
    else this.#paused.delete(state);
    this.#running?.setPaused(state, paused);
  }
}

function undurableLimit(option: ProcessorOptions<unknown, unknown>['maxUndurable']): (concurrency: number) => number {
  if (option === 'strict') return () => 0;
  if (typeof option === 'number') return () => option;
  if (typeof option === 'function') return (concurrency) => Math.max(0, Math.floor(option(concurrency)));
  return (concurrency) => DEFAULT_UNDURABLE_PER_SLOT * concurrency;
}

function checkProcessorOptions(options: ProcessorOptions<unknown, unknown>): void {
  const where = 'new Processor(workflow, ac, options)';
  checkOptions(where, options, PROCESSOR_OPTION_KEYS, '{ store, status }');
  const { graceMs, maxUndurable, random, ledger, observers } = options;
  if (observers !== undefined) {
    if (!Array.isArray(observers)) throw new TypeError(`${where}: observers must be a list of attempt observers, got ${renderValue(observers)}`);
    for (const [i, observer] of (observers as unknown[]).entries()) {
      if (typeof (observer as Partial<AttemptObserver> | null)?.attemptStarted !== 'function') throw new TypeError(`${where}: observers[${i}] has no attemptStarted(start) method, got ${renderValue(observer)}`);
    }
  }
  if (ledger !== undefined && typeof ledger !== 'boolean') {
    if (ledger === null || typeof ledger !== 'object') throw new TypeError(`${where}: ledger must be true, false or { eventLoopDelay }, got ${renderValue(ledger)}`);
    checkOptions(where, ledger, LEDGER_OPTION_KEYS, '{ eventLoopDelay }', 'ledger');
    if (ledger.eventLoopDelay !== undefined && typeof ledger.eventLoopDelay !== 'function') {
      throw new TypeError(`${where}: ledger.eventLoopDelay must be a function returning ms, got ${renderValue(ledger.eventLoopDelay)}`);
    }
  }
  if (random !== undefined && typeof random !== 'function') throw new TypeError(`${where}: random must be a function returning a number in [0, 1), got ${renderValue(random)}`);
  if (graceMs !== undefined && !(typeof graceMs === 'number' && graceMs >= 0 && graceMs !== Infinity)) {
    throw new TypeError(`${where}: graceMs must be a number of milliseconds from 0 up, got ${renderValue(graceMs)}`);
  }
  const wholeOk = typeof maxUndurable === 'number' && Number.isSafeInteger(maxUndurable) && maxUndurable >= 0;
  if (maxUndurable !== undefined && maxUndurable !== 'strict' && typeof maxUndurable !== 'function' && !wholeOk) {
    throw new TypeError(`${where}: maxUndurable must be a whole number from 0 up, 'strict' or a function of the concurrency, got ${renderValue(maxUndurable)}`);
  }
}

/** The schedules of an exec, checked: each made by `schedule()`, into a working state of the workflow, names unique. */
function checkSchedules(graph: { name: string; state(name: string): { terminal: boolean } | undefined }, schedules: unknown): readonly Schedule<unknown>[] {
  if (schedules === undefined) return [];
  if (!Array.isArray(schedules)) throw new TypeError(`processor.exec(run, options): schedules must be a list of schedule(…) values, got ${renderValue(schedules)}`);
  const names = new Set<string>();
  for (const [i, value] of schedules.entries()) {
    if (!isSchedule(value)) throw new TypeError(`processor.exec(run, options): schedules[${i}] was not made by schedule(…), got ${renderValue(value)}`);
    const node = graph.state(value.options.state);
    if (node === undefined) throw new RunError(`Schedule "${value.name}" adds jobs in state ${renderValue(value.options.state)}, which workflow "${graph.name}" does not declare`);
    if (node.terminal) throw new RunError(`Schedule "${value.name}" adds jobs in state ${renderValue(value.options.state)}, a terminal state of workflow "${graph.name}": they would be done before they ran`);
    if (names.has(value.name)) throw new TypeError(`processor.exec(run, options): two schedules are named "${value.name}": their jobs would share keys`);
    names.add(value.name);
  }
  return schedules as readonly Schedule<unknown>[];
}
