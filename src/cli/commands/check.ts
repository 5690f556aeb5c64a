import { lintWorkflow } from '../../lint/lint-workflow.js';
import { type AnnotationFormat, formatLintFinding, formatTypeDiagnostic } from '../annotations.js';
import { CliError } from '../cli-error.js';
import { loadWorkflows, parseModuleRef } from '../load-workflows.js';
import { typeCheck } from '../type-check.js';

export interface LintCommandOptions {
  readonly entry?: string[];
  readonly format: AnnotationFormat;
}

/** `jorb lint`: prints one line per finding; true when there were any. */
export async function lint(ref: string, options: LintCommandOptions, out: (line: string) => void): Promise<boolean> {
  const { workflows } = await loadWorkflows(ref);
  let found = false;
  for (const { workflow } of workflows) {
    const findings = safeLint(workflow, options.entry);
    for (const finding of findings) out(formatLintFinding(finding, options.format));
    found ||= findings.length > 0;
  }
  return found;
}

function safeLint(workflow: Parameters<typeof lintWorkflow>[0], entries: string[] | undefined) {
  try {
    return lintWorkflow(workflow, entries ? { entries } : {});
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error));
  }
}

/** `jorb check`: type errors first, then lint; true when there was any finding. */
export async function check(ref: string, options: LintCommandOptions & { project?: string }, out: (line: string) => void): Promise<boolean> {
  const { file } = parseModuleRef(ref);
  await loadWorkflows(ref); // bad input (no file, no such export) is reported before any type error
  const diagnostics = await typeCheck(file, options.project);
  for (const d of diagnostics) out(formatTypeDiagnostic(d, options.format));
  // A module that does not type-check may still load (types are erased): lint it all the same.
  const linted = await lint(ref, options, out);
  return diagnostics.length > 0 || linted;
}
