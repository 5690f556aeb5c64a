import { Command, InvalidArgumentError, Option } from 'commander';
import { check, type LintCommandOptions, lint } from './commands/check.js';
import { type DiagramCommandOptions, diagram } from './commands/diagram.js';
import { type RedriveCommandOptions, redrive } from './commands/redrive.js';
import { report } from './commands/report.js';
import { seal } from './commands/seal.js';

const formatOption = () =>
  new Option('--format <format>', 'text: file:line:col lines; github: GitHub workflow annotations').choices(['text', 'github']).default('text');

const collect = (value: string, previous: string[] | undefined) => {
  if (value.length === 0) throw new InvalidArgumentError('an entry state name cannot be empty');
  return [...(previous ?? []), value];
};

const EXIT_CODES = '\nExit codes: 0 done, 1 findings, 2 bad input (nothing modified).';

/** The `jorb` command line. Exit codes: 0 clean, 1 findings, 2 bad input. */
export function createProgram(out: (line: string) => void = (l) => console.log(l)): Command {
  const program = new Command('jorb').description('Check, lint and operate on jorb-ts workflows and runs.').exitOverride();
  program
    .command('check')
    .description("Type-checks a module's workflows and lints them: for CI")
    .argument('<module>', 'a .ts or .js module exporting workflows, optionally #exportName')
    .option('--entry <state>', 'a state runs start in (repeatable; default: the first declared state)', collect)
    .option('--project <tsconfig>', 'the tsconfig.json to type-check with (default: the nearest one)')
    .addOption(formatOption())
    .addHelpText('after', `\nExamples:\n  jorb check src/crawl.ts\n  jorb check src/workflows.ts#crawl --format github\n${EXIT_CODES}`)
    .action(async (ref: string, options: LintCommandOptions & { project?: string }) => {
      if (await check(ref, options, out)) process.exitCode = 1;
    });
  program
    .command('lint')
    .description('Finds what the type system cannot see: unreachable states, no path to a terminal state, self-loops with no way out, spawn cycles')
    .argument('<module>', 'a .ts or .js module exporting workflows, optionally #exportName')
    .option('--entry <state>', 'a state runs start in (repeatable; default: the first declared state)', collect)
    .addOption(formatOption())
    .addHelpText('after', `\nExamples:\n  jorb lint examples/quickstart.ts\n  jorb lint src/workflows.ts#crawl --entry fetch --entry reparse\n${EXIT_CODES}`)
    .action(async (ref: string, options: LintCommandOptions) => {
      if (await lint(ref, options, out)) process.exitCode = 1;
    });
  program
    .command('diagram')
    .description('Draws a workflow as Mermaid (renders on code hosts), Graphviz DOT, or SVG (no system Graphviz needed), with a run\'s counts when given one')
    .argument('<module>', 'a .ts or .js module exporting a workflow, optionally #exportName')
    .addOption(new Option('--format <format>', 'output format').choices(['mermaid', 'dot', 'svg']).default('mermaid'))
    .option('--run <run-file>', 'show this run\'s counts, errors and durations on the states')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .addHelpText(
      'after',
      `\nExamples:\n  jorb diagram examples/quickstart.ts\n  jorb diagram src/crawl.ts#crawl --format svg --run runs/crawl.jsonl -o crawl.svg\n${EXIT_CODES}`,
    )
    .action(async (ref: string, options: DiagramCommandOptions) => {
      await diagram(ref, options, out);
    });
  program
    .command('report')
    .description('Summarises a run file: jobs per state, top errors by state with examples, kick tree size, slowest states')
    .argument('<run-file>', 'a JsonlStore run file (it may be in use: the report only reads)')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', `\nExamples:\n  jorb report .jorb/quickstart.jsonl\n  jorb report runs/crawl.jsonl --json | jq '.errors'\n${EXIT_CODES}`)
    .action(async (file: string, options: { json?: boolean }) => {
      await report(file, options, out);
    });
  program
    .command('redrive')
    .description("Moves jobs from one state to another (clearing their failed mark), recording it in their history; atomic")
    .argument('<run-file>', 'a JsonlStore run file; refused while a processor holds it')
    .requiredOption('--from <state>', 'the state to take jobs from')
    .requiredOption('--to <state>', 'the state to move them to')
    .option('--where-error <regex>', 'only jobs with an error recorded in --from that matches')
    .option('--keep-failed', 'keep the failed mark')
    .option('--workflow <module>', 'check --from and --to against this workflow (module[#export])')
    .option('--dry-run', 'list what would move and write nothing')
    .addHelpText(
      'after',
      `\nExamples:\n  jorb redrive runs/crawl.jsonl --from fetch-failed --to fetch --where-error 'HTTP 5\\d\\d' --dry-run\n  jorb redrive runs/crawl.jsonl --from parse --to parse --workflow src/crawl.ts\n${EXIT_CODES}`,
    )
    .action(async (file: string, options: RedriveCommandOptions) => {
      await redrive(file, options, out);
    });
  program
    .command('seal')
    .description('Accepts a run file edited by hand: checks its structure, then writes it back with fresh checksums')
    .argument('<run-file>', 'a JsonlStore run file; refused while a processor holds it')
    .addHelpText('after', `\nExamples:\n  sed -i 's/"state":"fetch","failed":true,/"state":"fetch",/' runs/crawl.jsonl && jorb seal runs/crawl.jsonl\n${EXIT_CODES}`)
    .action(async (file: string) => {
      await seal(file, out);
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
