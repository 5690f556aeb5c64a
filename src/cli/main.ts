import { Command, InvalidArgumentError, Option } from 'commander';
import { lintWorkflow } from '../lint/lint-workflow.js';
import { type AnnotationFormat, formatLintFinding, formatTypeDiagnostic } from './annotations.js';
import { CliError } from './cli-error.js';
import { loadWorkflows, parseModuleRef } from './load-workflows.js';
import { typeCheck } from './type-check.js';

interface LintCommandOptions {
  readonly entry?: string[];
  readonly format: AnnotationFormat;
}

/** Runs `jorb lint`: prints one line per finding; true when there were any. */
async function lint(ref: string, options: LintCommandOptions, out: (line: string) => void): Promise<boolean> {
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

/** Runs `jorb check`: type errors first, then lint; true when there was any finding. */
async function check(ref: string, options: LintCommandOptions & { project?: string }, out: (line: string) => void): Promise<boolean> {
  const { file } = parseModuleRef(ref);
  await loadWorkflows(ref); // bad input (no file, no such export) is reported before any type error
  const diagnostics = await typeCheck(file, options.project);
  for (const d of diagnostics) out(formatTypeDiagnostic(d, options.format));
  // A module that does not type-check may still load (types are erased): lint it all the same.
  const linted = await lint(ref, options, out);
  return diagnostics.length > 0 || linted;
}

const formatOption = () =>
  new Option('--format <format>', 'text: file:line:col lines; github: GitHub workflow annotations').choices(['text', 'github']).default('text');

const collect = (value: string, previous: string[] | undefined) => {
  if (value.length === 0) throw new InvalidArgumentError('an entry state name cannot be empty');
  return [...(previous ?? []), value];
};

/** The `jorb` command line. Exit codes: 0 clean, 1 findings, 2 bad input. */
export function createProgram(out: (line: string) => void = (l) => console.log(l)): Command {
  const program = new Command('jorb').description('Check, lint and operate on jorb-ts workflows.').exitOverride();
  program
    .command('check')
    .description("Type-checks a module's workflows and lints them: for CI")
    .argument('<module>', 'a .ts or .js module exporting workflows, optionally #exportName')
    .option('--entry <state>', 'a state runs start in (repeatable; default: the first declared state)', collect)
    .option('--project <tsconfig>', 'the tsconfig.json to type-check with (default: the nearest one)')
    .addOption(formatOption())
    .addHelpText('after', '\nExamples:\n  jorb check src/crawl.ts\n  jorb check src/workflows.ts#crawl --format github\n\nExit codes: 0 clean, 1 findings, 2 bad input.')
    .action(async (ref: string, options: LintCommandOptions & { project?: string }) => {
      if (await check(ref, options, out)) process.exitCode = 1;
    });
  program
    .command('lint')
    .description('Finds what the type system cannot see: unreachable states, no path to a terminal state, self-loops with no way out, spawn cycles')
    .argument('<module>', 'a .ts or .js module exporting workflows, optionally #exportName')
    .option('--entry <state>', 'a state runs start in (repeatable; default: the first declared state)', collect)
    .addOption(formatOption())
    .addHelpText('after', '\nExamples:\n  jorb lint examples/quickstart.ts\n  jorb lint src/workflows.ts#crawl --entry fetch --entry reparse\n\nExit codes: 0 clean, 1 findings, 2 bad input.')
    .action(async (ref: string, options: LintCommandOptions) => {
      if (await lint(ref, options, out)) process.exitCode = 1;
    });
  return program;
}

/** Entry point of the `jorb` binary. */
export async function main(argv: readonly string[]): Promise<void> {
  try {
    await createProgram().parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (isCommanderExit(error)) {
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    process.stderr.write(`jorb: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  }
}

function isCommanderExit(error: unknown): error is { exitCode: number } {
  return typeof error === 'object' && error !== null && 'code' in error && String((error).code).startsWith('commander.');
}
