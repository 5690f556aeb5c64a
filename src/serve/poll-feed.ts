import type { Run } from '../model/run.js';
import type { RunFeed } from './dashboard.js';

/**
 * A feed for a run with no log to tail (PostgreSQL): the run read again whole every `intervalMs`
 * (never two reads at once), each read a `reloaded`. Costs a full read per look: keep the interval
 * at a second or more for a big run.
 */
export class PollFeed implements RunFeed {
  readonly #read: () => Promise<Run<unknown, unknown> | undefined>;
  readonly #minIntervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(read: () => Promise<Run<unknown, unknown> | undefined>, minIntervalMs = 1_000) {
    this.#read = read;
    this.#minIntervalMs = minIntervalMs;
  }

  load(): Promise<Run<unknown, unknown> | undefined> {
    return this.#read();
  }

  follow(listener: { reloaded(run: Run<unknown, unknown>): void }, intervalMs: number): void {
    const every = Math.max(intervalMs, this.#minIntervalMs);
    const look = async () => {
      if (this.#closed) return;
      const run = await this.#read().catch(() => undefined);
      if (run && !this.#closed) listener.reloaded(run);
      if (!this.#closed) this.#timer = setTimeout(() => void look(), every);
    };
    this.#timer = setTimeout(() => void look(), every);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }
}
