import { mermaidLabel, mermaidTitle } from './escape-mermaid.js';
import { formatDuration } from './format-duration.js';
import type { JobPath } from './job-path.js';

/**
 * A job's path as a Mermaid flowchart: one node per visit, left to right, with the time it entered
 * the state and how long it stayed there, and the children it kicked below the visit that kicked
 * them.
 *
 * @example
 * ```ts
 * const path = jobPath(run, 'seed');
 * if (path) console.log(jobPathToMermaid(path));
 * ```
 */
export function jobPathToMermaid(path: JobPath): string {
  const lines = ['---', `title: ${mermaidTitle(`job ${path.id}`)}`, '---', 'flowchart LR'];
  if (path.truncated) lines.push(`  earlier[${mermaidLabel(['earlier visits', 'not kept'])}]`);
  path.visits.forEach((visit, i) => lines.push(`  v${i}[${mermaidLabel(visitLines(visit, i === path.visits.length - 1 ? path : undefined))}]`));
  if (path.truncated && path.visits.length > 0) lines.push('  earlier -.-> v0');
  for (let i = 0; i + 1 < path.visits.length; i++) lines.push(`  v${i} --> v${i + 1}`);
  path.children.forEach((child, i) => {
    lines.push(`  c${i}[${mermaidLabel([child.id, `${child.state}${child.failed ? ' (failed)' : ''}`])}]`);
    if (child.fromVisit !== undefined) lines.push(`  v${child.fromVisit} -.->|"kicked"| c${i}`);
    if (child.joinedBy !== undefined) lines.push(`  c${i} -.->|"joined"| v${child.joinedBy}`);
  });
  return `${lines.join('\n')}\n`;
}

/** A visit's label: the state, when the job entered it, how long it stayed (or that it is there now). */
export function visitLines(visit: JobPath['visits'][number], current: JobPath | undefined): string[] {
  const lines = [visit.join ? `${visit.state} (join)` : visit.state, new Date(visit.start).toISOString()];
  if (visit.durationMs !== undefined) lines.push(formatDuration(visit.durationMs));
  else lines.push(current?.failed ? 'here now, failed' : 'here now');
  if (visit.dueAt !== undefined) lines.push(`delayed until ${new Date(visit.dueAt).toISOString()}`);
  if (visit.note !== undefined) lines.push(visit.note);
  return lines;
}
