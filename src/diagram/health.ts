import type { StateNode } from '../model/graph.js';
import type { StateMetrics } from './diagram-metrics.js';
import { checkOption, optional, wholeNumber } from '../model/check-option.js';

/**
 * How a state of a run is doing, as a diagram colours it: `idle` (grey: no job has been there),
 * `ok` (green), `warning` (amber: errors are piling up) or `failing` (red: jobs failed there).
 *
 * @example
 * ```ts
 * const health: StateHealth = stateHealth(metrics);
 * ```
 * @public
 */
export type StateHealth = 'idle' | 'ok' | 'warning' | 'failing';

/**
 * Options of {@link stateHealth}.
 *
 * @example
 * ```ts
 * stateHealth(metrics, { warnAtErrors: 10, failState: true });
 * ```
 * @public
 */
export interface HealthOptions {
  /**
   * How many jobs with errors in the state make it `warning`. Minimum: 1 (a whole number).
   * @defaultValue 1
   */
  readonly warnAtErrors?: number;
  /**
   * Whether the state is where failed jobs end up: a terminal state that is some state's timeout
   * `failState` or retry `then`. Jobs that reached it count as failed.
   * @defaultValue false
   */
  readonly failState?: boolean;
}

/**
 * The health of one state: `failing` when jobs failed there (or reached it, for a fail state),
 * else `warning` when at least `warnAtErrors` jobs recorded errors there, else `idle` when no job
 * is, was or passed there, else `ok`.
 *
 * @example
 * ```ts
 * stateHealth({ state: 'fetch', terminal: false, waiting: 3, executing: 1, committing: 0, completed: 0, failed: 0, errors: 2, visits: 9 });
 * // 'warning'
 * ```
 * @public
 */
export function stateHealth(metrics: StateMetrics, options: HealthOptions = {}): StateHealth {
  const warnAtErrors = checkOption('stateHealth', 'warnAtErrors', options.warnAtErrors, optional(wholeNumber(1))) ?? 1;
  if (metrics.failed > 0 || (options.failState === true && metrics.completed > 0)) return 'failing';
  if (metrics.errors >= warnAtErrors) return 'warning';
  const seen = metrics.waiting + metrics.executing + metrics.completed + metrics.visits + metrics.errors;
  return seen === 0 ? 'idle' : 'ok';
}

/**
 * The terminal states where failed jobs end up: each state's timeout `failState` and retry `then`,
 * when terminal.
 *
 * @example
 * ```ts
 * failStates(crawl.graph.states); // Set { 'fetch-failed' }
 * ```
 */
export function failStates(states: readonly Pick<StateNode, 'name' | 'terminal' | 'timeout' | 'retry'>[]): ReadonlySet<string> {
  const terminal = new Set(states.filter((s) => s.terminal).map((s) => s.name));
  const found = new Set<string>();
  for (const s of states) {
    for (const target of [s.timeout?.failState, s.retry?.then]) {
      if (target !== undefined && terminal.has(target)) found.add(target);
    }
  }
  return found;
}

/**
 * The fill, border and text colours of a node of each health.
 *
 * @example
 * ```ts
 * const { fill, stroke } = HEALTH_COLOURS.warning;
 * ```
 */
export const HEALTH_COLOURS: Readonly<Record<StateHealth, { readonly fill: string; readonly stroke: string; readonly text: string }>> = Object.freeze({
  idle: { fill: '#eeeeee', stroke: '#9e9e9e', text: '#616161' },
  ok: { fill: '#d7f0d8', stroke: '#2e7d32', text: '#1b3d1d' },
  warning: { fill: '#ffe8b0', stroke: '#b26a00', text: '#4d3000' },
  failing: { fill: '#f9d0d0', stroke: '#c62828', text: '#5c1010' },
});
