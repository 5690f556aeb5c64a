import type { FileHandle } from 'node:fs/promises';
import { writeAll, writeAllSync } from './write-all.js';

/** Synced writes slower than this on average are too slow to make in the event loop's thread. */
const SYNC_WRITE_LIMIT_MS = 1;
/** The weight of the newest write in the average (a few slow first writes into new space do not count). */
const WEIGHT = 0.1;

/**
 * Writes the log's batches. A synced write on a fast disk takes less time than handing it to
 * libuv's thread pool and back (0.09 against 0.21 ms per batch here, with the engine busy), and
 * one batch is written at a time anyway, so it is made in this thread while writes stay fast.
 * Once they average more than {@link SYNC_WRITE_LIMIT_MS} (a slow or network disk), every later
 * write goes to the thread pool, so the event loop is not held for long writes.
 */
export class LogWriter {
  #inThread = true;
  #averageMs = 0;
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** Whether the next write is made in this thread. */
  get inThread(): boolean {
    return this.#inThread;
  }

  async write(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
    if (!this.#inThread) return writeAll(handle, bytes, position);
    const start = this.#now();
    writeAllSync(handle, bytes, position);
    this.#averageMs += WEIGHT * (this.#now() - start - this.#averageMs);
    if (this.#averageMs > SYNC_WRITE_LIMIT_MS) this.#inThread = false;
  }
}
