import PQueue from 'p-queue';
import type { StateNode } from '../model/graph.js';
import type { StateCounts } from '../status/status-tracker.js';
import type { Job } from '../model/job.js';
import type { AttemptContext } from './attempt.js';
import { PriorityQueue } from './priority-queue.js';
import type { AdaptiveLimit } from '../policies/adaptive-limit.js';
import type { MeteredState } from '../ledger/run-meter.js';
import { StateMeter } from '../ledger/state-meter.js';

/**
 * The jobs of one state during an execution. Waiting jobs stay in our own FIFO and are handed to
 * the state's p-queue only when a slot is free, so p-queue never holds more than `concurrency`
 * tasks (feeding it every waiting job would cost a closure and a promise per job up front).
 */
export class StatePool implements StateCounts, MeteredState {
  readonly node: StateNode;
  readonly waiting = new PriorityQueue<Job<unknown>>();
  /** The state's slots (one, unused, for a terminal state: nothing is ever queued there). */
  readonly queue: PQueue;
  /** Attempts holding a slot (a timed-out exec that runs on still holds one). */
  active = 0;
  /** Jobs whose exec is running (their outcome is not known yet). */
  executing = 0;
  /** Jobs whose exec finished and whose transition awaits durability. */
  committing = 0;
  /** Finished attempts that may await durability beyond the running ones: how far the state may run ahead of the store. */
  readonly maxUndurable: number;
  /** Jobs waiting out a retry backoff or a delay (counted as waiting). */
  delayed = 0;
  /** A join state's jobs waiting for their children to settle, by id (counted as waiting; they hold no slot). */
  readonly joining = new Map<string, Job<unknown>>();
  /** Shared runs: the timer that claims again when the state's next delayed job falls due, and when. */
  dueTimer: unknown = undefined;
  dueAt = Infinity;
  /** No attempt starts before this time (a rate-limit pause). */
  pausedUntil = 0;
  /** Paused by a person (processor.pause, jorb pause, the dashboard): no attempt starts until resumed. */
  paused = false;
  /** On a cycle of the workflow's transitions: a job may visit it twice (the ledger reads its history). */
  revisitable = false;
  /** The timer that pumps the state again when a pause or a rate limit ends. */
  wakeTimer: unknown = undefined;
  /** When that timer fires (Infinity: none armed). */
  wakeAt = Infinity;
  completed = 0;
  failed = 0;
  /** What every attempt of this state passes to runAttempt (made on first use). */
  attemptContext: AttemptContext | undefined = undefined;
  /**
   * How many attempts may run here at once in this process: the state's concurrency, or, when the
   * run is shared with other processes, the slots this process holds of it; with an adaptive
   * limit, at most that limit (see `share`).
   */
  capacity: number;
  /** What the run allows here regardless of an adaptive limit: the concurrency, or a shared run's claimed share. */
  share: number;
  /** The state's adaptive concurrency limit, if it has one (the graph compiler checked it is ours). */
  readonly adaptive: AdaptiveLimit | undefined;
  /** Shared runs: the slots of this state this process holds (capacity is at most this, less above its share). */
  held = 0;
  /** Attempts started so far, and (shared runs) how many per second lately, measured at each claim. */
  started = 0;
  startRate = 0;
  #rateAt = -1;
  #rateStarted = 0;
  /** Shared runs: a claim for this state is in flight. */
  claiming = false;
  /** Shared runs: the last claim found nothing more to take; claim again after a wake-up or a heartbeat. */
  dry = false;
  /** Shared runs: the last claim wanted more slots and got none; ask again after a wake-up or a heartbeat. */
  starved = false;
  /** Shared runs: jobs a commit in flight keeps here (they join `waiting` once it is durable). */
  kept = 0;
  /** Shared rate limits: permits drawn from the store's bucket and not used yet; a draw in flight; no permit before this time. */
  permits = 0;
  fetchingPermits = false;
  permitsAt = 0;

  /** The state's live ledger (none when the processor's ledger is off). */
  readonly meter: StateMeter | undefined;

  constructor(node: StateNode, maxUndurable: number, ledgerStartAt?: number) {
    this.node = node;
    this.meter = ledgerStartAt === undefined ? undefined : new StateMeter(ledgerStartAt, this);
    this.maxUndurable = maxUndurable;
    this.queue = new PQueue({ concurrency: Math.max(1, node.concurrency) });
    this.adaptive = node.adaptive as AdaptiveLimit | undefined;
    this.share = node.concurrency;
    this.capacity = this.adaptive === undefined ? node.concurrency : Math.min(node.concurrency, this.adaptive.current());
  }

  /** Sets what the run allows here; capacity follows it, within the adaptive limit. */
  setShare(share: number): void {
    this.share = share;
    this.capacity = this.adaptive === undefined ? share : Math.min(share, this.adaptive.current());
  }

  /** The adaptive limit now, for status updates; undefined for a fixed concurrency. */
  limitNow(): number | undefined {
    return this.adaptive?.current();
  }

  /** Updates `startRate` (an average over the last second or so) from the attempts started since the last call. */
  measureRate(now: number): void {
    if (this.#rateAt >= 0 && now > this.#rateAt) {
      const rate = ((this.started - this.#rateStarted) * 1000) / (now - this.#rateAt);
      const weight = Math.min(1, (now - this.#rateAt) / 1000);
      this.startRate += weight * (rate - this.startRate);
    }
    this.#rateAt = now;
    this.#rateStarted = this.started;
  }

  get name(): string {
    return this.node.name;
  }

  get terminal(): boolean {
    return this.node.terminal;
  }

  waitingCount(): number {
    return this.waiting.length + this.delayed + this.joining.size;
  }

  /** Jobs ready to start (waiting for a slot or a permit only). */
  readyCount(): number {
    return this.waiting.length;
  }

  delayedCount(): number {
    return this.delayed;
  }

  joiningCount(): number {
    return this.joining.size;
  }

  /**
   * A free slot, and room ahead of the store: a kill -9 re-runs at most the attempts running plus
   * those awaiting durability, so the state starts no attempt while those reach
   * `concurrency + maxUndurable`.
   */
  hasFreeSlot(): boolean {
    const capacity = this.capacity;
    return this.active < capacity && this.active + this.committing < capacity + this.maxUndurable && this.waiting.length > 0 && !this.paused;
  }
}
