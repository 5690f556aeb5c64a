import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { renderSvg } from '../../diagram/render-svg.js';
import { toDot } from '../../diagram/to-dot.js';
import { toMermaid } from '../../diagram/to-mermaid.js';
import { CliError } from '../cli-error.js';
import { openRunFile } from '../load-run-file.js';
import { loadWorkflows } from '../load-workflows.js';

export interface DiagramCommandOptions {
  readonly format: 'mermaid' | 'dot' | 'svg';
  readonly run?: string;
  readonly output?: string;
}

/** `jorb diagram`: a workflow as Mermaid, DOT or SVG, with a run's live counts when given one. */
export async function diagram(ref: string, options: DiagramCommandOptions, out: (line: string) => void): Promise<void> {
  const { workflows } = await loadWorkflows(ref);
  if (workflows.length > 1) throw new CliError(`${ref}: the module exports ${workflows.length} workflows (${workflows.map((w) => w.exportName).join(', ')}): name one as ${ref}#exportName`);
  const workflow = (workflows[0] as (typeof workflows)[number]).workflow;
  const run = options.run ? (await openRunFile(resolve(options.run), 'read')).run : undefined;
  const diagramOptions = run ? { run } : {};
  const text =
    options.format === 'mermaid'
      ? toMermaid(workflow, diagramOptions)
      : options.format === 'dot'
        ? toDot(workflow, diagramOptions)
        : await renderSvg(toDot(workflow, diagramOptions));
  if (options.output) await writeFile(options.output, text.endsWith('\n') ? text : `${text}\n`);
  else out(text.replace(/\n$/, ''));
}
