import type { Workflow } from '../model/workflow.js';
import type { EdgeKind, Graph } from '../model/graph.js';
import { diagramMetrics, type StateMetrics } from './diagram-metrics.js';
import type { DiagramOptions } from './diagram-options.js';
import { formatDuration } from './format-duration.js';
import { failStates, stateHealth, type StateHealth } from './health.js';
import { stateLabelLines } from './node-label.js';
import { checkOption, optional, wholeNumber } from '../model/check-option.js';
import { renderValue } from '../model/render-value.js';
import { match } from 'ts-pattern';

/** A state as both diagram formats draw it. */
export interface DiagramNode {
  /** `s0`, `s1`, … in declared order. */
  readonly id: string;
  /** The state's name, as declared. */
  readonly name: string;
  readonly terminal: boolean;
  /** The label, one display-text line each; the first is the name. */
  readonly lines: readonly string[];
  /** Present when the diagram shows a run. */
  readonly health?: StateHealth;
}

/** An edge as both diagram formats draw it. */
export interface DiagramEdge {
  readonly from: DiagramNode;
  readonly to: DiagramNode;
  readonly kind: EdgeKind;
  /** `spawn`, `timeout 30s`; none for a transition. */
  readonly label?: string;
}

/** What a diagram draws, in a stable order: states as declared, edges as the graph lists them. */
export interface DiagramModel {
  readonly title: string;
  readonly nodes: readonly DiagramNode[];
  readonly edges: readonly DiagramEdge[];
}

/**
 * Turns a workflow's graph (and a run's metrics, if given) into the nodes and edges both formats
 * draw. Throws a `TypeError` when given both `run` and `metrics`, or a bad `warnAtErrors`.
 *
 * @example
 * ```ts
 * const { nodes, edges } = diagramModel(crawl, { run });
 * ```
 */
export function diagramModel<AC, OC, JC, S extends string>(workflow: Workflow<AC, OC, JC, S>, options: DiagramOptions, caller: string): DiagramModel {
  if (options.run !== undefined && options.metrics !== undefined) {
    throw new TypeError(`${caller}: give either run or metrics, not both (metrics computed from a run already include it)`);
  }
  const warnAtErrors = checkOption(caller, 'warnAtErrors', options.warnAtErrors, optional(wholeNumber(1))) ?? 1;
  const graph = workflow.graph;
  const metrics = options.metrics ?? (options.run ? diagramMetrics(workflow, options.run) : undefined);
  const byState = metrics ? new Map<string, StateMetrics>(metrics.map((m) => [m.state, m])) : undefined;
  const failing = failStates(graph.states);
  const nodes = graph.states.map((state, i): DiagramNode => {
    const id = `s${i}`;
    const base = { id, name: state.name, terminal: state.terminal };
    if (!byState) return { ...base, lines: stateLabelLines(state) };
    const m = byState.get(state.name) ?? emptyMetrics(state.name, state.terminal);
    return { ...base, lines: stateLabelLines(state, m), health: stateHealth(m, { warnAtErrors, failState: failing.has(state.name) }) };
  });
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const edges = graph.edges.map((edge): DiagramEdge => {
    const from = byName.get(edge.from);
    const to = byName.get(edge.to);
    if (!from || !to) throw new Error(`${caller}: the graph has an edge between undeclared states ${renderValue(edge.from)} and ${renderValue(edge.to)}`);
    const label = edgeLabel(graph, edge.from, edge.kind);
    return label === undefined ? { from, to, kind: edge.kind } : { from, to, kind: edge.kind, label };
  });
  return { title: graph.name, nodes, edges };
}

function edgeLabel<AC, OC, JC>(graph: Graph<AC, OC, JC>, from: string, kind: EdgeKind): string | undefined {
  return match(kind)
    .with('transition', () => undefined)
    .with('spawn', () => 'spawn')
    .with('timeout-fail', () => {
      const ms = graph.state(from)?.timeout?.ms;
      return ms === undefined ? 'timeout' : `timeout ${formatDuration(ms)}`;
    })
    .with('join-fail', () => 'a child failed')
    .exhaustive();
}

function emptyMetrics(state: string, terminal: boolean): StateMetrics {
  return { state, terminal, waiting: 0, delayed: 0, joining: 0, executing: 0, committing: 0, completed: 0, failed: 0, errors: 0, visits: 0 };
}
