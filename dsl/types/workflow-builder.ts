import type { Workflow } from '../../src/model/workflow.js';
import type { ExecFn } from '../../src/model/transition.js';
import type { StateOptions } from '../../src/model/state-options.js';
import type { DuplicateStateMessage, NewTerminalName } from './duplicate-state.js';
import type { NoSpawnsMessage } from './kick-targets.js';
import type { MissingBuildMessage } from './missing-build.js';
import type { MissingExecMessage, MissingTargetsMessage } from './missing-exec.js';
import type { PolicyStatesAreTargets } from './policy-targets.js';
import type { TypeMessage } from './type-message.js';
import type { AllStatesDeclared } from './undeclared-states.js';

/**
 * The typed fluent builder of a workflow. It tracks two unions: the states declared so far and
 * the states referenced as targets; `.build()` compiles only when the second is covered by the
 * first. Every step's cost is constant, and any builder value can be continued in a later
 * statement, which is how workflows of hundreds of states are written.
 *
 * The step types carry as few type parameters as the checks need, because each one is paid
 * for at every state: a type parameter of a generic method (`.state`, `.to`) costs about 8 type
 * instantiations per call to infer, and one of the builder about 1 per mention; a type alias
 * costs its arguments too, which is why `.state()` writes `NewStateName`'s condition (jorb-ts/types) out
 * (`npm run bench:types` prints the count per state).
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
  state<S extends string, P extends string = never>(
    name: S extends Declared ? DuplicateStateMessage : S,
    options?: StateOptions<P, P>,
  ): StateStep<AC, OC, JC, Declared | S, Referenced, S, P>;

  /**
   * Declares terminal states: jobs that reach them are finished. Terminal states have no exec.
   *
   * @example
   * ```ts
   * .terminal('done', 'fetch-failed')
   * ```
   */
  terminal<const N extends readonly [string, ...string[]]>(
    ...names: { [I in keyof N]: NewTerminalName<N, I, Declared> }
  ): WorkflowBuilder<AC, OC, JC, Declared | N[number], Referenced>;

  /**
   * Compiles the workflow. Callable only when every state used as a target is declared;
   * otherwise its type is a sentence naming each missing state, and calling it reports
   * `This expression is not callable. Type 'TypeMessage<"State 'prase' is a target but is never declared: …">' has no call signatures.`
   *
   * @example
   * ```ts
   * export const crawl = builder.terminal('done').build();
   * ```
   */
  readonly build: AllStatesDeclared<Declared, Referenced, () => Workflow<AC, OC, JC, Declared>>;

  /** Not a member: a builder is not a workflow until `.build()`. Typed as the sentence the compiler then prints. */
  readonly newRun: TypeMessage<MissingBuildMessage>;
  /** Not a member: a builder is not a workflow until `.build()`. Typed as the sentence the compiler then prints. */
  readonly graph: TypeMessage<MissingBuildMessage>;
  /** Not a member: a builder is not a workflow until `.build()`. Typed as the sentence the compiler then prints. */
  readonly name: TypeMessage<MissingBuildMessage>;
  /** Not a member: a builder is not a workflow until `.build()`. Typed as the sentence the compiler then prints. */
  readonly states: TypeMessage<MissingBuildMessage>;
}

/**
 * A state just declared: name where its exec may go. `Declared` already includes `S`; `P` is the
 * union of the states its timeout and retry send jobs to, which must be among its targets.
 *
 * @example
 * ```ts
 * .state('fetch').to('parse', 'fetch-failed')
 * ```
 * @public
 */
export interface StateStep<AC, OC, JC, Declared extends string, Referenced extends string, S extends string, P extends string> {
  /**
   * The states this state's exec may return, and nothing else: returning another state does not
   * compile. Naming the same or an earlier state is how loops and retries are written.
   *
   * Returns a {@link TargetsStep}, written out rather than named: a named type's 8 type arguments
   * would be instantiated at every state (8 type instantiations per state, measured by
   * `npm run bench:types`); test-d/step-types.test-d.ts proves the two are the same type.
   *
   * @example
   * ```ts
   * .to('parse', 'fetch', 'fetch-failed')
   * ```
   */
  to<T extends string>(
    target: T,
    ...more: T[]
  ): {
    /**
     * The states this state's exec may kick child jobs into; kicking elsewhere does not compile.
     *
     * @example
     * ```ts
     * .spawns('fetch')
     * ```
     */
    spawns<K extends string>(
      target: K,
      ...more: K[]
    ): {
      /**
       * The function run for each job in this state. Receives `{ ac, oc, jc, job, signal }`,
       * returns (or resolves to) `{ state, jc, kicks?, error? }`, `state` one of the `.to(...)`
       * targets, each kick's `state` one of the `.spawns(...)` targets.
       *
       * @example
       * ```ts
       * .exec(({ jc }) => ({ state: 'done', jc, kicks: [{ state: 'fetch', jc }] }))
       * ```
       */
      exec(fn: ExecFn<AC, OC, JC, T, K> & PolicyStatesAreTargets<S, P, T>): WorkflowBuilder<AC, OC, JC, Declared, Referenced | T | K>;
      /** Not a call to make here: `.exec(fn)` comes first. Typed so the compiler says so at the name, and the chain after it still checks. */
      state<S2 extends string, P2 extends string = never>(
        name: S2 & TypeMessage<MissingExecMessage<S>>,
        options?: StateOptions<P2, P2>,
      ): StateStep<AC, OC, JC, Declared | S2, Referenced | T | K, S2, P2>;
      /** Not a call to make here: `.exec(fn)` comes first. Typed so the compiler says so at the first name. */
      terminal<const N extends readonly [string, ...string[]]>(
        ...names: { [I in keyof N]: N[I] & TypeMessage<MissingExecMessage<S>> }
      ): WorkflowBuilder<AC, OC, JC, Declared | N[number], Referenced | T | K>;
      /** Not a call to make here: `.exec(fn)` comes first. Typed as the sentence the compiler then prints. */
      readonly build: TypeMessage<MissingExecMessage<S>>;
    };

    /**
     * The function run for each job in this state. Receives `{ ac, oc, jc, job, signal }`, returns
     * (or resolves to) `{ state, jc, kicks?, error? }` with `state` one of the `.to(...)` targets.
     *
     * @example
     * ```ts
     * .exec(({ jc }) => ({ state: 'done', jc: { ...jc, n: jc.n + 1 } }))
     * ```
     */
    exec(fn: ExecFn<AC, OC, JC, T, NoSpawnsMessage> & PolicyStatesAreTargets<S, P, T>): WorkflowBuilder<AC, OC, JC, Declared, Referenced | T>;
    /** Not a call to make here: `.exec(fn)` comes first. Typed so the compiler says so at the name, and the chain after it still checks. */
    state<S2 extends string, P2 extends string = never>(
      name: S2 & TypeMessage<MissingExecMessage<S>>,
      options?: StateOptions<P2, P2>,
    ): StateStep<AC, OC, JC, Declared | S2, Referenced | T, S2, P2>;
    /** Not a call to make here: `.exec(fn)` comes first. Typed so the compiler says so at the first name. */
    terminal<const N extends readonly [string, ...string[]]>(
      ...names: { [I in keyof N]: N[I] & TypeMessage<MissingExecMessage<S>> }
    ): WorkflowBuilder<AC, OC, JC, Declared | N[number], Referenced | T>;
    /** Not a call to make here: `.exec(fn)` comes first. Typed as the sentence the compiler then prints. */
    readonly build: TypeMessage<MissingExecMessage<S>>;
  };

  /** Not a call to make here: `.to(...)` comes first. Typed so the compiler says so at the exec, which is still checked. */
  exec(fn: ExecFn<AC, OC, JC> & TypeMessage<MissingTargetsMessage<S>>): WorkflowBuilder<AC, OC, JC, Declared, Referenced>;
  /** Not a call to make here: `.to(...)` and `.exec(fn)` come first. Typed so the compiler says so at the name. */
  state<S2 extends string, P2 extends string = never>(
    name: S2 & TypeMessage<MissingTargetsMessage<S>>,
    options?: StateOptions<P2, P2>,
  ): StateStep<AC, OC, JC, Declared | S2, Referenced, S2, P2>;
  /** Not a call to make here: `.to(...)` and `.exec(fn)` come first. Typed so the compiler says so at the first name. */
  terminal<const N extends readonly [string, ...string[]]>(
    ...names: { [I in keyof N]: N[I] & TypeMessage<MissingTargetsMessage<S>> }
  ): WorkflowBuilder<AC, OC, JC, Declared | N[number], Referenced>;
  /** Not a call to make here: `.to(...)` and `.exec(fn)` come first. Typed as the sentence the compiler then prints. */
  readonly build: TypeMessage<MissingTargetsMessage<S>>;
}

/**
 * A state with its targets, as `.to(...)` returns it: optionally declare `.spawns(...)`, then give
 * its exec. (`.to(...)` writes this type out instead of naming it; they are the same type.)
 *
 * @example
 * ```ts
 * const step: TargetsStep<AC, OC, JC, 'parse', 'parse', 'parse', never, 'done'> = head.state('parse').to('done');
 * step.spawns('fetch').exec(({ jc }) => ({ state: 'done', jc, kicks: [{ state: 'fetch', jc }] }));
 * ```
 * @public
 */
export type TargetsStep<AC, OC, JC, Declared extends string, Referenced extends string, S extends string, P extends string, T extends string> = {
  /** The states this state's exec may kick child jobs into; kicking elsewhere does not compile. */
  spawns<K extends string>(target: K, ...more: K[]): ExecStep<AC, OC, JC, Declared, Referenced, S, P, T, K>;
  /** The function run for each job in this state; it may return only the `.to(...)` targets. */
  exec(fn: ExecFn<AC, OC, JC, T, NoSpawnsMessage> & PolicyStatesAreTargets<S, P, T>): WorkflowBuilder<AC, OC, JC, Declared, Referenced | T>;
  /** Not a call to make here: `.exec(fn)` comes first. Typed so the compiler says so at the name, and the chain after it still checks. */
  state<S2 extends string, P2 extends string = never>(
    name: S2 & TypeMessage<MissingExecMessage<S>>,
    options?: StateOptions<P2, P2>,
  ): StateStep<AC, OC, JC, Declared | S2, Referenced | T, S2, P2>;
  /** Not a call to make here: `.exec(fn)` comes first. Typed so the compiler says so at the first name. */
  terminal<const N extends readonly [string, ...string[]]>(
    ...names: { [I in keyof N]: N[I] & TypeMessage<MissingExecMessage<S>> }
  ): WorkflowBuilder<AC, OC, JC, Declared | N[number], Referenced | T>;
  /** Not a call to make here: `.exec(fn)` comes first. Typed as the sentence the compiler then prints. */
  readonly build: TypeMessage<MissingExecMessage<S>>;
};

/**
 * The last step of a state, as `.spawns(...)` returns it: its exec, typed so it may return only the
 * state's `.to` targets and kick only into its `.spawns` targets.
 *
 * @example
 * ```ts
 * const step: ExecStep<AC, OC, JC, 'parse', never, 'parse', never, 'done', 'fetch'> = workflow<AC, OC, JC>('c').state('parse').to('done').spawns('fetch');
 * ```
 * @public
 */
export type ExecStep<
  AC,
  OC,
  JC,
  Declared extends string,
  Referenced extends string,
  S extends string,
  P extends string,
  T extends string,
  K extends string,
> = {
  /** The function run for each job in this state; it may return only the `.to(...)` targets and kick only into the `.spawns(...)` ones. */
  exec(fn: ExecFn<AC, OC, JC, T, K> & PolicyStatesAreTargets<S, P, T>): WorkflowBuilder<AC, OC, JC, Declared, Referenced | T | K>;
  /** Not a call to make here: `.exec(fn)` comes first. Typed so the compiler says so at the name, and the chain after it still checks. */
  state<S2 extends string, P2 extends string = never>(
    name: S2 & TypeMessage<MissingExecMessage<S>>,
    options?: StateOptions<P2, P2>,
  ): StateStep<AC, OC, JC, Declared | S2, Referenced | T | K, S2, P2>;
  /** Not a call to make here: `.exec(fn)` comes first. Typed so the compiler says so at the first name. */
  terminal<const N extends readonly [string, ...string[]]>(
    ...names: { [I in keyof N]: N[I] & TypeMessage<MissingExecMessage<S>> }
  ): WorkflowBuilder<AC, OC, JC, Declared | N[number], Referenced | T | K>;
  /** Not a call to make here: `.exec(fn)` comes first. Typed as the sentence the compiler then prints. */
  readonly build: TypeMessage<MissingExecMessage<S>>;
};
