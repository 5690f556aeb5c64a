import type { Store } from '../model/store.js';
import type { StoreRecord } from '../model/store-record.js';

/** Most records in one append. */
const MAX_BATCH = 16_384;

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

  readonly #onEffectError: (error: unknown) => void;

  constructor(store: Store<unknown, JC>, onError: (error: unknown, dropped: number) => void, onEffectError: (error: unknown) => void) {
    this.#store = store;
    this.#onError = onError;
    this.#onEffectError = onEffectError;
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
      // A batch is bounded: one append never holds more than MAX_BATCH records.
      const take = Math.min(this.#records.length, MAX_BATCH);
      const records = take === this.#records.length ? this.#records : this.#records.slice(0, take);
      const effects = take === this.#effects.length ? this.#effects : this.#effects.slice(0, take);
      this.#records = take === this.#records.length ? [] : this.#records.slice(take);
      this.#effects = take === this.#effects.length ? [] : this.#effects.slice(take);
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
      for (const effect of effects) {
        try {
          effect();
        } catch (error) {
          this.#onEffectError(error); // a bug in applying a durable record: stop, never leave the loop half done
        }
      }
    }
    this.#flushing = false;
    for (const resolve of this.#idle.splice(0)) resolve();
  }
}
