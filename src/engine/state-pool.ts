import PQueue from 'p-queue';
import type { StateNode } from '../model/graph.js';
import type { StateCounts } from '../status/status-tracker.js';
import type { Job } from '../model/job.js';
import { PriorityQueue } from './priority-queue.js';

/**
 * The jobs of one state during an execution. Waiting jobs stay in our own FIFO and are handed to
 * the state's p-queue only when a slot is free, so p-queue never holds more than `concurrency`
 * tasks (feeding it every waiting job would cost a closure and a promise per job up front).
 */
export class StatePool implements StateCounts {
  readonly node: StateNode;
  readonly waiting = new PriorityQueue<Job<unknown>>();
  /** The state's slots (one, unused, for a terminal state: nothing is ever queued there). */
  readonly queue: PQueue;
  /** Attempts holding a slot (a timed-out exec that runs on still holds one). */
  active = 0;
  /** Jobs in an attempt whose outcome is not applied yet. */
  executing = 0;
  /** Jobs waiting out a retry backoff (counted as waiting). */
  delayed = 0;
  /** No attempt starts before this time (a rate-limit pause). */
  pausedUntil = 0;
  /** The timer that pumps the state again when a pause or a rate limit ends. */
  wakeTimer: unknown = undefined;
  completed = 0;
  failed = 0;

  constructor(node: StateNode) {
    this.node = node;
    this.queue = new PQueue({ concurrency: Math.max(1, node.concurrency) });
  }

  get name(): string {
    return this.node.name;
  }

  get terminal(): boolean {
    return this.node.terminal;
  }

  waitingCount(): number {
    return this.waiting.length + this.delayed;
  }

  hasFreeSlot(): boolean {
    return this.active < this.node.concurrency && this.waiting.length > 0;
  }
}
