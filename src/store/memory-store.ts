import type { Run } from '../model/run.js';
import { replay } from '../model/replay.js';
import { fromSnapshot, type RunSnapshot, toSnapshot } from '../model/run-snapshot.js';
import type { Store } from '../model/store.js';
import type { StoreRecord } from '../model/store-record.js';

/**
 * A store in memory: a snapshot plus the records appended since, copied on the way in and out so
 * the stored run never shares objects with a live one. Useful in tests and as the reference the
 * file store is compared with.
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
  #snapshot: RunSnapshot<OC, JC> | undefined;
  #records: StoreRecord<JC>[] = [];
  #closed = false;

  /** The stored run (a copy), or `undefined` before the first checkpoint. */
  async load(): Promise<Run<OC, JC> | undefined> {
    this.#checkOpen('load');
    if (this.#snapshot === undefined) return undefined;
    const run = fromSnapshot<OC, JC>(structuredClone(this.#snapshot), 'memory store');
    return replay(run, structuredClone(this.#records));
  }

  /** Keeps copies of the records, in order. */
  async append(records: readonly StoreRecord<JC>[]): Promise<void> {
    this.#checkOpen('append');
    if (this.#snapshot === undefined) throw new Error('MemoryStore: append before the first checkpoint: there is no run to append to');
    for (const record of records) this.#records.push(structuredClone(record));
  }

  /** Keeps a copy of the whole run and forgets the records before it. */
  async checkpoint(run: Run<OC, JC>): Promise<void> {
    this.#checkOpen('checkpoint');
    this.#snapshot = structuredClone(toSnapshot(run));
    this.#records = [];
  }

  /** Closes the store: every later call throws. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  /** How many records were appended since the last checkpoint. */
  get pendingRecords(): number {
    return this.#records.length;
  }

  #checkOpen(what: string): void {
    if (this.#closed) throw new Error(`MemoryStore: ${what} after close`);
  }
}
