import { renderValue } from './render-value.js';

/**
 * Thrown by `processor.exec` before anything runs when jobs of the run are in states the workflow
 * does not declare (a hand-edited run file, a renamed state). Names every such job; the run is
 * left untouched.
 *
 * @example
 * ```ts
 * try { await processor.exec(run); }
 * catch (e) { if (e instanceof UnknownStatesError) for (const j of e.jobs) console.error(j.id, j.state); }
 * ```
 * @public
 */
export class UnknownStatesError extends Error {
  /** Always `'UnknownStatesError'`. */
  override readonly name = 'UnknownStatesError';
  /** Every offending job, in run order. */
  readonly jobs: readonly { readonly id: string; readonly state: string }[];

  constructor(workflow: string, run: string, jobs: readonly { readonly id: string; readonly state: string }[], known: readonly string[]) {
    const byState = new Map<string, string[]>();
    for (const j of jobs) byState.set(j.state, [...(byState.get(j.state) ?? []), j.id]);
    const lines = [...byState].map(([state, ids]) => `  - state ${renderValue(state)}: job${ids.length > 1 ? 's' : ''} ${ids.map((id) => renderValue(id)).join(', ')}`);
    super(
      `Run "${run}" has ${jobs.length} job${jobs.length > 1 ? 's' : ''} in states workflow "${workflow}" does not declare (nothing was run or changed):\n${lines.join('\n')}\n  known states: ${known.join(', ')}`,
    );
    this.jobs = jobs;
  }
}
