import type { Workflow } from '../model/workflow.js';
import type { DiagramOptions } from './diagram-options.js';
import { diagramModel, type DiagramEdge, type DiagramNode } from './diagram-model.js';
import { dotId, dotLabel } from './escape-dot.js';
import { HEALTH_COLOURS } from './health.js';
import { match } from 'ts-pattern';

const FONT = '"Helvetica,Arial,sans-serif"';
const TIMEOUT_COLOUR = '"#c62828"';

/**
 * A Graphviz DOT diagram of a workflow: every state in declared order, each labelled with its
 * policies (concurrency, rate limit, timeout, retry, hedge), terminal states as double circles;
 * transitions solid, spawns dashed, timeout routes labelled (`timeout 30s`) in red. Given a `run`
 * or `metrics`, each state also shows its counts, errors and mean duration, filled by health:
 * green, amber when jobs record errors there, red when jobs failed there, grey when idle.
 *
 * Names are quoted DOT IDs, so any name works; the output depends only on the workflow (and run),
 * so it can be committed and diffed. Render it with `dot -Tsvg crawl.dot > crawl.svg`.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * writeFileSync('crawl.dot', toDot(crawl));
 * writeFileSync('crawl-run.dot', toDot(crawl, { run }));
 * ```
 * @public
 */
export function toDot<AC, OC, JC, S extends string>(workflow: Workflow<AC, OC, JC, S>, options: DiagramOptions = {}): string {
  const model = diagramModel(workflow, options, 'toDot');
  const lines = [
    `digraph ${dotId(model.title)} {`,
    `  graph [rankdir=LR, label=${dotLabel([model.title])}, labelloc=t, fontname=${FONT}];`,
    `  node [shape=box, style=rounded, fontname=${FONT}, fontsize=11];`,
    `  edge [fontname=${FONT}, fontsize=10];`,
    ...model.nodes.map(dotNode),
    ...model.edges.map(dotEdge),
    '}',
  ];
  return `${lines.join('\n')}\n`;
}

function dotNode(node: DiagramNode): string {
  const attributes = [`label=${dotLabel(node.lines)}`];
  if (node.terminal) attributes.push('shape=doublecircle');
  if (node.health !== undefined) {
    const colours = HEALTH_COLOURS[node.health];
    attributes.push(`style=${node.terminal ? 'filled' : '"rounded,filled"'}`, `fillcolor="${colours.fill}"`, `color="${colours.stroke}"`, `fontcolor="${colours.text}"`);
  }
  return `  ${dotId(node.name)} [${attributes.join(', ')}];`;
}

function dotEdge(edge: DiagramEdge): string {
  const label = edge.label === undefined ? [] : [`label=${dotLabel([edge.label])}`];
  const attributes = match(edge.kind)
    .with('transition', () => label)
    .with('spawn', () => ['style=dashed', ...label])
    .with('timeout-fail', 'join-fail', () => [...label, `color=${TIMEOUT_COLOUR}`, `fontcolor=${TIMEOUT_COLOUR}`])
    .exhaustive();
  const tail = attributes.length > 0 ? ` [${attributes.join(', ')}]` : '';
  return `  ${dotId(edge.from.name)} -> ${dotId(edge.to.name)}${tail};`;
}
