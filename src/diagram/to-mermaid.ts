import type { Workflow } from '../model/workflow.js';
import type { DiagramOptions } from './diagram-options.js';
import { diagramModel, type DiagramEdge, type DiagramNode } from './diagram-model.js';
import { mermaidLabel, mermaidTitle } from './escape-mermaid.js';
import { HEALTH_COLOURS, type StateHealth } from './health.js';

const HEALTH_ORDER: readonly StateHealth[] = ['ok', 'warning', 'failing', 'idle'];
const HEALTH_CLASS: Readonly<Record<StateHealth, string>> = { ok: 'healthOk', warning: 'healthWarning', failing: 'healthFailing', idle: 'healthIdle' };
const TIMEOUT_COLOUR = '#c62828';

/**
 * A Mermaid flowchart of a workflow: every state in declared order as a rounded node labelled with
 * its policies (concurrency, rate limit, timeout, retry, hedge), terminal states as double circles;
 * transitions solid, spawns dashed, timeout routes labelled (`timeout 30s`) in red. Given a `run`
 * or `metrics`, each state also shows its counts, errors and mean duration, coloured by health:
 * green, amber when jobs record errors there, red when jobs failed there, grey when idle.
 *
 * Nodes get generated ids (`s0`, `s1`, … in declared order) and the name goes in a quoted label
 * with Mermaid entity codes (`#quot;`), so names such as `end`, `a --> b` or `"quoted"` are safe.
 * The workflow's name is the diagram's title. The output depends only on the workflow (and run),
 * so it can be committed and diffed; paste it in a fenced `mermaid` block of a Markdown file.
 *
 * @example
 * ```ts
 * const markdown = ['```mermaid', toMermaid(crawl, { run }), '```'].join('\n');
 * ```
 * @public
 */
export function toMermaid<AC, OC, JC, S extends string>(workflow: Workflow<AC, OC, JC, S>, options: DiagramOptions = {}): string {
  const model = diagramModel(workflow, options, 'toMermaid');
  const lines = ['---', `title: ${mermaidTitle(model.title)}`, '---', 'flowchart LR'];
  lines.push(...model.nodes.map(mermaidNode));
  lines.push(...model.edges.map(mermaidEdge));
  for (const health of HEALTH_ORDER) {
    const ids = model.nodes.filter((n) => n.health === health).map((n) => n.id);
    if (ids.length === 0) continue;
    const { fill, stroke, text } = HEALTH_COLOURS[health];
    lines.push(`  classDef ${HEALTH_CLASS[health]} fill:${fill},stroke:${stroke},color:${text}`, `  class ${ids.join(',')} ${HEALTH_CLASS[health]}`);
  }
  const timeouts = model.edges.flatMap((e, i) => (e.kind === 'timeout-fail' || e.kind === 'join-fail' ? [i] : []));
  if (timeouts.length > 0) lines.push(`  linkStyle ${timeouts.join(',')} stroke:${TIMEOUT_COLOUR},color:${TIMEOUT_COLOUR}`);
  return `${lines.join('\n')}\n`;
}

function mermaidNode(node: DiagramNode): string {
  const label = mermaidLabel(node.lines);
  return node.terminal ? `  ${node.id}(((${label})))` : `  ${node.id}(${label})`;
}

function mermaidEdge(edge: DiagramEdge): string {
  const arrow = edge.kind === 'spawn' ? '-.->' : '-->';
  const label = edge.label === undefined ? '' : `|${mermaidLabel([edge.label])}|`;
  return `  ${edge.from.id} ${arrow}${label} ${edge.to.id}`;
}
