import { dotId, dotLabel } from './escape-dot.js';
import type { JobPath } from './job-path.js';
import { visitLines } from './job-path-to-mermaid.js';

/**
 * A job's path as Graphviz DOT (see {@link jobPathToMermaid}): the visits left to right, the
 * children it kicked hanging off the visit that kicked them.
 *
 * @example
 * ```ts
 * const path = jobPath(run, 'seed');
 * if (path) console.log(jobPathToDot(path));
 * ```
 */
export function jobPathToDot(path: JobPath): string {
  const lines = [`digraph ${dotId(`job ${path.id}`)} {`, '  rankdir=LR;', '  node [shape=box];'];
  if (path.truncated) lines.push(`  earlier [label=${dotLabel(['earlier visits', 'not kept'])}, style=dashed];`);
  path.visits.forEach((visit, i) => lines.push(`  v${i} [label=${dotLabel(visitLines(visit, i === path.visits.length - 1 ? path : undefined))}];`));
  if (path.truncated && path.visits.length > 0) lines.push('  earlier -> v0 [style=dashed];');
  for (let i = 0; i + 1 < path.visits.length; i++) lines.push(`  v${i} -> v${i + 1};`);
  path.children.forEach((child, i) => {
    lines.push(`  c${i} [label=${dotLabel([child.id, `${child.state}${child.failed ? ' (failed)' : ''}`])}, style=rounded];`);
    if (child.fromVisit !== undefined) lines.push(`  v${child.fromVisit} -> c${i} [style=dashed, label="kicked"];`);
    if (child.joinedBy !== undefined) lines.push(`  c${i} -> v${child.joinedBy} [style=dashed, label="joined"];`);
  });
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
