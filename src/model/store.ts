import type { Run } from './run.js';
import type { StoreRecord } from './store-record.js';

/**
 * Where a run lives. The processor checkpoints the run when it starts and stops, and appends every
 * completed transition in between; a transition counts as done only once `append` has resolved.
 * Implement this to add a store: `load` must give back the run as of the last checkpoint with every
 * appended record replayed on it.
 *
 * @example
 * ```ts
 * const store: Store<OC, JC> = new MemoryStore();
 * const run = (await store.load()) ?? wf.newRun('demo', oc);
 * ```
 * @public
 */
export interface Store<OC, JC> {
  /** The stored run, or `undefined` when nothing was stored yet. */
  load(): Promise<Run<OC, JC> | undefined>;
  /** Makes records durable, in order. Many records come in one call (group commit). */
  append(records: readonly StoreRecord<JC>[]): Promise<void>;
  /**
   * Stores the whole run; records appended before it are no longer needed. `when` is `'stop'` when
   * the processor stops: every change since its `'start'` checkpoint was appended, so a store with
   * a log may keep the log rather than rewrite the run.
   */
  checkpoint(run: Run<OC, JC>, when?: 'start' | 'stop'): Promise<void>;
  /** Flushes and releases the store. */
  close(): Promise<void>;
}
