import { lintWorkflow } from '../../lint/lint-workflow.js';
import { type AnnotationFormat, formatDefinitionProblem, formatLintFinding, formatTypeDiagnostic } from '../annotations.js';
import { CliError } from '../cli-error.js';
import { DefinitionProblemsError } from '../definition-problems.js';
import { type LoadedWorkflow, loadWorkflows, parseModuleRef } from '../load-workflows.js';
import { ModuleImportError } from '../module-import-error.js';
import { typeCheck } from '../type-check.js';

export interface LintCommandOptions {
  readonly entry?: string[];
  readonly format: AnnotationFormat;
}

/**
 * `jorb lint`: one line per finding, or a one-line summary when there is none; true when there
 * were findings. A workflow whose `.build()` threw has its problems as findings.
 */
export async function lint(ref: string, options: LintCommandOptions, out: (line: string) => void): Promise<boolean> {
  let workflows: LoadedWorkflow[];
  try {
    ({ workflows } = await loadWorkflows(ref));
  } catch (error) {
    if (!(error instanceof DefinitionProblemsError)) throw error;
    for (const problem of error.problems) out(formatDefinitionProblem(problem, options.format));
    return true;
  }
  return lintLoaded(workflows, options, out, 0);
}

/**
 * `jorb check`: type errors first, then lint (or the problems `.build()` threw); true when there
 * was any finding. A module whose build throws, or that does not type-check, is still type-checked.
 */
export async function check(ref: string, options: LintCommandOptions & { project?: string }, out: (line: string) => void): Promise<boolean> {
  const { file } = parseModuleRef(ref);
  // Bad input (no file, no such export) is reported before any type error.
  let loaded: LoadedWorkflow[] | DefinitionProblemsError | ModuleImportError;
  try {
    loaded = (await loadWorkflows(ref)).workflows;
  } catch (error) {
    if (!(error instanceof DefinitionProblemsError) && !(error instanceof ModuleImportError)) throw error;
    loaded = error;
  }
  const diagnostics = await typeCheck(file, options.project);
  for (const d of diagnostics) out(formatTypeDiagnostic(d, options.format));
  // The import failed for a reason of its own (after the type errors that may explain it): bad input.
  if (loaded instanceof ModuleImportError) throw loaded;
  if (loaded instanceof DefinitionProblemsError) {
    for (const problem of loaded.problems) out(formatDefinitionProblem(problem, options.format));
    return true;
  }
  // A module that does not type-check may still load (types are erased): lint it all the same.
  return lintLoaded(loaded, options, out, diagnostics.length);
}

function lintLoaded(workflows: readonly LoadedWorkflow[], options: LintCommandOptions, out: (line: string) => void, earlier: number): boolean {
  let findings = earlier;
  for (const { workflow } of workflows) {
    const found = safeLint(workflow, options.entry);
    for (const finding of found) out(formatLintFinding(finding, options.format));
    findings += found.length;
  }
  if (findings === 0) out(summary(workflows));
  return findings > 0;
}

/** `1 workflow, 5 states: no findings`. */
function summary(workflows: readonly LoadedWorkflow[]): string {
  const states = workflows.reduce((sum, { workflow }) => sum + workflow.graph.states.length, 0);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${plural(workflows.length, 'workflow')}, ${plural(states, 'state')}: no findings`;
}

function safeLint(workflow: Parameters<typeof lintWorkflow>[0], entries: string[] | undefined) {
  try {
    return lintWorkflow(workflow, entries ? { entries } : {});
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error));
  }
}
