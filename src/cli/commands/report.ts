import { formatReport, reportRun } from '../../report/run-report.js';
import { CliError } from '../cli-error.js';
import { loadWorkflows } from '../load-workflows.js';
import { openRun, runSource, type RunSourceOptions } from '../run-source.js';

/**
 * `jorb report`: a run's summary, as text or JSON; states in a workflow's order when given one.
 * The run is a run file, or a run in PostgreSQL (a URL and `--run`), read without taking its lock.
 */
export async function report(file: string, options: { json?: boolean; workflow?: string } & RunSourceOptions, out: (line: string) => void): Promise<void> {
  const source = runSource(file, options);
  const workflow = options.workflow === undefined ? undefined : await oneWorkflow(options.workflow);
  const { store, run } = await openRun(source, 'read');
  await store.close();
  const summary = reportRun(run, workflow);
  out(options.json ? JSON.stringify(summary, null, 2) : formatReport(summary));
}

async function oneWorkflow(ref: string): Promise<{ readonly name: string; readonly states: readonly string[] }> {
  const { workflows } = await loadWorkflows(ref);
  if (workflows.length > 1) throw new CliError(`${ref}: the module exports ${workflows.length} workflows: name one as ${ref}#exportName`);
  const found = workflows[0]?.workflow;
  if (found === undefined) throw new CliError(`${ref}: no workflow in the module`);
  return found;
}
