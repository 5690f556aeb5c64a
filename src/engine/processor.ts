import type { Graph } from '../model/graph.js';
import { type Clock, systemClock } from '../model/clock.js';
import type { StatusListener } from '../status/state-status.js';
import type { Store } from '../model/store.js';
import type { ProcessorExecResult } from './processor-exec-result.js';
import { Execution } from './execution.js';
import { bindRun, internalsOf, type Run, flushUnsavedRecords } from '../model/run.js';
import { RunError } from '../model/run-error.js';
import type { Workflow } from '../model/workflow.js';

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
}

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
export interface ProcessorExecOptions {
  /**
   * Stops the run: no new exec starts, running execs see their `signal` abort, and `exec` resolves
   * with outcome `aborted` once they settled and the store is flushed. Exec again to continue.
   */
  readonly signal?: AbortSignal;
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

  constructor(workflow: Workflow<AC, OC, JC, S>, ac: AC, options: ProcessorOptions<OC, JC> = {}) {
    if (workflow === null || typeof workflow !== 'object' || workflow.graph === undefined) {
      throw new TypeError('new Processor(workflow, ac, options): workflow must be a built workflow (call .build() on the builder)');
    }
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
  async exec(run: Run<OC, JC>, options: ProcessorExecOptions = {}): Promise<ProcessorExecResult> {
    const graph = this.#workflow.graph;
    const own = internalsOf<JC>(run);
    if (own.busy) throw new RunError(`Run "${run.name}" is already being executed by a processor`);
    bindRun(run, this.#workflow); // an unknown state is reported here, before anything runs
    own.busy = true;
    const clock = this.#options.clock ?? systemClock;
    for (const node of graph.states) if (!node.terminal) node.rateLimit?.useClock?.(clock);
    try {
      // Without a store nothing will write the changes made before this exec: they live in the run.
      if (this.#options.store === undefined) await flushUnsavedRecords(run, async () => undefined);
      const execution = new Execution({
        graph: graph as unknown as Graph,
        ac: this.#ac,
        run: run,
        store: this.#options.store,
        status: this.#options.status,
        signal: options.signal,
        clock,
      });
      return await execution.run();
    } finally {
      own.busy = false;
    }
  }
}
