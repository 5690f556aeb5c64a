import type { ExecFn } from './transition.js';
import type { SourceLocation } from './source-location.js';
import type { RateLimiter } from './rate-limiter.js';
import type { AdaptiveConcurrency, HedgeOptions, JoinOptions, RetryOptions, TimeoutOptions } from './state-options.js';

/**
 * A state of a compiled workflow graph: a {@link TerminalStateNode}, where a job's walk ends, or a
 * {@link WorkingStateNode}, which runs an exec. Check `terminal` to tell them apart; the fields a
 * terminal state cannot have (`exec`, the policies) read `undefined` on it.
 *
 * @example
 * ```ts
 * const fetch = crawl.graph.state('fetch');
 * if (fetch !== undefined && !fetch.terminal) console.log(fetch.concurrency, fetch.targets, fetch.exec.name);
 * ```
 * @public
 */
export type StateNode<AC = unknown, OC = unknown, JC = unknown> = TerminalStateNode | WorkingStateNode<AC, OC, JC>;

/**
 * A terminal state of a compiled workflow graph: a job that reaches it is done. It has no exec,
 * no targets, no spawns and no policies.
 *
 * @example
 * ```ts
 * const done = crawl.graph.state('done');
 * if (done?.terminal) console.log(`${done.name} ends the walk`); // done.exec is undefined
 * ```
 * @public
 */
export interface TerminalStateNode {
  /** The state's name. */
  readonly name: string;
  /** Its position in declaration order. */
  readonly index: number;
  /** Always true: a terminal state ends a job's walk. */
  readonly terminal: true;
  /** Always 0: nothing executes in a terminal state. */
  readonly concurrency: 0;
  /** Always false. */
  readonly recursive: false;
  /** Always empty. */
  readonly targets: readonly string[];
  /** Always empty. */
  readonly spawns: readonly string[];
  /** Where the state was declared, when the runtime could tell. */
  readonly source?: SourceLocation;
  /** None: a terminal state has no exec. */
  readonly exec?: never;
  /** None. */
  readonly timeout?: never;
  /** None. */
  readonly retry?: never;
  /** None. */
  readonly rateLimit?: never;
  /** None. */
  readonly hedge?: never;
  /** None. */
  readonly join?: never;
  /** None. */
  readonly adaptive?: never;
}

/**
 * A state of a compiled workflow graph that runs an exec for each job in it, under its policies
 * (concurrency, rate limit, timeout, retry, hedge), and moves the job to one of its targets.
 *
 * @example
 * ```ts
 * const fetch = crawl.graph.state('fetch');
 * if (fetch && !fetch.terminal) console.log(fetch.concurrency, fetch.timeout?.ms, fetch.targets); // 8 200 ['parse', 'fetch-failed']
 * ```
 * @public
 */
export interface WorkingStateNode<AC = unknown, OC = unknown, JC = unknown> {
  /** The state's name. */
  readonly name: string;
  /** Its position in declaration order. */
  readonly index: number;
  /** Always false: the job moves on from here. */
  readonly terminal: false;
  /**
   * How many jobs execute at once (1 or more). With an adaptive limit (`concurrency: adaptive(…)`)
   * it is that limit's `max`, the most it may reach; `adaptive.current()` is the limit now.
   */
  readonly concurrency: number;
  /** Whether kicks may lead back to this state on purpose (see `StateOptions.recursive`). */
  readonly recursive: boolean;
  /** The states an exec may return, in declared order. */
  readonly targets: readonly string[];
  /** The states an exec may kick children into, in declared order. */
  readonly spawns: readonly string[];
  /** Where the state was declared, when the runtime could tell. */
  readonly source?: SourceLocation;
  /** The exec. */
  readonly exec: ExecFn<AC, OC, JC>;
  /** The per-attempt time limit, if any. */
  readonly timeout?: TimeoutOptions;
  /** Retries when exec throws, if any. */
  readonly retry?: RetryOptions;
  /** The state's rate limiter, if any. */
  readonly rateLimit?: RateLimiter;
  /** Hedging of slow attempts, if any. */
  readonly hedge?: HedgeOptions;
  /** Set when the state is a join: a job waits here until its children have settled (`{}` for `join: true`). */
  readonly join?: JoinOptions;
  /** The state's adaptive concurrency limit, when its `concurrency` is `adaptive(…)`. */
  readonly adaptive?: AdaptiveConcurrency;
}

/**
 * The kind of an edge: a transition an exec may return, a spawn (a kick of a child job), or the
 * route a timeout takes to its fail state.
 *
 * @example
 * ```ts
 * const solid = graph.edges.filter((e) => e.kind === 'transition');
 * ```
 * @public
 */
export type EdgeKind = 'transition' | 'spawn' | 'timeout-fail' | 'join-fail';

/**
 * An edge of a compiled workflow graph. (`join-fail`: where a join state sends a job whose child failed.)
 *
 * @example
 * ```ts
 * for (const { from, to, kind } of crawl.graph.edges) console.log(`${from} -${kind}-> ${to}`);
 * ```
 * @public
 */
export interface Edge {
  /** Where the edge starts. */
  readonly from: string;
  /** Where it ends. */
  readonly to: string;
  /** What it means. */
  readonly kind: EdgeKind;
}

/**
 * The plain, inspectable runtime graph a workflow compiles to: its states in declared order and
 * its edges by kind.
 *
 * @example
 * ```ts
 * console.log(crawl.graph.states.map((s) => s.name));
 * ```
 * @public
 */
export interface Graph<AC = unknown, OC = unknown, JC = unknown> {
  /** The workflow's name. */
  readonly name: string;
  /** Every state, in declared order. */
  readonly states: readonly StateNode<AC, OC, JC>[];
  /** Every edge: transitions, spawns and timeout routes. */
  readonly edges: readonly Edge[];
  /** Looks a state up by name. */
  state(name: string): StateNode<AC, OC, JC> | undefined;
}
