import type { StateStatus, StatusListener } from './state-status.js';
import { renderValue } from '../model/render-value.js';
import type { RunLedger } from '../ledger/run-ledger.js';

/** The live counts of one state, kept by the engine. */
export interface StateCounts {
  readonly name: string;
  readonly terminal: boolean;
  waitingCount(): number;
  delayedCount(): number;
  joiningCount(): number;
  /** The adaptive concurrency limit now; undefined for a fixed concurrency. */
  limitNow(): number | undefined;
  /** Paused: it starts no attempt. */
  readonly paused: boolean;
  executing: number;
  committing: number;
  completed: number;
  failed: number;
}

/**
 * Turns the engine's live counts into status updates: coalesced to one per event-loop turn (a busy
 * run changes counts thousands of times a second; listeners draw, they need not see each one) and
 * never repeating the previous update.
 */
export class StatusTracker {
  readonly #states: readonly StateCounts[];
  readonly #listener: StatusListener | undefined;
  /** The run's ledger, computed when a listener asks (undefined when the processor's ledger is off). */
  readonly #ledger: (() => RunLedger) | undefined;
  #last: readonly StateStatus[] | undefined;
  #scheduled: ReturnType<typeof setImmediate> | undefined;

  constructor(states: readonly StateCounts[], listener: StatusListener | undefined, ledger?: () => RunLedger) {
    this.#states = states;
    this.#listener = listener;
    this.#ledger = ledger;
  }

  /** Something changed: send an update soon. */
  changed(): void {
    if (this.#listener === undefined || this.#scheduled !== undefined) return;
    this.#scheduled = setImmediate(() => this.flush());
  }

  /** Sends an update now if anything changed since the last one. */
  flush(): void {
    if (this.#scheduled !== undefined) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    if (this.#listener === undefined) return;
    const next = this.snapshot();
    if (this.#last !== undefined && sameStatuses(this.#last, next)) return;
    this.#last = next;
    try {
      if (this.#ledger === undefined) this.#listener(next);
      else this.#listener(next, this.#ledger);
    } catch (error) {
      process.emitWarning(`jorb-ts: the status listener threw: ${renderValue(error)}`);
    }
  }

  snapshot(): StateStatus[] {
    return this.#states.map((s) => {
      const status: StateStatus = {
        state: s.name,
        terminal: s.terminal,
        waiting: s.waitingCount(),
        delayed: s.delayedCount(),
        joining: s.joiningCount(),
        executing: s.executing,
        committing: s.committing,
        completed: s.completed,
        failed: s.failed,
      };
      const limit = s.limitNow();
      const limited = limit === undefined ? status : { ...status, limit };
      return s.paused ? { ...limited, paused: true } : limited;
    });
  }
}

function sameStatuses(a: readonly StateStatus[], b: readonly StateStatus[]): boolean {
  return a.every((s, i) => {
    const t = b[i];
    return t !== undefined && s.waiting === t.waiting && s.delayed === t.delayed && s.joining === t.joining && s.executing === t.executing && s.committing === t.committing && s.completed === t.completed && s.failed === t.failed && s.limit === t.limit && s.paused === t.paused;
  });
}
