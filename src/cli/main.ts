import { Command, InvalidArgumentError, Option } from 'commander';
import { formatDefinitionProblem } from './annotations.js';
import { CliError } from './cli-error.js';
import { check, type LintCommandOptions, lint } from './commands/check.js';
import { type DiagramCommandOptions, diagram } from './commands/diagram.js';
import { type RedriveCommandOptions, redrive } from './commands/redrive.js';
import { type PauseCommandOptions, pauseState } from './commands/pause.js';
import { report } from './commands/report.js';
import { seal } from './commands/seal.js';
import { type ServeCommandOptions, serveUntilStopped } from './commands/serve.js';
import { DefinitionProblemsError } from './definition-problems.js';
import { fileErrorLine, shownPath } from './input-file.js';
import { IMPORT_TIMEOUT_VARIABLE, importedModules } from './load-workflows.js';
import { ownPackage } from './own-package.js';
import { userFrame } from './stack-frame.js';

const formatOption = () =>
  new Option('--format <format>', 'text: file:line:col lines; github: GitHub workflow annotations').choices(['text', 'github']).default('text');

const collect = (value: string, previous: string[] | undefined) => {
  if (value.length === 0) throw new InvalidArgumentError('an entry state name cannot be empty');
  return [...(previous ?? []), value];
};

const EXIT_CODES = '\nExit codes: 0 done, 1 findings, 2 bad input (nothing modified).';
const MODULE_EXIT_CODES =
  '\nExit codes: 0 clean, 1 findings (a type error, a lint finding, a problem .build() reported), 2 bad input.' +
  '\nImporting the module runs its top-level code: guard a main with' +
  '\n  if (import.meta.url === pathToFileURL(process.argv[1]).href) { … }' +
  `\nImporting may take ${IMPORT_TIMEOUT_VARIABLE} milliseconds (default 30000); jorb exits when done, whatever the module left running.`;
const WHERE_ERROR =
  'only jobs with a matching error recorded in --from or in the state they came from into --from ' +
  "(a job sent to a fail state by a timeout, a retry's then or its exec has the error under the state it happened in)";

/** What a command ends with: 0 clean, 1 findings. Bad input is thrown. */
type Code = 0 | 1;

/** The `jorb` command line. Exit codes: 0 clean, 1 findings, 2 bad input. */
export function createProgram(out: (line: string) => void, done: (code: Code) => void): Command {
  const program = new Command('jorb')
    .description('Check, lint and operate on jorb-ts workflows and runs.')
    .version(ownPackage().version, '-v, --version', 'print the version of jorb-ts')
    .exitOverride();
  program
    .command('check')
    .description("Type-checks a module's workflows and lints them: for CI")
    .argument('<module>', 'a .ts or .js module exporting workflows, optionally #exportName')
    .option('--entry <state>', 'a state runs start in (repeatable; default: the first declared state)', collect)
    .option('--project <tsconfig>', 'the tsconfig.json to type-check with (default: the nearest one)')
    .addOption(formatOption())
    .addHelpText('after', `\nExamples:\n  jorb check src/crawl.ts\n  jorb check src/workflows.ts#crawl --format github\n${MODULE_EXIT_CODES}`)
    .action(async (ref: string, options: LintCommandOptions & { project?: string }) => {
      done((await check(ref, options, out)) ? 1 : 0);
    });
  program
    .command('lint')
    .description('Finds what the type system cannot see: unreachable states, no path to a terminal state, self-loops with no way out, spawn cycles')
    .argument('<module>', 'a .ts or .js module exporting workflows, optionally #exportName')
    .option('--entry <state>', 'a state runs start in (repeatable; default: the first declared state)', collect)
    .addOption(formatOption())
    .addHelpText('after', `\nExamples:\n  jorb lint examples/quickstart.ts\n  jorb lint src/workflows.ts#crawl --entry fetch --entry reparse\n${MODULE_EXIT_CODES}`)
    .action(async (ref: string, options: LintCommandOptions) => {
      done((await lint(ref, options, out)) ? 1 : 0);
    });
  program
    .command('diagram')
    .description('Draws a workflow as Mermaid (renders on code hosts), Graphviz DOT, or SVG (no system Graphviz needed), with a run\'s counts when given one')
    .argument('<module>', 'a .ts or .js module exporting a workflow, optionally #exportName')
    .addOption(new Option('--format <format>', 'output format').choices(['mermaid', 'dot', 'svg']).default('mermaid'))
    .option('--run <run-file|postgres-url>', 'show this run\'s counts, errors and durations on the states (read without taking its lock)')
    .option('--run-name <name>', 'with a postgres:// URL as --run: the run\'s name in the database')
    .option('--schema <schema>', 'with a postgres:// URL as --run: the PostgreSQL schema of the run (default: jorb)')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .option('--job <id>', 'with --run: draw this job\'s path through the states (when it entered each, how long it stayed) and the children it kicked')
    .addHelpText(
      'after',
      `\nExamples:\n  jorb diagram examples/quickstart.ts\n  jorb diagram src/crawl.ts#crawl --format svg --run runs/crawl.jsonl -o crawl.svg\n  jorb diagram src/crawl.ts#crawl --run runs/crawl.jsonl --job seed\n  jorb diagram src/crawl.ts#crawl --run "$DATABASE_URL" --run-name crawl-2026-12\n${MODULE_EXIT_CODES}`,
    )
    .action(async (ref: string, options: DiagramCommandOptions) => {
      await diagram(ref, options, out);
      done(0);
    });
  program
    .command('report')
    .description('Summarises a run file: jobs per state, top errors by state with examples, kick tree size, slowest states')
    .argument('<run-file|postgres-url>', 'a JsonlStore run file, or a PostgreSQL URL with --run (it may be in use: the report only reads)')
    .option('--run <name>', 'with a postgres:// URL: the run\'s name in the database')
    .option('--schema <schema>', 'with a postgres:// URL: the PostgreSQL schema of the run (default: jorb)')
    .option('--json', 'print the report as JSON')
    .option('--workflow <module>', "list the states in this workflow's order (module[#export]); else as they first appear among the jobs")
    .addHelpText('after', `\nExamples:\n  jorb report .jorb/quickstart.jsonl --workflow examples/quickstart.ts\n  jorb report runs/crawl.jsonl --json | jq '.errors'\n  jorb report "$DATABASE_URL" --run crawl-2026-12\n${EXIT_CODES}`)
    .action(async (file: string, options: { json?: boolean; workflow?: string; run?: string; schema?: string }) => {
      await report(file, options, out);
      done(0);
    });
  program
    .command('redrive')
    .description("Moves jobs from one state to another (clearing their failed mark), recording it in their history; atomic")
    .argument('<run-file|postgres-url>', 'a JsonlStore run file, or a PostgreSQL URL with --run; refused while a processor holds the run (except --dry-run)')
    .option('--run <name>', 'with a postgres:// URL: the run\'s name in the database')
    .option('--schema <schema>', 'with a postgres:// URL: the PostgreSQL schema of the run (default: jorb)')
    .requiredOption('--from <state>', 'the state to take jobs from')
    .requiredOption('--to <state>', 'the state to move them to')
    .option('--where-error <regex>', WHERE_ERROR)
    .option('--keep-failed', 'keep the failed mark')
    .option('--workflow <module>', 'check --from and --to against this workflow (module[#export])')
    .option('--dry-run', 'list what would move and write nothing (allowed while a processor holds the run)')
    .addHelpText(
      'after',
      `\nExamples:\n  jorb redrive runs/crawl.jsonl --from fetch-failed --to fetch --where-error 'HTTP 5\\d\\d' --dry-run\n  jorb redrive runs/crawl.jsonl --from parse --to parse --workflow src/crawl.ts\n  jorb redrive "$DATABASE_URL" --run crawl-2026-12 --from fetch-failed --to fetch\n${EXIT_CODES}`,
    )
    .action(async (file: string, options: RedriveCommandOptions) => {
      await redrive(file, options, out);
      done(0);
    });
  for (const paused of [true, false]) {
    const name = paused ? 'pause' : 'resume';
    program
      .command(name)
      .description(paused ? 'Pauses a state of a run: a processor running it starts nothing there (running attempts finish) until jorb resume; a restart keeps it paused' : 'Resumes a state paused by jorb pause, processor.pause or the dashboard')
      .argument('<run-file|postgres-url>', 'a JsonlStore run file, or a PostgreSQL URL with --run; allowed while a processor runs it')
      .argument('<state>', paused ? 'the working state to pause' : 'the state to resume')
      .option('--run <name>', "with a postgres:// URL: the run's name in the database")
      .option('--schema <schema>', 'with a postgres:// URL: the PostgreSQL schema of the run (default: jorb)')
      .option('--workflow <module>', 'check the state against this workflow (module[#export]); else against the states the run\'s jobs have been in')
      .addHelpText('after', `\nExamples:\n  jorb ${name} runs/crawl.jsonl fetch\n  jorb ${name} "$DATABASE_URL" --run crawl-2026-12 fetch --workflow src/crawl.ts\n${EXIT_CODES}`)
      .action(async (file: string, state: string, options: PauseCommandOptions) => {
        await pauseState(file, state, paused, options, out);
        done(0);
      });
  }
  program
    .command('seal')
    .description('Accepts a run file edited by hand: checks its structure, then writes it back with fresh checksums')
    .argument('<run-file>', 'a JsonlStore run file; refused while a processor holds it (a run in PostgreSQL has no checksums to seal)')
    .addHelpText('after', `\nExamples:\n  sed -i 's/"state":"fetch","failed":true,/"state":"fetch",/' runs/crawl.jsonl && jorb seal runs/crawl.jsonl\n${EXIT_CODES}`)
    .action(async (file: string) => {
      await seal(file, out);
      done(0);
    });
  program
    .command('serve')
    .description("A dashboard of a run in the browser, live while it runs: the diagram with counts and the bottleneck, the ledger, throughput, durations, job search; on 127.0.0.1 only")
    .argument('<run-file|postgres-url>', 'a JsonlStore run file, or a PostgreSQL URL with --run (read without taking its lock: a processor may be running it)')
    .option('--run <name>', "with a postgres:// URL: the run's name in the database")
    .option('--schema <schema>', 'with a postgres:// URL: the PostgreSQL schema of the run (default: jorb)')
    .option('--port <port>', 'the port on 127.0.0.1 (default: 0, any free one; the address is printed)')
    .option('--workflow <module>', "draw this workflow (module[#export]) with its limits; else the states and moves the run's jobs show")
    .option('--allow-actions', 'allow redrives and pausing or resuming a state from the page, with a token printed at start (else every action is refused: 403)')
    .addHelpText('after', `\nExamples:\n  jorb serve runs/crawl.jsonl --workflow src/crawl.ts\n  jorb serve runs/crawl.jsonl --port 8080 --allow-actions\n  jorb serve "$DATABASE_URL" --run crawl-2026-12\nRuns until interrupted (Ctrl-C). Endpoints: / (the page), /metrics (Prometheus text), /events (server-sent events), /api/….\n${EXIT_CODES}`)
    .action(async (file: string, options: ServeCommandOptions) => {
      await serveUntilStopped(file, options, out);
      done(0);
    });
  return program;
}

/** Runs one `jorb` command line and returns its exit code: 0 clean, 1 findings, 2 bad input. */
export async function run(
  argv: readonly string[],
  out: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  err: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<number> {
  let code: Code = 0;
  try {
    await createProgram(out, (c) => (code = c)).parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (isCommanderExit(error)) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof DefinitionProblemsError) {
      for (const problem of error.problems) err(formatDefinitionProblem(problem, 'text'));
      return 1;
    }
    const line = error instanceof CliError ? error.message : (fileErrorLine(error) ?? (error instanceof Error ? error.message : String(error)));
    err(`jorb: ${line}`);
    return 2;
  }
}

/**
 * Entry point of the `jorb` binary: runs the command, then exits with its code. Exiting, not
 * waiting for the event loop to empty: an imported module may have left a server or a timer
 * running, which must neither keep jorb alive nor decide its exit code.
 */
export async function main(argv: readonly string[]): Promise<never> {
  // The imported module's code runs beside jorb: an error it throws later is reported as such.
  process.on('uncaughtException', (error) => void exit(2, uncaught(error)));
  process.on('unhandledRejection', (reason) => void exit(2, uncaught(reason)));
  // A reader that went away (`jorb diagram … | head`) is no error of the command's.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  // Only jorb decides its exit code: an unguarded main that ends in process.exit(0) does not.
  // The call throws instead, stopping the code that made it as an exit would have; the error is
  // reported as the import's failure, or as an uncaught error when the call comes later.
  process.exit = (code?: number | string | null): never => {
    throw new Error(`process.exit(${code ?? ''}) was called, which jorb refuses: guard the module's main (jorb ${argv[0] ?? 'check'} --help shows how)`);
  };
  return exit(await run(argv));
}

function uncaught(error: unknown): string {
  const frame = userFrame(error);
  const what = error instanceof Error ? `${error.name}: ${error.message.split('\n')[0] ?? ''}` : String(error);
  const where = frame ? ` (at ${shownPath(frame.file)}:${frame.line}:${frame.column})` : '';
  const by = importedModules().length > 0 ? `, thrown by code ${importedModules().join(' and ')} left running` : '';
  return `jorb: an uncaught error${by}: ${what}${where}`;
}

const reallyExit = process.exit.bind(process);
/** The first reason to exit wins: its message alone is printed, its code is the exit code. */
let exitCode: number | undefined;

async function exit(code: number, message?: string): Promise<never> {
  if (exitCode === undefined) {
    exitCode = code;
    if (message !== undefined) process.stderr.write(`${message}\n`);
  }
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  return reallyExit(exitCode);
}

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) resolve();
    else stream.write('', () => resolve());
  });
}

function isCommanderExit(error: unknown): error is { exitCode: number } {
  return typeof error === 'object' && error !== null && 'code' in error && String((error).code).startsWith('commander.');
}
