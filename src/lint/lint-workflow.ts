import type { Graph, StateNode } from '../model/graph.js';
import type { LintFinding, LintRule } from './lint-finding.js';
import { renderValue } from '../model/render-value.js';

/**
 * Options of {@link lintWorkflow}.
 *
 * @example
 * ```ts
 * lintWorkflow(crawl, { entries: ['fetch', 'reparse'] });
 * ```
 * @public
 */
export interface LintOptions {
  /** States a run starts its jobs in. @defaultValue the first declared state */
  readonly entries?: readonly string[];
}

/**
 * Finds what the type system cannot see in a workflow's graph: unreachable states, states with no
 * path to a terminal state, self-loops with no way out, and spawn cycles. Returns findings in
 * declared state order; an empty list means the workflow is clean.
 *
 * @example
 * ```ts
 * const findings = lintWorkflow(crawl);
 * if (findings.length > 0) process.exitCode = 1;
 * ```
 * @public
 */
export function lintWorkflow<AC, OC, JC>(workflow: { readonly graph: Graph<AC, OC, JC> }, options: LintOptions = {}): LintFinding[] {
  // Lint reads names and edges only: the contexts do not matter here.
  const graph = workflow.graph as unknown as Graph;
  const first = graph.states[0]?.name;
  const entries = options.entries ?? (first === undefined ? [] : [first]);
  const unknownEntry = entries.find((e) => graph.state(e) === undefined);
  if (unknownEntry !== undefined) throw new Error(`lint: entry state ${renderValue(unknownEntry)} is not a state of workflow ${renderValue(graph.name)}`);

  const reachable = reach(graph, entries, () => true);
  const findings: LintFinding[] = [];
  const report = (node: StateNode, rule: LintRule, message: string) =>
    findings.push({ rule, workflow: graph.name, state: node.name, message, ...(node.source ? { source: node.source } : {}) });

  for (const node of graph.states) {
    if (!reachable.has(node.name)) report(node, 'unreachable', `no path leads here from ${describeEntries(entries)}`);
    if (node.terminal) continue;
    if (node.targets.length > 0 && node.targets.every((t) => t === node.name)) {
      report(node, 'self-loop-no-exit', `its only target is itself: a job here can never leave`);
    } else if (![...reach(graph, [node.name], (e) => e.kind !== 'spawn')].some((s) => graph.state(s)?.terminal)) {
      report(node, 'no-terminal-path', `no path leads from here to a terminal state: its jobs can never finish`);
    }
    if (node.recursive) continue;
    for (const spawned of node.spawns) {
      if (!reach(graph, [spawned], () => true).has(node.name)) continue;
      const how = spawned === node.name ? 'kicks jobs into itself' : `kicks jobs into ${renderValue(spawned)}, which leads back here`;
      report(node, 'spawn-cycle', `${how}: jobs may kick jobs without end; if the data bounds it (a tree, kick keys), declare the state with { recursive: true }`);
    }
  }
  return findings;
}

/** Every state reachable from `from` (included) along edges that `follow` accepts. */
function reach(graph: Graph, from: readonly string[], follow: (edge: Graph['edges'][number]) => boolean): Set<string> {
  const seen = new Set<string>(from);
  const todo = [...from];
  for (let name = todo.pop(); name !== undefined; name = todo.pop()) {
    for (const edge of graph.edges) {
      if (edge.from !== name || seen.has(edge.to) || !follow(edge)) continue;
      seen.add(edge.to);
      todo.push(edge.to);
    }
  }
  return seen;
}

function describeEntries(entries: readonly string[]): string {
  return entries.length === 1 ? `the entry state ${renderValue(entries[0] ?? '')}` : `the entry states ${entries.map(renderValue).join(', ')}`;
}
