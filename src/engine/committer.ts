import { nextTurn, realTimeout } from './next-turn.js';
import type { StoreRecord } from '../model/store-record.js';

/** A batch this large goes at once even where batches gather (see Committer.#flushSoon). */
const GATHERED = 64;

/** Most records in one append. */
const MAX_BATCH = 16_384;

/**
 * Group commit: records from many concurrent jobs go to the store in one `append`, and each one's
 * effect is applied only after its batch is durable. One batch is in flight at a time, so records
 * reach the store in the order they were made.
 */
export class Committer<JC> {
  readonly #write: (records: readonly StoreRecord<JC>[]) => Promise<void>;
  readonly #onError: (error: unknown, dropped: number) => void;
  #records: StoreRecord<JC>[] = [];
  #effects: (() => void)[] = [];
  #flushing = false;
  #idle: (() => void)[] = [];
  #failed = false;

  readonly #onEffectError: (error: unknown) => void;
  /** How long a small batch waits for more records (0: the next turn). */
  readonly #gatherMs: number;

  /** `write` makes a batch durable: the store's `append`, or a shared run's commit. */
  constructor(write: (records: readonly StoreRecord<JC>[]) => Promise<void>, onError: (error: unknown, dropped: number) => void, onEffectError: (error: unknown) => void, gatherMs = 0) {
    this.#write = write;
    this.#onError = onError;
    this.#onEffectError = onEffectError;
    this.#gatherMs = gatherMs;
  }

  push(record: StoreRecord<JC>, onDurable: () => void): void {
    if (this.#failed) return; // nothing more is acknowledged after a write error
    this.#records.push(record);
    this.#effects.push(onDurable);
    if (!this.#flushing) {
      this.#flushing = true;
      this.#flushSoon();
    }
  }

  /** Resolves once every pushed record is durable (or the store failed). */
  drained(): Promise<void> {
    if (!this.#flushing) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /**
   * A batch is written on the next turn of the event loop, not at once: the attempts that settle
   * in this turn join it. Un-durable work is bounded, so the fewer batches the window is cut
   * into, the more of it each write acknowledges (W3: 76 + 24 records per two writes became 100
   * per one).
   */
  #flushSoon(): void {
    // A store whose every write is a round trip to a server gathers a small batch a moment longer:
    // one statement for many records costs it less than many statements (and the server's commits).
    if (this.#gatherMs > 0 && this.#records.length < GATHERED) realTimeout(() => void this.#flushOne(), this.#gatherMs);
    else nextTurn(() => void this.#flushOne());
  }

  async #flushOne(): Promise<void> {
    if (this.#records.length > 0 && !this.#failed) await this.#writeBatch();
    if (this.#records.length > 0 && !this.#failed) return this.#flushSoon();
    this.#flushing = false;
    for (const resolve of this.#idle.splice(0)) resolve();
  }

  async #writeBatch(): Promise<void> {
    // A batch is bounded: one append never holds more than MAX_BATCH records.
    const take = Math.min(this.#records.length, MAX_BATCH);
    const records = take === this.#records.length ? this.#records : this.#records.slice(0, take);
    const effects = take === this.#effects.length ? this.#effects : this.#effects.slice(0, take);
    this.#records = take === this.#records.length ? [] : this.#records.slice(take);
    this.#effects = take === this.#effects.length ? [] : this.#effects.slice(take);
    try {
      await this.#write(records);
    } catch (error) {
      this.#failed = true;
      const dropped = effects.length + this.#effects.length;
      this.#records = [];
      this.#effects = [];
      this.#onError(error, dropped);
      return;
    }
    for (const effect of effects) {
      try {
        effect();
      } catch (error) {
        this.#onEffectError(error); // a bug in applying a durable record: stop, never leave the loop half done
      }
    }
  }
}
