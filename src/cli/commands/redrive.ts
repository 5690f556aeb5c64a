import { redrive as redriveRun } from '../../model/redrive.js';
import type { Run } from '../../model/run.js';
import { lockOwner } from '../../store/run-lock.js';
import { RunLockedError } from '../../store/run-locked-error.js';
import { CliError } from '../cli-error.js';
import { loadWorkflows } from '../load-workflows.js';
import { lockedForRedrive, openRun, runSource, type RunSourceOptions } from '../run-source.js';

export interface RedriveCommandOptions extends RunSourceOptions {
  readonly from: string;
  readonly to: string;
  readonly whereError?: string;
  readonly dryRun?: boolean;
  readonly keepFailed?: boolean;
  readonly workflow?: string;
}

/**
 * `jorb redrive`: moves matching jobs and writes the run back atomically (a run file: a new
 * snapshot renamed over the old one, so a crash leaves the file as before or as after; a run in
 * PostgreSQL: one transaction). Refused while a processor
 * holds the run; `--dry-run` only lists what would move and writes nothing, so it may run then.
 */
export async function redrive(file: string, options: RedriveCommandOptions, out: (line: string) => void): Promise<void> {
  const source = runSource(file, options);
  const owner = source.kind === 'file' ? lockOwner(source.path) : undefined;
  // A dry run only reads, as `jorb report` does: it may look at a running run.
  if (owner && !options.dryRun) {
    throw new CliError(`${source.shown} is in use by process ${owner.pid} on ${owner.host} (since ${owner.since}): stop it before a redrive (--dry-run only reads: it may run now)`);
  }
  const whereError = compile(options.whereError);
  const known = options.workflow ? await workflowStates(options.workflow) : undefined;
  // A run in PostgreSQL is held by taking its lock (refused while a process holds it), a run file by its lock file.
  const { store, run } = await openRun(source, options.dryRun ? 'read' : 'write').catch((error: unknown) => {
    throw error instanceof RunLockedError && source.kind === 'postgres' ? lockedForRedrive(source, error) : error;
  });
  try {
    checkStates(run, options, known);
    const moved = redriveRun(run, { from: options.from, to: options.to, ...(whereError ? { whereError } : {}), ...(options.keepFailed ? { keepFailed: true } : {}) });
    const ids = moved.slice(0, 20).map((id) => JSON.stringify(id)).join(', ') + (moved.length > 20 ? `, … (${moved.length - 20} more)` : '');
    if (options.dryRun) {
      const note = owner ? `; process ${owner.pid} on ${owner.host} is running it: its jobs may have moved on since` : '';
      out(`would move ${moved.length} job${moved.length === 1 ? '' : 's'} from ${options.from} to ${options.to}${moved.length > 0 ? `: ${ids}` : ''} (dry run: nothing written${note})`);
      return;
    }
    if (moved.length > 0) await store.checkpoint(run);
    out(`moved ${moved.length} job${moved.length === 1 ? '' : 's'} from ${options.from} to ${options.to}${moved.length > 0 ? `: ${ids}` : ''}`);
  } finally {
    await store.close();
  }
}

function compile(pattern: string | undefined): RegExp | undefined {
  if (pattern === undefined) return undefined;
  try {
    return new RegExp(pattern);
  } catch (error) {
    throw new CliError(`--where-error: not a valid regular expression: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function workflowStates(ref: string): Promise<ReadonlySet<string>> {
  const { workflows } = await loadWorkflows(ref);
  if (workflows.length > 1) throw new CliError(`${ref}: the module exports ${workflows.length} workflows: name one as ${ref}#exportName`);
  return new Set((workflows[0]?.workflow.states ?? []));
}

/** Without a workflow, a state is known when a job of the run is in it or has been. */
function checkStates(run: Run<unknown, unknown>, options: RedriveCommandOptions, known: ReadonlySet<string> | undefined): void {
  const seen = known ?? statesSeen(run);
  const list = [...seen].join(', ');
  const hint = known ? '' : ' (give --workflow <module> to name a state no job has reached)';
  for (const [flag, state] of [['--from', options.from], ['--to', options.to]] as const) {
    if (!seen.has(state)) throw new CliError(`${flag} ${JSON.stringify(state)}: unknown state; the states are ${list}${hint}`);
  }
}

export function statesSeen(run: Run<unknown, unknown>): Set<string> {
  const states = new Set<string>();
  for (const job of run.jobs.values()) {
    states.add(job.state);
    for (const entry of job.history) states.add(entry.state);
  }
  return states;
}
