import type { Run } from '../model/run.js';
import type { StateMetrics } from './diagram-metrics.js';

/**
 * Options of {@link toDot} and {@link toMermaid}. Without `run` or `metrics` a diagram shows the
 * workflow's definition; with either, each state also shows its counts, errors and mean duration,
 * coloured by health (see {@link stateHealth}).
 *
 * @example
 * ```ts
 * toMermaid(crawl, { run, warnAtErrors: 5 });
 * toDot(crawl, { metrics: diagramMetrics(crawl, run, { statuses: live }) });
 * ```
 * @public
 */
export interface DiagramOptions {
  /** A run of the workflow: its metrics are computed with {@link diagramMetrics}. Give `run` or `metrics`, not both. */
  readonly run?: Run<unknown, unknown>;
  /** Metrics computed beforehand (for example with live statuses), matched to states by name. */
  readonly metrics?: readonly StateMetrics[];
  /**
   * How many jobs with errors in a state make it amber. Minimum: 1 (a whole number).
   * @defaultValue 1
   */
  readonly warnAtErrors?: number;
}
