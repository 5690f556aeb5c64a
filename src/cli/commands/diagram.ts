import { writeFile } from 'node:fs/promises';
import { renderSvg } from '../../diagram/render-svg.js';
import { toDot } from '../../diagram/to-dot.js';
import { toMermaid } from '../../diagram/to-mermaid.js';
import { jobPath } from '../../diagram/job-path.js';
import { jobPathToDot } from '../../diagram/job-path-to-dot.js';
import { jobPathToMermaid } from '../../diagram/job-path-to-mermaid.js';
import { CliError } from '../cli-error.js';
import { loadWorkflows } from '../load-workflows.js';
import { openRun, runSource } from '../run-source.js';

export interface DiagramCommandOptions {
  readonly format: 'mermaid' | 'dot' | 'svg';
  readonly run?: string;
  /** With a PostgreSQL URL as `run`: the run's name there. */
  readonly runName?: string;
  readonly schema?: string;
  readonly output?: string;
  /** With `run`: draw this job's path through the states instead of the workflow. */
  readonly job?: string;
}

/** `jorb diagram`: a workflow as Mermaid, DOT or SVG, with a run's live counts when given one. */
export async function diagram(ref: string, options: DiagramCommandOptions, out: (line: string) => void): Promise<void> {
  const source = options.run === undefined ? undefined : runSource(options.run, { run: options.runName, schema: options.schema }, '--run-name');
  if (source === undefined && (options.runName !== undefined || options.schema !== undefined)) {
    throw new CliError(`${options.runName !== undefined ? '--run-name' : '--schema'} names a run in PostgreSQL: give its URL with --run postgres://…`);
  }
  if (options.job !== undefined && source === undefined) throw new CliError('--job draws a job of a run: give the run with --run <run file | postgres url>');
  const { workflows } = await loadWorkflows(ref);
  if (workflows.length > 1) throw new CliError(`${ref}: the module exports ${workflows.length} workflows (${workflows.map((w) => w.exportName).join(', ')}): name one as ${ref}#exportName`);
  const workflow = (workflows[0] as (typeof workflows)[number]).workflow;
  let run;
  if (source !== undefined) {
    const opened = await openRun(source, 'read');
    await opened.store.close();
    run = opened.run;
  }
  const diagramOptions = run ? { run } : {};
  const path = run !== undefined && options.job !== undefined ? jobPath(run, options.job, new Set(workflow.graph.states.filter((state) => state.join !== undefined).map((state) => state.name))) : undefined;
  if (run !== undefined && options.job !== undefined && path === undefined) throw new CliError(`${options.run}: run "${run.name}" has no job ${JSON.stringify(options.job)}`);
  const text = path
    ? options.format === 'mermaid'
      ? jobPathToMermaid(path)
      : options.format === 'dot'
        ? jobPathToDot(path)
        : await renderSvg(jobPathToDot(path))
    : options.format === 'mermaid'
      ? toMermaid(workflow, diagramOptions)
      : options.format === 'dot'
        ? toDot(workflow, diagramOptions)
        : await renderSvg(toDot(workflow, diagramOptions));
  if (options.output) await writeFile(options.output, text.endsWith('\n') ? text : `${text}\n`);
  else out(text.replace(/\n$/, ''));
}
