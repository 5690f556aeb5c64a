import { replay } from '../model/replay.js';
import { bindRun, type Run, flushUnsavedRecords } from '../model/run.js';
import { fromSnapshot, type RunSnapshot, toSnapshot } from '../model/run-snapshot.js';
import type { Store } from '../model/store.js';
import type { StoreRecord } from '../model/store-record.js';
import type { WorkflowStates } from '../model/workflow-states.js';

/**
 * A store in memory: a snapshot plus the records appended since, kept as JSON text so the stored
 * run never shares objects with a live one (and stores exactly what a file would). Useful in tests
 * and as the reference the file store is compared with.
 *
 * @example
 * ```ts
 * const store = new MemoryStore<OC, JC>();
 * await new Processor(wf, ac, { store }).exec(run);
 * const again = await store.load(); // an equal, independent run
 * ```
 * @public
 */
export class MemoryStore<OC, JC> implements Store<OC, JC> {
  /** The run written whole, as JSON. */
  #snapshot: string | undefined;
  /** The run's name, for messages. */
  #name = '';
  /** How many jobs the snapshot holds: the records are folded into a new one once they outnumber them. */
  #snapshotJobs = 0;
  /** The records appended since, each as JSON. */
  #records: string[] = [];
  /** The run this store holds: the one it last loaded or wrote whole. */
  #run: Run<OC, JC> | undefined;
  #loaded = false;
  #closed = false;

  /** The stored run (a copy), or `undefined` before the first checkpoint; bound to `workflow` when given. */
  async load<S extends string = string>(workflow?: WorkflowStates<S>): Promise<Run<OC, JC, S> | undefined> {
    this.#checkOpen('load');
    if (this.#snapshot === undefined) {
      this.#loaded = true;
      return undefined;
    }
    const snapshot = JSON.parse(this.#snapshot) as RunSnapshot<OC, JC>;
    const run = replay(
      fromSnapshot<OC, JC>(snapshot, 'memory store'),
      this.#records.map((text) => JSON.parse(text) as StoreRecord<JC>),
    );
    const bound = workflow ? bindRun(run, workflow) : (run as Run<OC, JC, S>);
    this.#loaded = true;
    this.#run = run;
    return bound;
  }

  /** Keeps copies of the records, in order. */
  async append(records: readonly StoreRecord<JC>[]): Promise<void> {
    this.#checkOpen('append');
    if (records.length === 0) return;
    if (this.#snapshot === undefined) throw new Error('MemoryStore: append before the first checkpoint: there is no run to append to');
    for (const record of records) this.#records.push(JSON.stringify(record));
  }

  /**
   * For the run it holds: appends the run's unsaved changes at `'start'`; at `'stop'` folds the
   * records into a new snapshot once they outnumber its jobs. For another run: keeps a copy of it whole.
   */
  async checkpoint(run: Run<OC, JC>, when: 'start' | 'stop' = 'start'): Promise<void> {
    this.#checkOpen('checkpoint');
    if (run === this.#run) {
      await flushUnsavedRecords(run, (records) => this.append(records));
      if (when === 'stop' && this.#records.length > this.#snapshotJobs) this.#writeWhole(run);
      return;
    }
    if (this.#snapshot !== undefined && !this.#loaded) {
      throw new Error(`MemoryStore already holds run "${this.#name}": load it with store.load() to continue it`);
    }
    await flushUnsavedRecords(run, async () => this.#writeWhole(run)); // the snapshot holds them
    this.#run = run;
    this.#loaded = true;
  }

  /** Writes the held run's unsaved changes and closes the store: every later call throws. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#run) await flushUnsavedRecords(this.#run, (records) => this.append(records));
    this.#closed = true;
  }

  /** How many records were appended since the run was last written whole. */
  get pendingRecords(): number {
    return this.#records.length;
  }

  #writeWhole(run: Run<OC, JC>): void {
    const snapshot = toSnapshot(run);
    this.#snapshot = JSON.stringify(snapshot);
    this.#name = snapshot.name;
    this.#snapshotJobs = snapshot.jobs.length;
    this.#records = [];
  }

  #checkOpen(what: string): void {
    if (this.#closed) throw new Error(`MemoryStore: ${what} after close`);
  }
}
