import type { Workflow } from '../../src/model/workflow.js';
import type { ExecFn } from '../../src/model/transition.js';
import type { StateOptions } from '../../src/model/state-options.js';
import type { NewStateName, OtherNames } from './duplicate-state.js';
import type { FailStateIsTarget } from './fail-state-target.js';
import type { RetryThenIsTarget } from './retry-then-target.js';
import type { AllStatesDeclared } from './undeclared-states.js';

/**
 * The typed fluent builder of a workflow. It tracks two unions: the states declared so far and
 * the states referenced as targets; `.build()` compiles only when the second is covered by the
 * first. Every step's cost is constant, and any builder value can be continued in a later
 * statement, which is how workflows of hundreds of states are written.
 *
 * @example
 * ```ts
 * const head = workflow<AC, OC, JC>('crawl').state('fetch', { concurrency: 10 }).to('parse').exec(fetchPage);
 * export const crawl = head.state('parse').to('done').exec(parsePage).terminal('done').build();
 * ```
 * @public
 */
export interface WorkflowBuilder<AC, OC, JC, Declared extends string, Referenced extends string> {
  /**
   * Declares a non-terminal state; continue with `.to(...)` and `.exec(fn)`. A name declared
   * twice does not compile.
   *
   * @example
   * ```ts
   * .state('fetch', { concurrency: 10, timeout: { ms: 30_000, failState: 'fetch-failed' } })
   * ```
   */
  state<S extends string, F extends string = never, R extends string = never>(
    name: NewStateName<S, Declared>,
    options?: StateOptions<F, R>,
  ): StateStep<AC, OC, JC, Declared, Referenced, S, F, R>;

  /**
   * Declares terminal states: jobs that reach them are finished. Terminal states have no exec.
   *
   * @example
   * ```ts
   * .terminal('done', 'fetch-failed')
   * ```
   */
  terminal<const N extends readonly [string, ...string[]]>(
    ...names: { [I in keyof N]: NewStateName<N[I], Declared | OtherNames<N, I>> }
  ): WorkflowBuilder<AC, OC, JC, Declared | N[number], Referenced>;

  /**
   * Compiles the workflow. Compiles only when every state used as a target is declared; the
   * error names each missing state.
   *
   * @example
   * ```ts
   * export const crawl = builder.terminal('done').build();
   * ```
   */
  build(this: AllStatesDeclared<Declared, Referenced, WorkflowBuilder<AC, OC, JC, Declared, Referenced>>): Workflow<AC, OC, JC, Declared>;
}

/**
 * A state just declared: name where its exec may go.
 *
 * @example
 * ```ts
 * .state('fetch').to('parse', 'fetch-failed')
 * ```
 * @public
 */
export interface StateStep<AC, OC, JC, Declared extends string, Referenced extends string, S extends string, F extends string, R extends string> {
  /**
   * The states this state's exec may return, and nothing else: returning another state does not
   * compile. Naming the same or an earlier state is how loops and retries are written.
   *
   * @example
   * ```ts
   * .to('parse', 'fetch', 'fetch-failed')
   * ```
   */
  to<T extends string>(...targets: [T, ...T[]]): TargetsStep<AC, OC, JC, Declared, Referenced, S, F, R, T>;
}

/**
 * A state with its targets: optionally declare `.spawns(...)`, then give its exec.
 *
 * @example
 * ```ts
 * .to('done').spawns('fetch').exec(({ jc }) => ({ state: 'done', jc, kicks: [{ state: 'fetch', jc }] }))
 * ```
 * @public
 */
export interface TargetsStep<AC, OC, JC, Declared extends string, Referenced extends string, S extends string, F extends string, R extends string, T extends string>
  extends ExecStep<AC, OC, JC, Declared, Referenced, S, F, R, T, never> {
  /**
   * The states this state's exec may kick child jobs into; kicking elsewhere does not compile.
   *
   * @example
   * ```ts
   * .spawns('fetch')
   * ```
   */
  spawns<K extends string>(...targets: [K, ...K[]]): ExecStep<AC, OC, JC, Declared, Referenced, S, F, R, T, K>;
}

/**
 * The last step of a state: its exec, typed so it may return only the state's `.to` targets and
 * kick only into its `.spawns` targets.
 *
 * @example
 * ```ts
 * .exec(async ({ jc, signal }) => ({ state: 'parse', jc: { ...jc, body: await get(jc.url, signal) } }))
 * ```
 * @public
 */
export interface ExecStep<
  AC,
  OC,
  JC,
  Declared extends string,
  Referenced extends string,
  S extends string,
  F extends string,
  R extends string,
  T extends string,
  K extends string,
> {
  /**
   * The function run for each job in this state. Receives `{ ac, oc, jc, job, signal }`, returns
   * (or resolves to) `{ state, jc, kicks?, error? }`.
   *
   * @example
   * ```ts
   * .exec(({ jc }) => ({ state: 'done', jc: { ...jc, n: jc.n + 1 } }))
   * ```
   */
  exec(fn: ExecFn<AC, OC, JC, T, K> & FailStateIsTarget<S, F, T> & RetryThenIsTarget<S, R, T>): WorkflowBuilder<AC, OC, JC, Declared | S, Referenced | T | K>;
}
