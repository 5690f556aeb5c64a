import { resolve } from 'node:path';
import { formatReport, reportRun } from '../../report/run-report.js';
import { CliError } from '../cli-error.js';
import { openRunFile } from '../load-run-file.js';
import { loadWorkflows } from '../load-workflows.js';

/** `jorb report`: a run's summary, as text or JSON; states in a workflow's order when given one. */
export async function report(file: string, options: { json?: boolean; workflow?: string }, out: (line: string) => void): Promise<void> {
  const workflow = options.workflow === undefined ? undefined : await oneWorkflow(options.workflow);
  const { store, run } = await openRunFile(resolve(file), 'read');
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
