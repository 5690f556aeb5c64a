import type { PausedStates } from '../../model/paused-states.js';
import { JsonlStore } from '../../store/jsonl-store.js';
import { CliError } from '../cli-error.js';
import { checkInputFile } from '../input-file.js';
import { loadWorkflows } from '../load-workflows.js';
import { openRun, runSource, type RunSource, type RunSourceOptions } from '../run-source.js';
import { statesSeen } from './redrive.js';

export interface PauseCommandOptions extends RunSourceOptions {
  readonly workflow?: string;
}

/**
 * `jorb pause` and `jorb resume`: pause a working state of a run (a processor running it starts
 * nothing there within a second; a restart keeps it paused) or resume it. Allowed while a processor
 * runs the run: the pauses are kept beside the run (a file next to a run file, a table in PostgreSQL).
 */
export async function pauseState(file: string, state: string, paused: boolean, options: PauseCommandOptions, out: (line: string) => void): Promise<void> {
  const source = runSource(file, options);
  if (source.kind === 'file') checkInputFile(source.path, 'run file');
  const { store, run } = await openRun(source, 'read');
  try {
    await checkState(state, paused, options.workflow, () => statesSeen(run));
    const states = pausedStatesOf(source, store);
    const before = await states.read();
    await states.set(state, paused);
    const verb = paused ? 'paused' : 'resumed';
    const was = before.has(state) === paused ? ` (it was ${paused ? 'paused' : 'not paused'} already)` : '';
    const then = paused ? `a processor running it starts nothing there within a second, and a restart keeps it paused: jorb resume to go on` : 'a processor running it starts its waiting jobs within a second';
    out(`${verb} state ${JSON.stringify(state)} of run "${run.name}" (${source.shown})${was}: ${then}`);
    const now = [...(await states.read())].sort();
    if (now.some((s) => s !== state)) out(`paused now: ${now.join(', ')}`);
  } finally {
    await store.close();
  }
}

function pausedStatesOf(source: RunSource, store: { pausedStates?: () => PausedStates }): PausedStates {
  if (source.kind === 'file') return new JsonlStore(source.path, { readOnly: true }).pausedStates();
  if (store.pausedStates === undefined) throw new CliError(`${source.shown}: this store keeps no paused states`);
  return store.pausedStates();
}

/** With a workflow, the state must be one of its working states; without, one a job of the run is in or has been. */
async function checkState(state: string, paused: boolean, workflowRef: string | undefined, seen: () => ReadonlySet<string>): Promise<void> {
  const flag = paused ? 'pause' : 'resume';
  if (workflowRef !== undefined) {
    const { workflows } = await loadWorkflows(workflowRef);
    if (workflows.length > 1) throw new CliError(`${workflowRef}: the module exports ${workflows.length} workflows: name one as ${workflowRef}#exportName`);
    const graph = workflows[0]?.workflow.graph;
    if (graph === undefined) throw new CliError(`${workflowRef}: no workflow in the module`);
    const node = graph.state(state);
    const working = graph.states.filter((s) => !s.terminal).map((s) => s.name);
    if (node === undefined) throw new CliError(`${flag}: ${JSON.stringify(state)} is not a state of workflow "${graph.name}"; its working states are ${working.join(', ')}`);
    if (node.terminal) throw new CliError(`${flag}: ${JSON.stringify(state)} is a terminal state of workflow "${graph.name}": it runs nothing; its working states are ${working.join(', ')}`);
    return;
  }
  const states = seen();
  if (!states.has(state)) {
    throw new CliError(`${flag}: ${JSON.stringify(state)}: no job of the run is in that state or has been; the states are ${[...states].join(', ')} (give --workflow <module> to name a state no job has reached)`);
  }
}
