import type { PausedStates } from './paused-states.js';
import type { Run } from './run.js';
import type { StoreRecord } from './store-record.js';
import type { WorkflowStates } from './workflow-states.js';
import type { WorkSource, WorkState } from './work-source.js';

/**
 * Where a run lives. A store deals in snapshots and records only: it writes a run whole through
 * {@link toSnapshot}, rebuilds one with {@link fromSnapshot} and {@link replay}, and appends the
 * records the processor gives it. Implement this to add a store; the conformance suite in the
 * repository's `test/support/store-conformance.ts` says what every store must do.
 *
 * The processor calls `checkpoint(run, 'start')` when it starts, `append` for every completed
 * transition (a transition counts as done only once `append` has resolved), and
 * `checkpoint(run, 'stop')` when it stops. A store *holds* a run once it loaded it or wrote it
 * whole; for the run it holds, `checkpoint(run, 'start')` and `close()` append the run's
 * unsaved records ({@link flushUnsavedRecords}: a `run.add`, a redrive) instead of rewriting it.
 *
 * @example
 * ```ts
 * const store: Store<OC, JC> = new MemoryStore();
 * const run = (await store.load(wf)) ?? wf.newRun('demo', oc);
 * ```
 * @public
 */
export interface Store<OC, JC> {
  /**
   * The stored run, or `undefined` when nothing was stored yet. Given a workflow, the run is bound
   * to it (see {@link bindRun}): a job in a state it does not declare is reported with an
   * `UnknownStatesError` before anything changes. (The built-in stores also type the run with
   * the workflow's state names.)
   */
  load(workflow?: WorkflowStates<string>): Promise<Run<OC, JC> | undefined>;
  /** Makes records durable, in order. Many records come in one call (group commit). */
  append(records: readonly StoreRecord<JC>[]): Promise<void>;
  /**
   * Makes the store hold `run`. For the run it already holds, it appends the run's unsaved records
   * (O(changes)); for another run it writes the run whole (refusing, with an error, to replace a
   * stored run unless a `load()` of it succeeded: what could not be read is never overwritten). `when` is `'stop'` when the processor stops: every
   * change since `'start'` was appended, so a store with a log may keep the log.
   */
  checkpoint(run: Run<OC, JC>, when?: 'start' | 'stop'): Promise<void>;
  /** Writes the held run's unsaved records, flushes and releases the store; later calls throw. */
  close(): Promise<void>;
  /**
   * For a store whose run is shared with other processes: where the processor claims its work
   * and commits it instead of holding the whole run (see {@link WorkSource}). Called by each exec
   * before `checkpoint(run, 'start')`, with the workflow's states; `undefined` (or no method)
   * means the run in memory is the whole run, as for the JSONL and memory stores.
   */
  workSource?(states: readonly WorkState[]): WorkSource<JC> | undefined;
  /**
   * Optional: where the run's paused states are kept beside it (see {@link PausedStates}), so that
   * another process can pause a state of the running run and a restart keeps it paused. Without
   * it, pauses live in the processor only.
   */
  pausedStates?(): PausedStates;
}
