import { nextTurn } from './next-turn.js';
import { setMaxListeners } from 'node:events';
import { match } from 'ts-pattern';
import type { Graph } from '../model/graph.js';
import { decideRetry } from '../policies/retry.js';
import { decideTimeout, timedOutMessage } from '../policies/timeout.js';
import { copyJson, jsonProblem } from '../model/json-value.js';
import { renderValue } from '../model/render-value.js';
import type { Clock } from '../model/clock.js';
import { findRateLimitError } from '../policies/rate-limit-error.js';
import type { StatusListener } from '../status/state-status.js';
import { StatusTracker } from '../status/status-tracker.js';
import type { Store } from '../model/store.js';
import type { KickRecord, StoreRecord, TransitionRecord } from '../model/store-record.js';
import { applyTransition } from '../model/apply-record.js';
import { type AttemptContext, type AttemptOutcome, runAttempt } from './attempt.js';
import { checkTransition } from './check-transition.js';
import { Committer } from './committer.js';
import type { ProcessorExecResult } from './processor-exec-result.js';
import type { Job, MutableJob } from '../model/job.js';
import { internalsOf, type Run, type RunInternals } from '../model/run.js';
import type { ChildResult } from '../model/transition.js';
import { StatePool } from './state-pool.js';
import type { AdaptiveLimit } from '../policies/adaptive-limit.js';
import type { Kick, Transition } from '../model/transition.js';
import type { CommitChoices, WorkSource } from '../model/work-source.js';
import type { RateLimiter } from '../model/rate-limiter.js';
import type { Schedule } from '../schedule/schedule.js';
import { scheduleKeyPrefix } from '../schedule/schedule.js';
import { Scheduler, type ScheduleTarget } from '../schedule/scheduler.js';
import type { ScheduleHistory } from '../schedule/tick-plan.js';
import { loopDelaySource, RunMeter } from '../ledger/run-meter.js';
import type { AttemptObserver } from '../model/attempt-observer.js';
import type { PausedStates } from '../model/paused-states.js';
import { AttemptWatches } from './attempt-watches.js';
import { revisitableStates } from './revisitable-states.js';
import type { RunLedger } from '../ledger/run-ledger.js';
import type { StateMeter } from '../ledger/state-meter.js';

/** What one `processor.exec` call works with. */
export interface ExecutionContext {
  readonly graph: Graph;
  readonly ac: unknown;
  readonly run: Run<unknown, unknown>;
  readonly store: Store<unknown, unknown> | undefined;
  readonly status: StatusListener | undefined;
  readonly signal: AbortSignal | undefined;
  /** Recurring work: jobs added at each tick while the execution runs. */
  readonly schedules: readonly Schedule<unknown>[];
  readonly clock: Clock;
  /** How long an exec that ignores its signal keeps its slot after its timeout or an abort. */
  readonly graceMs: number;
  /** Where retry backoffs draw their jitter (Math.random, or a seeded one in tests). */
  readonly random: () => number;
  /** Finished attempts per state that may await durability, beyond its running ones; 'strict' is 0. */
  readonly maxUndurable: (concurrency: number) => number;
  /** The live ledger, with where it reads the event loop's delay; undefined: off. */
  readonly ledger: { readonly eventLoopDelay?: () => number } | undefined;
  /** Told of every attempt's start and end (empty: none, and nothing is spent on them). */
  readonly observers: readonly AttemptObserver[];
  /** The states the processor paused, for a store that keeps no paused states of its own. */
  readonly paused: ReadonlySet<string>;
}

/** Attempts started in one turn of the event loop before the engine lets timers and I/O run. */
const ATTEMPTS_PER_TURN = 1024;

/** Shared rate limits: how long a state waits for permits it asked the store for (it is pumped as soon as they come). */
const PERMIT_WAIT_MS = 20;

/** Shared runs: how long an idle process waits before it looks for work again when no wake-up came. */
const POLL_MS = 250;

/**
 * Shared runs: how many jobs a state keeps claimed ahead (claims come in batches of about half):
 * about CLAIM_AHEAD_S of its work at the rate it starts attempts, so that a fast state pays one
 * round trip for many transitions and a slow one does not hoard jobs another process could run;
 * at least twice its slots, at most 64 times its concurrency.
 */
function claimAhead(pool: StatePool): number {
  const least = Math.max(8, 2 * pool.held);
  return Math.min(Math.max(least, Math.ceil(pool.startRate * CLAIM_AHEAD_S)), 64 * pool.node.concurrency);
}

/** Shared runs: how many seconds of a state's work it keeps claimed ahead (see claimAhead). */
const CLAIM_AHEAD_S = 0.2;

/** How long a state pauses after a rate-limit signal that named no wait, when it has no limiter to back off. */
const DEFAULT_RATE_LIMIT_PAUSE_MS = 1000;

/** Shared runs: a job whose delay ends further off than this goes back to the store rather than staying claimed here. */
const KEEP_DELAYED_MS = 1000;

/** What a state that is not a join passes as `children`: shared, so the common attempt allocates nothing. */
const NO_CHILDREN: readonly ChildResult<unknown>[] = Object.freeze([]);

/** `ExecArgs.kick`: the kick itself; its type, given by the state's `.spawns(...)`, is the point. */
const kick = (k: Kick<unknown>): Kick<unknown> => k;

/**
 * One pass of a processor over a run: places the run's jobs in per-state pools, runs attempts as
 * slots free up, records each completed transition (through the store when there is one) and
 * resolves when every job is terminal or failed, when the outer signal aborts, or when the store
 * fails.
 */
export class Execution {
  readonly #ctx: ExecutionContext;
  readonly #own: RunInternals<unknown>;
  readonly #pools: StatePool[];
  readonly #byName: Map<string, StatePool>;
  readonly #status: StatusTracker;
  /** Made when the execution starts (a shared run's source says how its batches gather). */
  #committer: Committer<unknown> | undefined;
  /** Aborted on an outer abort or a store failure; every attempt's signal follows it. */
  readonly #controller = new AbortController();
  #waiting = 0;
  /** Jobs in flight: an exec running, or its transition awaiting durability. */
  #executing = 0;
  #transitions = 0;
  /** Attempts whose exec ignored its signal past the grace period: their slots were released. */
  #abandoned = 0;
  /** The attempts holding a slot now. */
  readonly #slots = new Set<Slot>();
  /** Jobs added by `run.add` during this execution whose add record is not durable yet (in #executing). */
  #addsInFlight = 0;
  /** Attempts started since the engine last let the event loop run. */
  #burst = 0;
  #yielding = false;
  readonly #pendingCounts = new Map<string, number>();
  readonly #pendingKeys = new Set<string>();
  /** Attempts made so far in the current visit of a state, by job id (for retry and timeout retries). */
  readonly #attempts = new Map<string, number>();
  /** Retry backoffs waiting to re-queue their job. */
  readonly #retryTimers = new Set<unknown>();
  #stopping = false;
  #writeError: { error: unknown } | undefined;
  #finish: (() => void) | undefined;
  /**
   * A run shared with other processes (the store offers a work source): jobs are claimed a few at
   * a time per state and let go of when this process has no room for them; see #refill.
   */
  #source: WorkSource<unknown> | undefined;
  /** Shared runs: jobs a commit in flight keeps claimed here, and jobs a commit found existing already. */
  readonly #kept = new Set<string>();
  readonly #existed = new Set<string>();
  /** Shared runs: asking the source whether any job of the run is unsettled, or waiting to ask again. */
  #settledCheck: 'asking' | 'waiting' | undefined;
  #pollTimer: unknown = undefined;
  #complete = false;
  /** The clock reading #report took for the ledger, while the outcome it reports is settled. */
  #reportAt: number | undefined = undefined;
  /** Whether any state is a join: only then are children counted. */
  readonly #joins: boolean;
  /** Joins: per parent, how many of its children have not settled and how many failed (runs held in memory). */
  readonly #childCounts = new Map<string, { unsettled: number; failed: number }>();
  /** Joins in shared runs: the settled children a claim brought for each claimed parent. */
  readonly #claimedChildren = new Map<string, readonly Job<unknown>[]>();
  /** Adds the jobs of the execution's schedules at their ticks (none: undefined). */
  #scheduler: Scheduler | undefined;
  /** The live ledger (undefined when the processor's `ledger` option is off); each pool has its state's meter. */
  readonly #meter: RunMeter | undefined;

  constructor(ctx: ExecutionContext) {
    this.#ctx = ctx;
    this.#own = internalsOf(ctx.run);
    const startAt = ctx.ledger === undefined ? undefined : ctx.clock.now();
    this.#pools = ctx.graph.states.map((node) => new StatePool(node, node.terminal ? 0 : ctx.maxUndurable(node.concurrency), startAt));
    this.#byName = new Map(this.#pools.map((p) => [p.name, p]));
    if (startAt !== undefined) for (const name of revisitableStates(ctx.graph)) (this.#byName.get(name) as StatePool).revisitable = true;
    this.#meter = startAt === undefined ? undefined : new RunMeter(this.#pools, startAt, loopDelaySource(ctx.clock, ctx.ledger?.eventLoopDelay));
    this.#status = new StatusTracker(this.#pools, ctx.status, this.#meter === undefined ? undefined : () => this.ledger() as RunLedger);
    this.#joins = ctx.graph.states.some((node) => node.join !== undefined);

    // Every attempt in flight listens to this signal (fetch, http): hundreds of listeners are expected.
    setMaxListeners(0, this.#controller.signal);
  }

  /**
   * Pauses or resumes a state now: a paused state starts no attempt (those running finish); a
   * resumed one starts its waiting jobs. Returns false for a name the workflow has no working state of.
   */
  setPaused(state: string, paused: boolean): boolean {
    const pool = this.#byName.get(state);
    if (pool === undefined || pool.terminal) return false;
    if (pool.paused === paused) return true;
    pool.paused = paused;
    if (!paused) this.#pump(pool);
    this.#status.changed();
    return true;
  }

  /** The paused states at the start, for a store that keeps none: the processor's. */
  #pauseFromProcessor(): undefined {
    for (const state of this.#ctx.paused) this.setPaused(state, true);
    return undefined;
  }

  /**
   * The paused states at the start, from a store that keeps them; watched, so that changes made by
   * another process apply within its interval. Returns what stops the watch.
   */
  async #watchPauses(pausedStates: PausedStates): Promise<() => void> {
    const apply = (paused: ReadonlySet<string>) => {
      for (const pool of this.#pools) if (!pool.terminal) this.setPaused(pool.name, paused.has(pool.name));
    };
    apply(await pausedStates.read());
    let reading = Promise.resolve();
    return pausedStates.watch(() => {
      // One read at a time, in order: the last change seen is the one applied.
      reading = reading.then(() =>
        pausedStates.read().then(this.#guarded(apply), (error: unknown) => process.emitWarning(`jorb-ts: could not read the run's paused states: ${messageOf(error)}; they stay as they were`, 'JorbWarning')),
      );
    });
  }

  /** The live ledger now (or as of the end, once the execution is over); undefined when it is off. */
  ledger(): RunLedger | undefined {
    return this.#meter?.ledger(this.#ctx.clock.now(), this.#transitions);
  }

  async run(): Promise<ProcessorExecResult> {
    try {
      return await this.#run();
    } finally {
      this.#meter?.end(this.#ctx.clock.now(), false); // after a failure (a completed run ended it in #close)
    }
  }

  async #run(): Promise<ProcessorExecResult> {
    const store = this.#ctx.store;
    this.#source = store?.workSource?.(
      this.#pools.map(({ name, terminal, node }) => ({ name, terminal, concurrency: node.concurrency, ...(node.join ? { join: node.join } : {}) })),
    );
    const source = this.#source;
    this.#committer = store
      ? new Committer(
          (records) => (source ? source.commit(records, this.#choices) : store.append(records)),
          (error) => this.#failStore(error),
          (error) => this.#fatal(error),
          source?.gatherMs ?? 0,
        )
      : undefined;
    // Awaited only when the store keeps pauses: a run.add made just after exec() must find onAdd set, as before.
    const pausedStates = store?.pausedStates?.();
    const unwatchPauses = pausedStates === undefined ? this.#pauseFromProcessor() : await this.#watchPauses(pausedStates);
    if (store) await store.checkpoint(this.#ctx.run, 'start');
    // Placed after the awaits, with nothing awaited between the placing and the first pump: a
    // delayed job's timer armed earlier could fire first on a clock that jumps to it (a test's).
    if (this.#source === undefined) {
      if (this.#joins) this.#countChildren();
      // One reading for all of them: they all became ready as the execution began.
      const at = this.#meter === undefined ? undefined : this.#ctx.clock.now();
      for (const job of this.#own.jobs.values()) this.#place(job, !this.#byName.get(job.state)?.terminal, at);
    }
    const unsubscribe = this.#source ? this.#share(this.#source) : undefined;
    const finished = new Promise<void>((resolve) => (this.#finish = resolve));
    const outer = this.#ctx.signal;
    const onAbort = () => this.#stop(outer?.reason);
    outer?.addEventListener('abort', onAbort, { once: true });
    this.#own.onAdd = (job, record) => this.#added(job, record);
    this.#startSchedules();
    for (const pool of this.#pools) pool.adaptive?.attach(this.#ctx.clock, pool.node.rateLimit);
    try {
      if (outer?.aborted) onAbort();
      for (const pool of this.#pools) this.#pump(pool);
      this.#status.flush();
      this.#checkDone();
      await finished;
    } finally {
      for (const pool of this.#pools) pool.adaptive?.detach();
      this.#scheduler?.stop();
      await this.#scheduler?.idle();
      unsubscribe?.();
      unwatchPauses?.();
      this.#own.onAdd = undefined;
      outer?.removeEventListener('abort', onAbort);
      this.#clearTimers();
    }
    return this.#close();
  }

  async #close(): Promise<ProcessorExecResult> {
    await this.#committer?.drained();
    if (this.#writeError) {
      this.#status.flush();
      // A shared run's claims are let go of, so that other processes take this one's jobs now,
      // not when the caller closes the store (a fenced process has nothing left to let go of).
      if (this.#source) await this.#ctx.store?.checkpoint(this.#ctx.run, 'stop').catch(() => undefined);
      throw this.#writeError.error;
    }
    if (this.#ctx.store) await this.#ctx.store.checkpoint(this.#ctx.run, 'stop');
    this.#status.flush();
    let failed = 0;
    for (const pool of this.#pools) failed += pool.failed;
    const done = this.#source ? this.#complete : this.#waiting === 0;
    const outcome = done && !this.#controller.signal.aborted ? 'complete' : 'aborted';
    this.#meter?.end(this.#ctx.clock.now(), outcome === 'complete');
    for (const pool of this.#pools) pool.delayed = 0; // a job waiting out a backoff simply waits in its state
    return { outcome, transitions: this.#transitions, failed, ...(this.#abandoned > 0 ? { abandoned: this.#abandoned } : {}) };
  }

  /**
   * Counts a job where it is, queueing it when it has work to do. `arrival`: it enters the state
   * (the ledger counts a visit), rather than coming back to it from a delay or a join's wait.
   */
  #place(job: Job<unknown>, arrival = true, at?: number): void {
    const pool = this.#byName.get(job.state) as StatePool; // states were checked before the execution
    const meter = pool.meter;
    let now = 0;
    if (meter !== undefined) {
      now = at ?? this.#ctx.clock.now();
      // Only a state on a cycle of the workflow can be a job's second visit: only there is its history read.
      if (arrival) meter.arrive(now, !pool.revisitable || firstVisit(job));
    }
    if (pool.terminal) {
      pool.completed++;
      return;
    }
    if (job.failed) {
      pool.failed++;
      return;
    }
    if (job.dueAt !== undefined) {
      const wait = job.dueAt - this.#ctx.clock.now();
      if (wait > 0) return this.#enqueueLater(pool, job, wait);
    }
    if (pool.node.join !== undefined && this.#mustJoin(pool, job)) {
      pool.joining.set(job.id, job);
      this.#waiting++;
      return;
    }
    pool.waiting.push(job, now);
    this.#waiting++;
  }

  /** Whether a job is settled: it needs no more work (a terminal state, or marked failed). */
  #settled(job: Job<unknown>): boolean {
    return job.failed === true || this.#byName.get(job.state)?.terminal === true;
  }

  /** Joins: counts every parent's unsettled and failed children, once, when the run is held in memory. */
  #countChildren(): void {
    for (const job of this.#own.jobs.values()) {
      if (job.parentId === undefined) continue;
      const counts = this.#childCountsOf(job.parentId);
      if (job.failed) counts.failed++;
      else if (!this.#settled(job)) counts.unsettled++;
    }
  }

  #childCountsOf(parentId: string): { unsettled: number; failed: number } {
    let counts = this.#childCounts.get(parentId);
    if (counts === undefined) this.#childCounts.set(parentId, (counts = { unsettled: 0, failed: 0 }));
    return counts;
  }

  /**
   * Joins: a job in a join state waits while a child it kicked has not settled — unless one
   * failed and the state routes failures (its exec then sends it to the failState at once). In a
   * shared run the claim took only jobs that are ready.
   */
  #mustJoin(pool: StatePool, job: Job<unknown>): boolean {
    if (this.#source) return false;
    const counts = this.#childCounts.get(job.id);
    if (counts === undefined || counts.unsettled === 0) return false;
    return !(pool.node.join?.failState !== undefined && counts.failed > 0);
  }

  /**
   * A job settled here (runs held in memory): its 'unsettled'-scoped key is free again, and a
   * parent waiting for it in a join state runs once it was the last (or a failure is routed).
   */
  #settling(job: Job<unknown>, children: readonly Job<unknown>[]): void {
    for (const child of children) {
      if (!this.#settled(child)) {
        if (this.#joins) this.#childCountsOf(job.id).unsettled++;
      } else this.#releaseKey(child);
    }
    if (!this.#settled(job)) return;
    this.#releaseKey(job);
    if (this.#joins && job.parentId !== undefined) this.#childSettled(job, job.parentId);
  }

  #releaseKey(job: Job<unknown>): void {
    if (job.keyScope !== undefined && job.key !== undefined) this.#own.kickKeys.delete(job.key);
  }

  #childSettled(child: Job<unknown>, parentId: string): void {
    const counts = this.#childCounts.get(parentId);
    if (counts === undefined) return;
    counts.unsettled--;
    if (child.failed) counts.failed++;
    const parent = this.#own.jobs.get(parentId);
    const pool = parent === undefined ? undefined : this.#byName.get(parent.state);
    if (parent === undefined || pool === undefined || !pool.joining.has(parentId) || this.#mustJoin(pool, parent)) return;
    pool.joining.delete(parentId);
    this.#waiting--;
    this.#enqueue(parent, false);
  }

  /** Joins: a parent's children as its exec sees them, in kick order (copies: they are the exec's to read). */
  #childrenOf(job: Job<unknown>): readonly ChildResult<unknown>[] {
    const claimed = this.#claimedChildren.get(job.id);
    if (claimed !== undefined) return claimed.map(childResult);
    const jobs = this.#own.jobs;
    const count = this.#own.kickCounts.get(job.id) ?? 0;
    const children: ChildResult<unknown>[] = [];
    for (let n = 0; n < count; n++) {
      const child = jobs.get(`${job.id}->${n}`);
      if (child !== undefined && child.parentId === job.id) children.push(childResult(child));
    }
    return children;
  }

  /** A retry waits out its backoff holding no slot; it counts as waiting meanwhile. */
  #enqueueLater(pool: StatePool, job: Job<unknown>, ms: number): void {
    pool.delayed++;
    this.#waiting++;
    const timer = this.#ctx.clock.setTimeout(
      this.#guarded(() => {
        this.#retryTimers.delete(timer);
        pool.delayed--;
        this.#waiting--;
        this.#enqueue(job, false);
      }),
      ms,
    );
    this.#retryTimers.add(timer);
  }

  #clearTimers(): void {
    if (this.#pollTimer !== undefined) this.#ctx.clock.clearTimeout(this.#pollTimer);
    this.#pollTimer = undefined;
    for (const timer of this.#retryTimers) this.#ctx.clock.clearTimeout(timer);
    this.#retryTimers.clear();
    for (const pool of this.#pools) {
      if (pool.wakeTimer !== undefined) this.#ctx.clock.clearTimeout(pool.wakeTimer);
      pool.wakeTimer = undefined;
      pool.wakeAt = Infinity;
      if (pool.dueTimer !== undefined) this.#ctx.clock.clearTimeout(pool.dueTimer);
      pool.dueTimer = undefined;
      pool.dueAt = Infinity;
    }
  }

  /** `at`: when the job became ready, when the caller read the clock already. */
  #enqueue(job: Job<unknown>, arrival = true, at?: number): void {
    this.#place(job, arrival, at);
    const pool = this.#byName.get(job.state) as StatePool;
    if (!pool.terminal) this.#pump(pool);
  }

  #pump(pool: StatePool): void {
    while (!this.#stopping && !this.#yielding && pool.hasFreeSlot() && this.#permitted(pool)) {
      const job = pool.waiting.shift() as Job<unknown>;
      // The ledger times every attempt of a state that starts few, one in k of one that starts thousands a second: only those need when the job was ready.
      const meter = pool.meter;
      const timedAs = meter !== undefined && (pool.started & meter.timingMask) === 0 ? meter.timingMask + 1 : 0;
      const readyAt = timedAs === 0 ? 0 : pool.waiting.shiftedAt;
      this.#waiting--;
      pool.active++;
      pool.executing++;
      pool.started++;
      this.#executing++;
      void pool.queue.add(() => this.#attempt(pool, job, timedAs, readyAt));
      if (++this.#burst >= ATTEMPTS_PER_TURN) this.#yieldThenPump();
    }
    if (this.#source) this.#refill(pool);
    this.#status.changed();
  }

  /**
   * A shared run: the jobs in memory are only those this process works on. The ones the run had
   * are in the store now (checkpoint 'start' wrote them): they come back by claims, like every other.
   */
  #share(source: WorkSource<unknown>): () => void {
    const own = this.#own;
    own.jobs.clear();
    own.kickCounts.clear();
    own.kickKeys.clear();
    for (const pool of this.#pools) pool.setShare(0);
    const offWake = source.onWake(this.#guarded(() => this.#claimAgain(false)));
    const offBeat = source.onBeat(this.#guarded(() => this.#claimAgain(true)));
    return () => {
      offWake();
      offBeat();
    };
  }

  /**
   * Something may have changed elsewhere (a wake-up, a poll): every state looks for work again. On
   * a heartbeat (`rebalance`) every state claims, so that its slots follow its share as processes
   * come and go.
   */
  #claimAgain(rebalance: boolean): void {
    if (this.#stopping) return;
    if (this.#pollTimer !== undefined) this.#ctx.clock.clearTimeout(this.#pollTimer);
    this.#pollTimer = undefined;
    if (this.#settledCheck === 'waiting') this.#settledCheck = undefined;
    for (const pool of this.#pools) {
      if (pool.terminal) continue;
      pool.dry = false;
      pool.starved = false;
      this.#refill(pool, rebalance && (pool.held > 0 || pool.waiting.length > 0));
    }
    this.#checkDone();
  }

  /**
   * Keeps a state of a shared run supplied: claims more of its jobs when fewer than CLAIM_AHEAD
   * wait here, and holds as many of its slots as this process can use (more when it has work,
   * fewer when it has none, so other processes get them). One claim per state at a time.
   */
  #refill(pool: StatePool, force = false): void {
    const source = this.#source;
    if (source === undefined || pool.terminal || pool.claiming || this.#stopping) return;
    const ahead = claimAhead(pool);
    const have = pool.waiting.length + pool.kept + pool.delayed;
    const jobs = pool.dry || pool.paused ? 0 : Math.max(0, ahead - have);
    // An adaptive limit caps what this process takes of the state's slots.
    const cap = pool.adaptive === undefined ? pool.node.concurrency : Math.min(pool.node.concurrency, pool.adaptive.current());
    const wantSlots = Math.min(cap, pool.active + have + jobs);
    const excess = pool.held > pool.capacity && pool.active <= pool.capacity; // above its share, and free to give back
    // Slots this process has no use for are given back on a heartbeat, not the moment its queue is
    // empty: work arriving a moment later would take them again (a round trip each way).
    const slotsChange = excess || (force && wantSlots < pool.held) || (wantSlots > pool.held && !pool.starved);
    if (jobs < ahead / 2 && !slotsChange && !force) return;
    // Slots the claim may give back are not started meanwhile: the floor it keeps is what may run.
    if (force && wantSlots < pool.capacity) pool.capacity = Math.max(pool.active, wantSlots);
    const floor = Math.max(pool.active, pool.capacity);
    pool.claiming = true;
    pool.measureRate(this.#ctx.clock.now());
    const asked = jobs;
    source.claim({ state: pool.name, jobs, busy: pool.active + have, running: floor, cap }).then(
      this.#guarded((claimed) => {
        pool.claiming = false;
        for (const [id, n] of claimed.kickCounts) this.#own.kickCounts.set(id, n);
        if (claimed.children) for (const [id, children] of claimed.children) this.#claimedChildren.set(id, children);
        if (claimed.nextDueAt !== undefined) this.#claimWhenDue(pool, claimed.nextDueAt);
        const at = this.#meter === undefined ? undefined : this.#ctx.clock.now();
        for (const job of claimed.jobs) {
          this.#own.jobs.set(job.id, job as MutableJob<unknown>);
          this.#place(job, true, at);
        }
        // No slot to be had (others hold them): wait for a wake-up or a heartbeat before asking again.
        pool.starved = wantSlots > claimed.slots && claimed.slots <= pool.held;
        pool.held = claimed.slots;
        // Above its share (another process wants this state too), no new attempt starts until the
        // running ones are down to it; the next claim gives the rest back.
        pool.setShare(Math.min(claimed.slots, claimed.share));
        // Nothing more to take: wait for a wake-up or a heartbeat.
        if (asked > 0) pool.dry = claimed.jobs.length < asked;
        this.#pump(pool);
        this.#checkDone();
      }),
      (error: unknown) => {
        pool.claiming = false;
        this.#failStore(error);
      },
    );
  }

  /** Shared runs: claims the state's jobs again when its next delayed one falls due (one timer per state, for the soonest). */
  #claimWhenDue(pool: StatePool, at: number): void {
    if (at >= pool.dueAt) return;
    if (pool.dueTimer !== undefined) this.#ctx.clock.clearTimeout(pool.dueTimer);
    pool.dueAt = at;
    pool.dueTimer = this.#ctx.clock.setTimeout(
      this.#guarded(() => {
        pool.dueTimer = undefined;
        pool.dueAt = Infinity;
        pool.dry = false;
        this.#refill(pool);
        this.#checkDone();
      }),
      Math.max(0, at - this.#ctx.clock.now()),
    );
  }

  /** How a commit of a shared run decides who runs a job next (see {@link CommitChoices}). */
  readonly #choices: CommitChoices = {
    keep: (id, state, dueAt) => {
      const pool = this.#byName.get(state);
      if (pool === undefined || pool.terminal || this.#writeError) return false;
      // A join waits for children other processes may settle: the store hands it out when it is ready.
      if (pool.node.join !== undefined) return false;
      if (dueAt !== undefined && dueAt - this.#ctx.clock.now() > KEEP_DELAYED_MS) return false;
      // A retry waits out its backoff here; anything else stays only while the state has room.
      const retrying = this.#attempts.has(id);
      if (!retrying && (this.#stopping || pool.waiting.length + pool.kept >= claimAhead(pool))) return false;
      pool.kept++;
      this.#kept.add(id);
      return true;
    },
    existed: (id) => {
      this.#existed.add(id);
    },
  };

  /** Shared runs: whether a job a durable commit kept stays here (and its pool's count of kept jobs is settled). */
  #stays(job: Job<unknown>): boolean {
    if (!this.#kept.delete(job.id)) return false;
    const pool = this.#byName.get(job.state);
    if (pool) pool.kept--;
    return !job.failed && pool !== undefined && !pool.terminal;
  }

  /**
   * Shared runs: a job this process no longer works on leaves memory — unless this process has
   * claimed it again meanwhile (a commit let it go, and a claim took it back before the commit's
   * effects ran): then the run holds a newer object under its id, which stays.
   */
  #evict(job: Job<unknown>): void {
    const own = this.#own;
    if (own.jobs.get(job.id) !== job) return;
    own.jobs.delete(job.id);
    own.kickCounts.delete(job.id);
    this.#claimedChildren.delete(job.id);
    this.#pendingCounts.delete(job.id);
    if (job.key !== undefined) own.kickKeys.delete(job.key);
  }

  /**
   * Execs that resolve at once would chain attempt after attempt in microtasks, and timers, aborts
   * and I/O would wait for the whole run: every ATTEMPTS_PER_TURN attempts, the engine lets the
   * event loop turn before it starts more.
   */
  #yieldThenPump(): void {
    this.#yielding = true;
    nextTurn(
      this.#guarded(() => {
        this.#yielding = false;
        this.#burst = 0;
        for (const p of this.#pools) if (!p.terminal) this.#pump(p);
      }),
    );
  }

  /**
   * Whether an attempt may start now: not while the state is paused after a rate-limit signal,
   * and only with a permit from its rate limiter. Otherwise the state is pumped again when the
   * wait is over; waiting holds no slot.
   */
  #permitted(pool: StatePool): boolean {
    if (pool.pausedUntil === 0 && pool.node.rateLimit === undefined) return true; // never paused, no limiter: no clock to read
    const clock = this.#ctx.clock;
    const now = clock.now();
    const paused = pool.pausedUntil - now;
    const wait = paused > 0 ? paused : this.#limiterWait(pool);
    if (wait <= 0) {
      if (pool.meter?.blocked === true) pool.meter.setBlocked(now, false);
      return true;
    }
    pool.meter?.setBlocked(now, true);
    // A wake-up already armed for later is brought forward when the wait got shorter (a limiter that unblocked early).
    if (pool.wakeTimer !== undefined && now + wait < pool.wakeAt) {
      clock.clearTimeout(pool.wakeTimer);
      pool.wakeTimer = undefined;
    }
    if (pool.wakeTimer === undefined) {
      pool.wakeAt = now + wait;
      pool.wakeTimer = clock.setTimeout(
        this.#guarded(() => {
          pool.wakeTimer = undefined;
          pool.wakeAt = Infinity;
          this.#pump(pool);
        }),
        wait,
      );
    }
    return false;
  }

  /**
   * One attempt, holding a slot until every exec it started has settled — or, for an exec that
   * ignores its signal, until `graceMs` after its timeout or the shutdown: then the slot is
   * released and the attempt abandoned (an outcome it reports later is discarded). Kept lean: this
   * runs for every transition (no listener per attempt: a shutdown starts the graces of the slots
   * in #slots).
   */
  #attempt(pool: StatePool, job: Job<unknown>, timedAs: number, readyAt: number): Promise<void> {
    const slot = new Slot(pool, job);
    this.#slots.add(slot);
    if (timedAs > 0) this.#timeStart(slot, timedAs, readyAt);
    if (pool.adaptive !== undefined) {
      slot.start ??= { at: this.#ctx.clock.now(), weight: 0 };
      pool.adaptive.started(pool.executing); // execs running: a job's next attempt may start before its last one's slot is freed
    }
    let done: Promise<void>;
    try {
      // The exec gets its own copy: a jc mutated in place must not reach the stored job before its transition.
      const children = pool.node.join === undefined ? NO_CHILDREN : this.#childrenOf(job);
      const routed = pool.node.join?.failState === undefined ? undefined : failedChildRoute(pool.node.join.failState, job, children);
      if (routed !== undefined) {
        // Reported a turn later, as an exec's outcome is: nothing settles inside the pump that started it.
        done = Promise.resolve().then(() => this.#report(slot, { kind: 'returned', transition: routed }));
      } else {
        const args = { ac: this.#ctx.ac, oc: this.#ctx.run.oc, jc: copyJson(job.jc), job, signal: this.#controller.signal, attempt: (this.#attempts.get(job.id) ?? 0) + 1, kick, children };
        const context = pool.attemptContext ?? this.#attemptContext(pool);
        const report = (outcome: AttemptOutcome) => this.#report(slot, outcome);
        if (this.#ctx.observers.length === 0) done = runAttempt(pool.node, args, context, report);
        else {
          const watches = new AttemptWatches(this.#ctx.observers, { run: this.#ctx.run.name, state: pool.name, job, attempt: args.attempt, at: this.#ctx.clock.now() });
          slot.watches = watches;
          done = watches.within(() => runAttempt(pool.node, args, context, report));
        }
      }
    } catch (error) {
      this.#fatal(error);
      done = Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      slot.release = resolve;
      done.then(
        () => this.#free(slot),
        (error: unknown) => {
          this.#fatal(error);
          this.#free(slot);
        },
      );
    });
  }

  /** The ledger times this attempt: when it starts, after how long it waited (readyAt: when it was ready), standing for `timedAs` attempts. */
  #timeStart(slot: Slot, timedAs: number, readyAt: number): void {
    const at = this.#ctx.clock.now();
    slot.start = { at, weight: timedAs };
    (slot.pool.meter as StateMeter).started(at, at - readyAt, timedAs);
  }

  /** What attempts of this state need besides their arguments: made once per state. */
  #attemptContext(pool: StatePool): AttemptContext {
    const limiter = pool.node.rateLimit;
    const context: AttemptContext = { clock: this.#ctx.clock, mayHedge: () => !this.#stopping && (limiter === undefined || this.#limiterWait(pool) <= 0) };
    pool.attemptContext = context;
    return context;
  }

  #report(slot: Slot, outcome: AttemptOutcome): void {
    if (slot.abandoned || slot.reported) return;
    slot.reported = true;
    if (slot.start !== undefined || (outcome.kind !== 'returned' && slot.pool.meter !== undefined)) this.#meterOutcome(slot, outcome);
    if (slot.pool.adaptive !== undefined) this.#adapt(slot.pool, slot.pool.adaptive, (slot.start as AttemptStart).at, outcome);
    if (slot.watches !== undefined) slot.watches.end(outcome, this.#reportAt ?? this.#ctx.clock.now(), kickCount(outcome));
    if (outcome.kind === 'timed-out') this.#startGrace(slot);
    try {
      this.#settle(slot.pool, slot.job, outcome);
    } finally {
      this.#reportAt = undefined;
    }
  }

  /** The ledger's part of an outcome: a timed attempt's service time, a failure's count. */
  #meterOutcome(slot: Slot, outcome: AttemptOutcome): void {
    const meter = slot.pool.meter;
    if (meter === undefined) return; // an adaptive limit's start, the ledger off
    const failed = outcome.kind === 'timed-out' || (outcome.kind === 'threw' && findRateLimitError(outcome.error) === undefined);
    const weight = slot.start?.weight ?? 0;
    if (weight === 0 && !failed) return;
    const now = this.#ctx.clock.now();
    if (weight > 0) meter.finished(now, now - (slot.start as AttemptStart).at, weight);
    if (failed) meter.failed(now);
    // The record made of this outcome is stamped with the same reading (one clock read less per transition).
    this.#reportAt = now;
  }

  /** When the outcome being settled happened: the ledger's reading in #report, else now. */
  #outcomeAt(): number {
    return this.#reportAt ?? this.#ctx.clock.now();
  }

  /**
   * Tells a state's adaptive limit how an attempt went: a transition is a latency sample; a
   * timeout or a RateLimitError is an overload; anything else (another error, an abort) says
   * nothing about load. A changed limit is the state's capacity from now on (growth is taken up
   * when the slot frees, which pumps).
   */
  #adapt(pool: StatePool, limit: AdaptiveLimit, startedAt: number, outcome: AttemptOutcome): void {
    const kind = outcome.kind === 'returned' ? 'ok' : outcome.kind === 'timed-out' || (outcome.kind === 'threw' && findRateLimitError(outcome.error) !== undefined) ? 'overload' : 'other';
    if (limit.finished(startedAt, kind, pool.executing)) pool.setShare(pool.share);
  }

  #startGrace(slot: Slot): void {
    if (slot.graceTimer !== undefined || slot.abandoned || slot.freed) return;
    slot.graceTimer = this.#ctx.clock.setTimeout(
      this.#guarded(() => this.#abandon(slot)),
      this.#ctx.graceMs,
    );
  }

  /** The exec ignored its signal for the whole grace: its slot goes to the next job. */
  #abandon(slot: Slot): void {
    slot.graceTimer = undefined;
    slot.abandoned = true;
    this.#abandoned++;
    if (!slot.reported) {
      // An attempt observer's watch ends here too: the exec ignored its signal, and what it reports later is discarded.
      slot.watches?.end({ kind: 'aborted' }, this.#ctx.clock.now(), 0);
      this.#settle(slot.pool, slot.job, { kind: 'aborted' }); // the shutdown's: the job waits where it is
    }
    this.#free(slot);
  }

  /** Releases a slot, once: when every exec of the attempt settled, or when it was abandoned. */
  #free(slot: Slot): void {
    if (slot.freed) return;
    slot.freed = true;
    this.#slots.delete(slot);
    if (slot.graceTimer !== undefined) this.#ctx.clock.clearTimeout(slot.graceTimer);
    const pool = slot.pool;
    pool.active--;
    slot.release?.();
    if (!this.#stopping) this.#pump(pool);
    this.#checkDone();
  }

  /** The limiter's wait before the next attempt; a limiter that throws is taken at its word of 0, once warned. */
  #limiterWait(pool: StatePool): number {
    const limiter = pool.node.rateLimit;
    if (limiter === undefined) return 0;
    if (this.#source) return this.#sharedPermit(this.#source, pool, limiter);
    try {
      const wait = limiter.tryAcquire();
      return typeof wait === 'number' && wait > 0 ? wait : 0;
    } catch (error) {
      warnOnce(pool, 'tryAcquire', error);
      return 0;
    }
  }

  /**
   * A shared run's rate limit holds across its processes: permits come from one bucket in the
   * store, a tenth of a second's worth at a time, refilled at the rate this state's limiter says
   * now (so `aimd` still backs off on this process's rate-limit signals). Returns the wait, as
   * `tryAcquire` does; the state is pumped again when permits arrive.
   */
  #sharedPermit(source: WorkSource<unknown>, pool: StatePool, limiter: RateLimiter): number {
    if (pool.permits > 0) {
      pool.permits--;
      return 0;
    }
    const now = this.#ctx.clock.now();
    if (pool.permitsAt > now) return pool.permitsAt - now;
    if (pool.fetchingPermits) return PERMIT_WAIT_MS;
    let perSecond: number;
    try {
      perSecond = limiter.current();
    } catch (error) {
      warnOnce(pool, 'current', error);
      return 0;
    }
    if (!(perSecond > 0) || perSecond === Infinity) return 0;
    const want = Math.max(1, Math.ceil(perSecond / 10));
    pool.fetchingPermits = true;
    source.permits(pool.name, want, perSecond, want).then(
      this.#guarded(({ granted, waitMs }) => {
        pool.fetchingPermits = false;
        pool.permits += granted;
        if (granted === 0) pool.permitsAt = this.#ctx.clock.now() + waitMs;
        this.#pump(pool);
      }),
      (error: unknown) => {
        pool.fetchingPermits = false;
        this.#failStore(error);
      },
    );
    return PERMIT_WAIT_MS;
  }

  #settle(pool: StatePool, job: Job<unknown>, outcome: AttemptOutcome): void {
    const limited = outcome.kind === 'threw' ? findRateLimitError(outcome.error) : undefined;
    if (limited !== undefined && !this.#writeError) return this.#rateLimited(pool, job, limited.retryAfterMs);
    // Every permitted attempt's end reaches the limiter once: a success, a rate-limit signal (above), or neither.
    this.#tellLimiter(pool, outcome.kind === 'returned' ? 'onSuccess' : 'onFailure');
    if (outcome.kind === 'aborted') return this.#requeue(pool, job);
    if (this.#writeError) return this.#drop(pool);
    const { record, retryInMs } = this.#decide(pool, job, outcome);
    const meter = pool.meter;
    if (meter !== undefined && (record.error !== undefined || retryInMs !== undefined)) {
      if (record.error !== undefined) meter.errors++;
      if (retryInMs !== undefined) meter.retries++;
      if (outcome.kind === 'timed-out') meter.timeouts++;
    }
    pool.executing--;
    if (!this.#committer) return this.#apply(pool, job, record, retryInMs);
    // The slot may go to the next job, but the state runs at most maxUndurable ahead of the store.
    pool.committing++;
    this.#committer.push(record, () => {
      pool.committing--;
      this.#apply(pool, job, record, retryInMs);
      this.#pump(pool);
    });
  }

  #tellLimiter(pool: StatePool, what: 'onSuccess' | 'onFailure' | 'onRateLimited', retryAfterMs?: number): number | undefined {
    const limiter = pool.node.rateLimit;
    if (limiter === undefined) return undefined;
    try {
      if (what === 'onSuccess') limiter.onSuccess();
      else if (what === 'onFailure') limiter.onFailure?.();
      else return decidedPause(limiter.onRateLimited(retryAfterMs));
    } catch (error) {
      warnOnce(pool, what, error);
    }
    return undefined;
  }

  /**
   * The service said "too many requests": back the limiter off, pause the state for as long as the
   * limiter decides (a limiter that returns a number), else as long as the service said (or a
   * default when there is no limiter to slow down), and put the job back at the front. Flow
   * control, not a failure: nothing is recorded and no retry is spent.
   */
  #rateLimited(pool: StatePool, job: Job<unknown>, retryAfterMs: number | undefined): void {
    const limiter = pool.node.rateLimit;
    const decided = this.#tellLimiter(pool, 'onRateLimited', retryAfterMs);
    const pause = decided ?? retryAfterMs ?? (limiter ? 0 : DEFAULT_RATE_LIMIT_PAUSE_MS);
    if (pause > 0) pool.pausedUntil = Math.max(pool.pausedUntil, this.#ctx.clock.now() + pause);
    pool.executing--;
    this.#executing--;
    const now = this.#ctx.clock.now();
    pool.meter?.bounced(now);
    pool.waiting.unshift(job, now);
    this.#waiting++;
    this.#status.changed();
    this.#checkDone();
  }

  /**
   * The record an outcome makes. The state's timeout and retry policies decide (`decideTimeout`,
   * `decideRetry` in src/policies); this applies their decision.
   */
  #decide(pool: StatePool, job: Job<unknown>, outcome: Exclude<AttemptOutcome, { kind: 'aborted' }>): { record: TransitionRecord<unknown>; retryInMs?: number } {
    const node = pool.node;
    if (outcome.kind === 'returned') {
      this.#attempts.delete(job.id);
      return { record: this.#recordOrFailure(pool, job, outcome) };
    }
    const attempt = (this.#attempts.get(job.id) ?? 0) + 1;
    const base = { type: 'transition', id: job.id, from: node.name, jc: job.jc, at: this.#outcomeAt() } as const;
    // The failure path (a timeout or a throw), off the hot path: matched exhaustively.
    return match(outcome)
      .with({ kind: 'timed-out' }, ({ timeout }) => {
        const error = timedOutMessage(timeout.ms);
        return match(decideTimeout(timeout, attempt))
          .with({ kind: 'retry' }, () => this.#again(job, attempt, { ...base, to: node.name, error }, 0))
          .with({ kind: 'fail-state' }, ({ to }) => this.#gaveUp(job, { ...base, to, error }))
          .exhaustive();
      })
      .with({ kind: 'threw' }, ({ error: thrown }) => {
        const error = messageOf(thrown);
        const decision = decideRetry(node.retry, attempt, thrown, this.#ctx.random);
        if (decision.kind === 'retry') return this.#again(job, attempt, { ...base, to: node.name, error }, decision.inMs);
        const recorded = decision.note === undefined ? error : `${error} (${decision.note})`;
        return match(decision)
          .with({ kind: 'then' }, ({ to }) => this.#gaveUp(job, { ...base, to, error: recorded }))
          .with({ kind: 'fail' }, () => this.#gaveUp(job, { ...base, to: node.name, error: recorded, failed: true }))
          .exhaustive();
      })
      .exhaustive();
  }

  /** Retries are over for this visit of the state: the record that ends it. */
  #gaveUp(job: Job<unknown>, record: TransitionRecord<unknown>): { record: TransitionRecord<unknown> } {
    this.#attempts.delete(job.id);
    return { record };
  }

  #again(job: Job<unknown>, attempt: number, record: TransitionRecord<unknown>, retryInMs: number): { record: TransitionRecord<unknown>; retryInMs: number } {
    this.#attempts.set(job.id, attempt);
    return { record, retryInMs };
  }

  /** After a store failure nothing more is recorded: the job stays where it was on disk. */
  #drop(pool: StatePool): void {
    pool.executing--;
    this.#executing--;
    this.#checkDone();
  }

  /** A shutdown interrupted the attempt: the job waits where it is for the next exec. */
  #requeue(pool: StatePool, job: Job<unknown>): void {
    pool.executing--;
    this.#executing--;
    pool.waiting.push(job, pool.meter === undefined ? 0 : this.#ctx.clock.now());
    this.#waiting++;
    this.#status.changed();
    this.#checkDone();
  }

  /** The record of a returned transition; a failed one when reading it threw (a getter, a revoked proxy). */
  #recordOrFailure(pool: StatePool, job: Job<unknown>, outcome: Extract<AttemptOutcome, { kind: 'returned' }>): TransitionRecord<unknown> {
    try {
      return this.#recordFor(pool, job, outcome);
    } catch (error) {
      const at = this.#outcomeAt();
      return { type: 'transition', id: job.id, from: pool.name, to: pool.name, jc: job.jc, at, error: `the exec's transition could not be read: ${messageOf(error)}`, failed: true };
    }
  }

  /** The record of a returned transition (a failed one when the exec returned something invalid). */
  #recordFor(pool: StatePool, job: Job<unknown>, outcome: Extract<AttemptOutcome, { kind: 'returned' }>): TransitionRecord<unknown> {
    const from = pool.name;
    const at = this.#outcomeAt();
    const problem = checkTransition(pool.node, outcome.transition) ?? unstorable(outcome.transition);
    if (problem !== undefined) return { type: 'transition', id: job.id, from, to: from, jc: job.jc, at, error: problem, failed: true };
    const t = outcome.transition;
    const record: TransitionRecord<unknown> = { type: 'transition', id: job.id, from, to: t.state, jc: t.jc, at };
    if (t.error === undefined && (t.kicks === undefined || t.kicks.length === 0) && t.delayMs === undefined) return record;
    return this.#withExtras(record, job, t);
  }

  #withExtras(record: TransitionRecord<unknown>, job: Job<unknown>, t: Transition<unknown>): TransitionRecord<unknown> {
    const kicks = t.kicks && t.kicks.length > 0 ? this.#reserveKicks(job, t.kicks, record.at) : [];
    return {
      ...record,
      ...(t.error !== undefined ? { error: messageOf(t.error) } : {}),
      ...(kicks.length > 0 ? { kicks } : {}),
      ...(t.delayMs !== undefined && t.delayMs > 0 ? { dueAt: record.at + t.delayMs } : {}),
    };
  }

  /**
   * Gives each kick its id now, so two jobs kicking the same key at once still make one child.
   * Reservations stay in the execution until their record is durable: a snapshot of the run never
   * holds a key or a count whose kick a crash could lose, so the kick made again after a restart
   * gets the same id and is not dropped as a duplicate.
   */
  #reserveKicks(parent: Job<unknown>, kicks: readonly Kick<unknown>[], at: number): KickRecord<unknown>[] {
    const { kickCounts, kickKeys, jobs } = this.#own;
    const records: KickRecord<unknown>[] = [];
    let n = Math.max(this.#pendingCounts.get(parent.id) ?? 0, kickCounts.get(parent.id) ?? 0);
    for (const kick of kicks) {
      if (kick.key !== undefined) {
        if (kickKeys.has(kick.key) || this.#pendingKeys.has(kick.key)) continue;
        this.#pendingKeys.add(kick.key);
      }
      while (jobs.has(`${parent.id}->${n}`)) n++;
      const id = `${parent.id}->${n++}`;
      records.push({
        id,
        state: kick.state,
        jc: kick.jc,
        ...(kick.key === undefined ? {} : { key: kick.key }),
        ...(kick.priority === undefined || kick.priority === 0 ? {} : { priority: kick.priority }),
        ...(kick.keyScope === 'unsettled' && kick.key !== undefined ? { keyScope: 'unsettled' as const } : {}),
        ...(kick.delayMs !== undefined && kick.delayMs > 0 ? { dueAt: at + kick.delayMs } : {}),
      });
    }
    if (records.length > 0) this.#pendingCounts.set(parent.id, n); // released when their record is durable
    return records;
  }

  #apply(pool: StatePool, job: Job<unknown>, record: TransitionRecord<unknown>, retryInMs?: number): void {
    const children = applyTransition(this.#own, job, record);
    if (record.kicks) this.#releaseReservations(job, record.kicks);
    this.#executing--;
    this.#transitions++;
    // a completion of the state it left: the run's transitions are its states' completions
    if (pool.meter !== undefined) pool.meter.completed(record.at);
    if (this.#meter !== undefined && (record.failed === true || retryInMs !== undefined)) this.#metered(pool, record, retryInMs);
    if (this.#source) return this.#applyShared(pool, job, record, children, retryInMs);
    if (this.#joins || this.#own.scopedKeys > 0) this.#settling(job, children);
    if (record.failed) pool.failed++;
    else if (retryInMs !== undefined && retryInMs > 0) this.#enqueueLater(pool, job, retryInMs);
    // In memory the job is ready at its record's time (read as the attempt ended); after a commit, now.
    else this.#enqueue(job, true, this.#committer === undefined ? record.at : undefined);
    for (const child of children) this.#enqueue(child);
    this.#status.changed();
    this.#checkDone();
  }

  /** The ledger's rare part of a transition (its completion is counted in #apply): a failed job, and a retry's new visit (it waits out its backoff before it is placed). */
  #metered(pool: StatePool, record: TransitionRecord<unknown>, retryInMs: number | undefined): void {
    if (record.failed === true) this.#meter?.jobFailed(record.at);
    else if (retryInMs !== undefined && retryInMs > 0) pool.meter?.arrive(record.at, false);
  }

  /** {@link Execution.#apply} for a shared run: what the commit kept runs here, the rest leaves memory. */
  #applyShared(pool: StatePool, job: Job<unknown>, record: TransitionRecord<unknown>, children: readonly Job<unknown>[], retryInMs?: number): void {
    const stays = this.#stays(job);
    if (record.failed) pool.failed++;
    else if (!stays) this.#count(job);
    if (!stays) this.#evict(job);
    else if (retryInMs !== undefined && retryInMs > 0) this.#enqueueLater(pool, job, retryInMs);
    else this.#enqueue(job);
    for (const child of children) this.#arrived(child);
    this.#status.changed();
    this.#checkDone();
  }

  /** Shared runs: a job a durable commit added (a kick, a run.add) runs here when the commit kept it. */
  #arrived(job: Job<unknown>): void {
    if (this.#existed.delete(job.id)) {
      this.#stays(job); // settles its pool's count of kept jobs
      this.#evict(job);
      return;
    }
    const stays = this.#stays(job);
    if (stays) return this.#enqueue(job);
    this.#count(job);
    this.#evict(job);
  }

  /** Shared runs: a job that reached a terminal state here counts there. */
  #count(job: Job<unknown>): void {
    const pool = this.#byName.get(job.state);
    if (pool?.terminal) pool.completed++;
  }

  /** The kicks are durable and in the run: their reservations are the run's own now. */
  #releaseReservations(parent: Job<unknown>, kicks: readonly KickRecord<unknown>[]): void {
    this.#pendingCounts.delete(parent.id); // one attempt per job at a time: no newer reservation
    for (const kick of kicks) if (kick.key !== undefined) this.#pendingKeys.delete(kick.key);
  }

  /** A job added with `run.add` while running: store it, then queue it. */
  #added(job: Job<unknown>, record: StoreRecord<unknown>): void {
    if (this.#committer && !this.#writeError) {
      this.#executing++;
      this.#addsInFlight++;
      this.#committer.push(record, () => {
        this.#executing--;
        this.#addsInFlight--;
        if (this.#source) this.#arrived(job);
        else this.#enqueue(job);
        this.#checkDone();
      });
      return;
    }
    this.#enqueue(job);
  }

  /** Schedules: a Scheduler over this run, adding its jobs with `run.add` (so they are stored like any other). */
  #startSchedules(): void {
    if (this.#ctx.schedules.length === 0) return;
    const scheduler = new Scheduler(this.#ctx.schedules, this.#scheduleTarget(), this.#ctx.clock, (error) => this.#fatal(error));
    scheduler.onChange(this.#guarded(() => this.#checkDone()));
    this.#scheduler = scheduler;
    scheduler.start();
  }

  /**
   * What a schedule reads and writes: its jobs are those whose key starts with its prefix. A run
   * held in memory answers from its jobs; a shared run asks the store, which sees every process's.
   */
  #scheduleTarget(): ScheduleTarget<unknown> {
    const own = this.#own;
    return {
      history: (name) => {
        const prefix = scheduleKeyPrefix(name);
        const source = this.#source;
        if (source) return source.keyed(prefix).then(({ count, last }) => (last === undefined ? { count } : { count, last: { at: Number(last.key.slice(prefix.length)), settled: last.settled } }));
        return this.#localHistory(prefix);
      },
      add: (jc, state, key, priority) => {
        // A key taken here is taken; one taken in another process is found by the store, which drops the add.
        if (own.kickKeys.has(key) || this.#pendingKeys.has(key) || this.#stopping) return false;
        this.#ctx.run.add(jc, state, priority === undefined ? { key } : { key, priority });
        return true;
      },
    };
  }

  #localHistory(prefix: string): ScheduleHistory {
    let count = 0;
    let last: Job<unknown> | undefined;
    for (const job of this.#own.jobs.values()) {
      const key = job.key;
      if (key === undefined || !key.startsWith(prefix)) continue;
      count++;
      if (last === undefined || key > (last.key as string)) last = job;
    }
    if (last === undefined) return { count };
    return { count, last: { at: Number((last.key as string).slice(prefix.length)), settled: this.#settled(last) } };
  }

  #stop(reason: unknown): void {
    this.#stopping = true;
    if (!this.#controller.signal.aborted) this.#controller.abort(reason);
    for (const slot of this.#slots) this.#startGrace(slot);
    this.#status.changed();
    this.#checkDone();
  }

  /** The store failed: take no new work, abort what runs, acknowledge nothing more. */
  #failStore(error: unknown): void {
    this.#writeError = { error };
    // What awaited durability never will be: those jobs stay where they are on disk.
    for (const pool of this.#pools) {
      this.#executing -= pool.committing;
      pool.committing = 0;
    }
    this.#executing -= this.#addsInFlight;
    this.#addsInFlight = 0;
    this.#stop(error);
  }

  /** Something that must never happen did (a bug, or a hostile clock): stop, and reject exec with it. */
  #fatal(error: unknown): void {
    if (this.#writeError === undefined) this.#writeError = { error };
    this.#stop(error);
  }

  /** `fn`, with anything it throws (in a timer or a durable effect, where nothing would catch it) made fatal. */
  #guarded<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
    return (...args: A) => {
      try {
        fn(...args);
      } catch (error) {
        this.#fatal(error);
      }
    };
  }

  #checkDone(): void {
    if (this.#scheduler?.active === true && !this.#stopping) return;
    if (this.#executing > 0) return;
    if (this.#waiting > 0 && !this.#stopping) return;
    if (this.#source && !this.#stopping && !this.#sharedDone(this.#source)) return;
    this.#finish?.();
  }

  /**
   * Shared runs: nothing runs or waits here. Done once no claim is in flight, every state found
   * nothing to take, and the source says no job anywhere needs work; while other processes still
   * work, it asks again after a wake-up, a heartbeat or POLL_MS.
   */
  #sharedDone(source: WorkSource<unknown>): boolean {
    if (this.#complete) return true;
    if (this.#settledCheck !== undefined) return false;
    for (const pool of this.#pools) if (pool.claiming || (!pool.terminal && !pool.dry) || pool.kept > 0) return false;
    this.#settledCheck = 'asking';
    source.unsettled().then(
      this.#guarded((unsettled) => {
        if (this.#settledCheck !== 'asking') return;
        if (!unsettled) {
          this.#complete = true;
          this.#stopping = true; // nothing more starts: a claim a late wake-up sent finds nothing to run
          this.#settledCheck = undefined;
          return this.#checkDone();
        }
        this.#settledCheck = 'waiting';
        this.#pollTimer = this.#ctx.clock.setTimeout(this.#guarded(() => this.#claimAgain(false)), POLL_MS);
      }),
      (error: unknown) => {
        this.#settledCheck = undefined;
        this.#failStore(error);
      },
    );
    return false;
  }
}

/**
 * Why a returned transition cannot be stored (a job context JSON would change or drop), naming the
 * path; the job fails with it, alone, and the run goes on.
 */
function unstorable(t: Transition<unknown>): string | undefined {
  const problem = jsonProblem(t.jc);
  if (problem !== undefined) return `cannot store the returned job context: ${problem}`;
  const kicks = t.kicks ?? [];
  for (let i = 0; i < kicks.length; i++) {
    const kick = kicks[i] as Kick<unknown>;
    const kicked = jsonProblem(kick.jc, `kicks[${i}].jc`);
    if (kicked !== undefined) return `cannot store kick ${i}'s job context: ${kicked}`;
  }
  return undefined;
}

/**
 * What a thrown error (or an error a transition carries) records: its message, a string as it is,
 * else its JSON; what JSON cannot show (a function, a cycle, a bigint) as error messages show
 * values. Never throws, whatever was thrown (a revoked proxy, an object whose getters throw).
 */
function messageOf(error: unknown): string {
  try {
    if (error instanceof Error) return String(error.message) || String(error.name);
    if (typeof error === 'string') return error;
    return JSON.stringify(error) ?? renderValue(error);
  } catch {
    try {
      return renderValue(error);
    } catch {
      return 'an error that cannot be shown';
    }
  }
}

const warned = new WeakSet<StatePool>();

/** A rate limiter that throws is reported once per state (a process warning) and treated as no limit. */
function warnOnce(pool: StatePool, method: string, error: unknown): void {
  if (warned.has(pool)) return;
  warned.add(pool);
  process.emitWarning(`jorb-ts: state "${pool.name}": its rate limiter's ${method}() threw (${messageOf(error)}); the state runs as if it had no rate limit`, 'JorbWarning');
}

/** When an attempt started; `weight`: how many attempts the ledger's times of it stand for (0: the ledger does not time it). */
interface AttemptStart {
  readonly at: number;
  readonly weight: number;
}

/** One attempt's hold on a slot of its state. */
class Slot {
  reported = false;
  abandoned = false;
  freed = false;
  graceTimer: unknown = undefined;
  release: (() => void) | undefined = undefined;
  /**
   * When the attempt started, kept when the ledger times it or the state has an adaptive limit. An
   * object of its own, made only then: a number field holding a time (beyond the engine's small
   * integers) would cost every slot an allocation (the engine boxes it), timed or not.
   */
  start: AttemptStart | undefined = undefined;
  /** The attempt observers' watches, when the processor has observers. */
  watches: AttemptWatches | undefined = undefined;

  constructor(
    readonly pool: StatePool,
    readonly job: Job<unknown>,
  ) {}
}

/**
 * Whether this is the job's first visit of the state it is in, as its history tells (the last 20
 * entries; the last is this visit): the ledger's visits per job count the others as revisits.
 */
function firstVisit(job: Job<unknown>): boolean {
  const history = job.history;
  const state = job.state;
  for (let i = history.length - 2; i >= 0; i--) if ((history[i] as { state: string }).state === state) return false;
  return true;
}

/** A settled child as a join's exec sees it: a copy of its job context, its errors as they are (read-only). */
function childResult(child: Job<unknown>): ChildResult<unknown> {
  return Object.freeze({ id: child.id, state: child.state, jc: copyJson(child.jc), failed: child.failed === true, errors: child.errors });
}

/** A join with a failState: the transition that sends the job there when one of its children failed, naming the first. */
function failedChildRoute(failState: string, job: Job<unknown>, children: readonly ChildResult<unknown>[]): Transition<unknown> | undefined {
  const failed = children.find((child) => child.failed);
  if (failed === undefined) return undefined;
  const errors = failed.errors[failed.state];
  const last = errors === undefined ? undefined : errors[errors.length - 1];
  return { state: failState, jc: job.jc, error: `child ${failed.id} failed in state "${failed.state}"${last === undefined ? '' : `: ${last}`}` };
}

/** A limiter's answer to a rate-limit signal as a pause: a finite number of ms >= 0, else none (the service's hint stands). */
function decidedPause(answer: number | void): number | undefined {
  return typeof answer === 'number' && Number.isFinite(answer) && answer >= 0 ? answer : undefined;
}

/** How many children a returned transition kicks (what an attempt observer is told). */
function kickCount(outcome: AttemptOutcome): number {
  if (outcome.kind !== 'returned') return 0;
  const kicks: unknown = outcome.transition.kicks;
  return Array.isArray(kicks) ? kicks.length : 0;
}
