import type { ExecFn } from './transition.js';
import type { SourceLocation } from './source-location.js';
import type { RateLimiter } from './rate-limiter.js';
import type { HedgeOptions, RetryOptions, TimeoutOptions } from './state-options.js';

/**
 * A state of a compiled workflow graph.
 *
 * @example
 * ```ts
 * const fetch = crawl.graph.state('fetch');
 * console.log(fetch?.concurrency, fetch?.targets);
 * ```
 * @public
 */
export interface StateNode<AC = unknown, OC = unknown, JC = unknown> {
  /** The state's name. */
  readonly name: string;
  /** Its position in declaration order. */
  readonly index: number;
  /** Terminal states end a job's walk and have no exec. */
  readonly terminal: boolean;
  /** How many jobs execute at once; 0 for terminal states. */
  readonly concurrency: number;
  /** Whether kicks may lead back to this state on purpose (see `StateOptions.recursive`). */
  readonly recursive: boolean;
  /** The per-attempt time limit, if any. */
  readonly timeout?: TimeoutOptions;
  /** Retries when exec throws, if any. */
  readonly retry?: RetryOptions;
  /** The state's rate limiter, if any. */
  readonly rateLimit?: RateLimiter;
  /** Hedging of slow attempts, if any. */
  readonly hedge?: HedgeOptions;
  /** The states an exec may return, in declared order. */
  readonly targets: readonly string[];
  /** The states an exec may kick children into, in declared order. */
  readonly spawns: readonly string[];
  /** Where the state was declared, when the runtime could tell. */
  readonly source?: SourceLocation;
  /** The exec; absent on terminal states. */
  readonly exec?: ExecFn<AC, OC, JC>;
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
export type EdgeKind = 'transition' | 'spawn' | 'timeout-fail';

/**
 * An edge of a compiled workflow graph.
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
