// A store written by an outsider: the public API only (no src/ internals), kept small on purpose.
// It proves the Store contract can be met with toSnapshot, fromSnapshot, replay, bindRun and
// flushUnsavedRecords alone, and it runs the same conformance suite as the built-in stores.
import { bindRun, flushUnsavedRecords, fromSnapshot, replay, RunError, toSnapshot } from '../../src/index.js';
import type { Run, RunSnapshot, Store, StoreRecord, WorkflowStates } from '../../src/index.js';

/** What a MapStore keeps under one key: the run written whole and the records appended since, as JSON text. */
export interface MapEntry {
  snapshot: string;
  records: string[];
}

/**
 * A run kept under `key` in `map` as JSON text. Every MapStore opened on the same map and key
 * sees the same run, as processes share a database: one that never loaded it will not replace it.
 */
export class MapStore<OC, JC> implements Store<OC, JC> {
  readonly #map: Map<string, MapEntry>;
  readonly #key: string;
  /** The run this store holds: the one it loaded or last wrote whole. */
  #held: Run<OC, JC> | undefined;
  /** It loaded what the key holds (or found nothing), so it may replace it. */
  #mayReplace = false;
  #closed = false;

  constructor(map: Map<string, MapEntry>, key: string) {
    this.#map = map;
    this.#key = key;
  }

  async load<S extends string = string>(workflow?: WorkflowStates<S>): Promise<Run<OC, JC, S> | undefined> {
    this.#checkOpen('load');
    const entry = this.#map.get(this.#key);
    if (entry === undefined) {
      this.#mayReplace = true;
      return undefined;
    }
    let run: Run<OC, JC>;
    try {
      const snapshot = fromSnapshot<OC, JC>(parse<RunSnapshot<OC, JC>>(entry.snapshot, 'its snapshot'), 'its snapshot');
      run = replay(snapshot, entry.records.map((text, i) => parse<StoreRecord<JC>>(text, `its record ${i}`)));
    } catch (error) {
      throw new RunError(`${this.#where()}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const bound = workflow ? bindRun(run, workflow) : (run as Run<OC, JC, S>);
    this.#held = run;
    this.#mayReplace = true;
    return bound;
  }

  async append(records: readonly StoreRecord<JC>[]): Promise<void> {
    this.#checkOpen('append');
    const entry = this.#map.get(this.#key);
    if (entry === undefined) throw new RunError(`${this.#where()}: append before a run was written whole`);
    for (const record of records) entry.records.push(JSON.stringify(record));
  }

  /** For the run it holds, appends its unsaved changes (and keeps its records at 'stop': no compaction); another run is written whole. */
  async checkpoint(run: Run<OC, JC>): Promise<void> {
    this.#checkOpen('checkpoint');
    if (run === this.#held) return flushUnsavedRecords(run, (records) => this.append(records));
    if (this.#map.has(this.#key) && !this.#mayReplace) throw new RunError(`${this.#where()} already holds a run: load it with store.load() to continue it`);
    await flushUnsavedRecords(run, async () => this.#writeWhole(run)); // the snapshot holds them
    this.#held = run;
    this.#mayReplace = true;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#held) await flushUnsavedRecords(this.#held, (records) => this.append(records));
    this.#closed = true;
  }

  #writeWhole(run: Run<OC, JC>): void {
    this.#map.set(this.#key, { snapshot: JSON.stringify(toSnapshot(run)), records: [] });
  }

  #where(): string {
    return `MapStore(${JSON.stringify(this.#key)})`;
  }

  #checkOpen(what: string): void {
    if (this.#closed) throw new RunError(`${this.#where()}: ${what} after close`);
  }
}

function parse<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new Error(`${what} is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}
