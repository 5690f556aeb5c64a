import type { Store } from '../model/store.js';
import type { StoreRecord } from '../model/store-record.js';

/**
 * Group commit: records from many concurrent jobs go to the store in one `append`, and each one's
 * effect is applied only after its batch is durable. One batch is in flight at a time, so records
 * reach the store in the order they were made.
 */
export class Committer<JC> {
  readonly #store: Store<unknown, JC>;
  readonly #onError: (error: unknown, dropped: number) => void;
  #records: StoreRecord<JC>[] = [];
  #effects: (() => void)[] = [];
  #flushing = false;
  #idle: (() => void)[] = [];
  #failed = false;

  constructor(store: Store<unknown, JC>, onError: (error: unknown, dropped: number) => void) {
    this.#store = store;
    this.#onError = onError;
  }

  push(record: StoreRecord<JC>, onDurable: () => void): void {
    if (this.#failed) return; // nothing more is acknowledged after a write error
    this.#records.push(record);
    this.#effects.push(onDurable);
    if (!this.#flushing) {
      this.#flushing = true;
      queueMicrotask(() => void this.#flush());
    }
  }

  /** Resolves once every pushed record is durable (or the store failed). */
  drained(): Promise<void> {
    if (!this.#flushing) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  async #flush(): Promise<void> {
    while (this.#records.length > 0 && !this.#failed) {
      const records = this.#records;
      const effects = this.#effects;
      this.#records = [];
      this.#effects = [];
      try {
        await this.#store.append(records);
      } catch (error) {
        this.#failed = true;
        const dropped = effects.length + this.#effects.length;
        this.#records = [];
        this.#effects = [];
        this.#onError(error, dropped);
        break;
      }
      for (const effect of effects) effect();
    }
    this.#flushing = false;
    for (const resolve of this.#idle.splice(0)) resolve();
  }
}
