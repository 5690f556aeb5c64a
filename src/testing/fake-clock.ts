import type { Clock } from '../model/clock.js';
import { checkOption, numberIn } from '../model/check-option.js';

const FORWARD = numberIn({ from: 0, unit: 'milliseconds' });

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/**
 * A clock that moves only when told: `advance(ms)` runs every timer that falls due, in time order,
 * letting promises settle between them, so a workflow's timeouts, retries and rate limits run in
 * an instant and the same way every time.
 *
 * @example
 * ```ts
 * const clock = new FakeClock();
 * const done = processor.exec(run);   // a Processor made with { clock }
 * await clock.advance(30_000);         // thirty seconds, instantly
 * await done;
 * ```
 * @public
 */
export class FakeClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers: Timer[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  /** The fake time, in ms. */
  now(): number {
    return this.#now;
  }

  /**
   * Schedules `fn` at now + `ms` of fake time, exactly, however long the wait (a 30-day timeout
   * falls due at 30 days). A negative or NaN `ms` is no wait; `Infinity` never falls due.
   */
  setTimeout(fn: () => void, ms: number): unknown {
    const wait = ms > 0 ? ms : 0; // NaN too: a NaN due time would never fall due, nor let later timers pass
    const timer = { id: this.#nextId++, at: this.#now + wait, fn };
    // Keep timers sorted by due time, FIFO among equals.
    let i = this.#timers.length;
    while (i > 0 && (this.#timers[i - 1] as Timer).at > timer.at) i--;
    this.#timers.splice(i, 0, timer);
    return timer.id;
  }

  /** Cancels a scheduled timer. */
  clearTimeout(handle: unknown): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  }

  /** Timers not yet run. */
  get pending(): number {
    return this.#timers.length;
  }

  /** When the next timer falls due, if any. */
  get nextAt(): number | undefined {
    return this.#timers[0]?.at;
  }

  /**
   * Moves time forward by `ms`, running each timer that falls due and letting promises settle.
   * Throws a TypeError when `ms` is not a finite number from 0 up (time never goes back).
   */
  async advance(ms: number): Promise<void> {
    checkOption('FakeClock.advance', 'ms', ms, FORWARD);
    const until = this.#now + ms;
    await settle();
    for (let next = this.#timers[0]; next !== undefined && next.at <= until; next = this.#timers[0]) {
      this.#timers.shift();
      this.#now = Math.max(this.#now, next.at);
      next.fn();
      await settle();
    }
    this.#now = until;
    await settle();
  }

  /** Runs timers until none is left (or `maxMs` of fake time has passed), e.g. until a run completes. */
  async runAll(maxMs = 24 * 3600_000): Promise<void> {
    const limit = this.#now + maxMs;
    await settle();
    for (let next = this.#timers[0]; next !== undefined && next.at <= limit; next = this.#timers[0]) {
      await this.advance(next.at - this.#now);
    }
  }
}

/** Lets every pending promise chain run to its next real wait. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
