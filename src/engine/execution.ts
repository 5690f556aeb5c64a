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
import type { Job } from '../model/job.js';
import { internalsOf, type Run, type RunInternals } from '../model/run.js';
import { StatePool } from './state-pool.js';
import type { Kick, Transition } from '../model/transition.js';

/** What one `processor.exec` call works with. */
export interface ExecutionContext {
  readonly graph: Graph;
  readonly ac: unknown;
  readonly run: Run<unknown, unknown>;
  readonly store: Store<unknown, unknown> | undefined;
  readonly status: StatusListener | undefined;
  readonly signal: AbortSignal | undefined;
  readonly clock: Clock;
  /** How long an exec that ignores its signal keeps its slot after its timeout or an abort. */
  readonly graceMs: number;
  /** Where retry backoffs draw their jitter (Math.random, or a seeded one in tests). */
  readonly random: () => number;
  /** Finished attempts per state that may await durability, beyond its running ones; 'strict' is 0. */
  readonly maxUndurable: (concurrency: number) => number;
}

/** Attempts started in one turn of the event loop before the engine lets timers and I/O run. */
const ATTEMPTS_PER_TURN = 1024;

/** How long a state pauses after a rate-limit signal that named no wait, when it has no limiter to back off. */
const DEFAULT_RATE_LIMIT_PAUSE_MS = 1000;

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
  readonly #committer: Committer<unknown> | undefined;
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

  constructor(ctx: ExecutionContext) {
    this.#ctx = ctx;
    this.#own = internalsOf(ctx.run);
    this.#pools = ctx.graph.states.map((node) => new StatePool(node, node.terminal ? 0 : ctx.maxUndurable(node.concurrency)));
    this.#byName = new Map(this.#pools.map((p) => [p.name, p]));
    this.#status = new StatusTracker(this.#pools, ctx.status);
    this.#committer = ctx.store ? new Committer(ctx.store, (error) => this.#failStore(error), (error) => this.#fatal(error)) : undefined;
    // Every attempt in flight listens to this signal (fetch, http): hundreds of listeners are expected.
    setMaxListeners(0, this.#controller.signal);
  }

  async run(): Promise<ProcessorExecResult> {
    for (const job of this.#own.jobs.values()) this.#place(job);
    if (this.#ctx.store) await this.#ctx.store.checkpoint(this.#ctx.run, 'start');
    const finished = new Promise<void>((resolve) => (this.#finish = resolve));
    const outer = this.#ctx.signal;
    const onAbort = () => this.#stop(outer?.reason);
    outer?.addEventListener('abort', onAbort, { once: true });
    this.#own.onAdd = (job, record) => this.#added(job, record);
    try {
      if (outer?.aborted) onAbort();
      for (const pool of this.#pools) this.#pump(pool);
      this.#status.flush();
      this.#checkDone();
      await finished;
    } finally {
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
      throw this.#writeError.error;
    }
    if (this.#ctx.store) await this.#ctx.store.checkpoint(this.#ctx.run, 'stop');
    this.#status.flush();
    let failed = 0;
    for (const pool of this.#pools) failed += pool.failed;
    const outcome = this.#waiting === 0 && !this.#controller.signal.aborted ? 'complete' : 'aborted';
    for (const pool of this.#pools) pool.delayed = 0; // a job waiting out a backoff simply waits in its state
    return { outcome, transitions: this.#transitions, failed, ...(this.#abandoned > 0 ? { abandoned: this.#abandoned } : {}) };
  }

  /** Counts a job where it is, queueing it when it has work to do. */
  #place(job: Job<unknown>): void {
    const pool = this.#byName.get(job.state) as StatePool; // states were checked before the execution
    if (pool.terminal) {
      pool.completed++;
      return;
    }
    if (job.failed) {
      pool.failed++;
      return;
    }
    pool.waiting.push(job);
    this.#waiting++;
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
        this.#enqueue(job);
      }),
      ms,
    );
    this.#retryTimers.add(timer);
  }

  #clearTimers(): void {
    for (const timer of this.#retryTimers) this.#ctx.clock.clearTimeout(timer);
    this.#retryTimers.clear();
    for (const pool of this.#pools) {
      if (pool.wakeTimer !== undefined) this.#ctx.clock.clearTimeout(pool.wakeTimer);
      pool.wakeTimer = undefined;
    }
  }

  #enqueue(job: Job<unknown>): void {
    this.#place(job);
    const pool = this.#byName.get(job.state) as StatePool;
    if (!pool.terminal) this.#pump(pool);
  }

  #pump(pool: StatePool): void {
    while (!this.#stopping && !this.#yielding && pool.hasFreeSlot() && this.#permitted(pool)) {
      const job = pool.waiting.shift() as Job<unknown>;
      this.#waiting--;
      pool.active++;
      pool.executing++;
      this.#executing++;
      void pool.queue.add(() => this.#attempt(pool, job));
      if (++this.#burst >= ATTEMPTS_PER_TURN) this.#yieldThenPump();
    }
    this.#status.changed();
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
    const clock = this.#ctx.clock;
    const paused = pool.pausedUntil - clock.now();
    const wait = paused > 0 ? paused : this.#limiterWait(pool);
    if (wait <= 0) return true;
    if (pool.wakeTimer === undefined) {
      pool.wakeTimer = clock.setTimeout(
        this.#guarded(() => {
          pool.wakeTimer = undefined;
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
  #attempt(pool: StatePool, job: Job<unknown>): Promise<void> {
    const slot = new Slot(pool, job);
    this.#slots.add(slot);
    let done: Promise<void>;
    try {
      // The exec gets its own copy: a jc mutated in place must not reach the stored job before its transition.
      const args = { ac: this.#ctx.ac, oc: this.#ctx.run.oc, jc: copyJson(job.jc), job, signal: this.#controller.signal, attempt: (this.#attempts.get(job.id) ?? 0) + 1, kick };
      done = runAttempt(pool.node, args, pool.attemptContext ?? this.#attemptContext(pool), (outcome) => this.#report(slot, outcome));
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
    if (outcome.kind === 'timed-out') this.#startGrace(slot);
    this.#settle(slot.pool, slot.job, outcome);
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
    if (!slot.reported) this.#settle(slot.pool, slot.job, { kind: 'aborted' }); // the shutdown's: the job waits where it is
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
    try {
      const wait = limiter.tryAcquire();
      return typeof wait === 'number' && wait > 0 ? wait : 0;
    } catch (error) {
      warnOnce(pool, 'tryAcquire', error);
      return 0;
    }
  }

  #settle(pool: StatePool, job: Job<unknown>, outcome: AttemptOutcome): void {
    if (outcome.kind === 'aborted') return this.#requeue(pool, job);
    if (this.#writeError) return this.#drop(pool);
    if (outcome.kind === 'threw') {
      const limited = findRateLimitError(outcome.error);
      if (limited) return this.#rateLimited(pool, job, limited.retryAfterMs);
    }
    if (outcome.kind === 'returned') this.#tellLimiter(pool, 'onSuccess');
    const { record, retryInMs } = this.#decide(pool, job, outcome);
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

  #tellLimiter(pool: StatePool, what: 'onSuccess' | 'onRateLimited', retryAfterMs?: number): void {
    const limiter = pool.node.rateLimit;
    if (limiter === undefined) return;
    try {
      if (what === 'onSuccess') limiter.onSuccess();
      else limiter.onRateLimited(retryAfterMs);
    } catch (error) {
      warnOnce(pool, what, error);
    }
  }

  /**
   * The service said "too many requests": back the limiter off, pause the state when it said how
   * long (or when there is no limiter to slow down), and put the job back at the front. Flow
   * control, not a failure: nothing is recorded and no retry is spent.
   */
  #rateLimited(pool: StatePool, job: Job<unknown>, retryAfterMs: number | undefined): void {
    const limiter = pool.node.rateLimit;
    this.#tellLimiter(pool, 'onRateLimited', retryAfterMs);
    const pause = retryAfterMs ?? (limiter ? 0 : DEFAULT_RATE_LIMIT_PAUSE_MS);
    if (pause > 0) pool.pausedUntil = Math.max(pool.pausedUntil, this.#ctx.clock.now() + pause);
    pool.executing--;
    this.#executing--;
    pool.waiting.unshift(job);
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
    const base = { type: 'transition', id: job.id, from: node.name, jc: job.jc, at: this.#ctx.clock.now() } as const;
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
    pool.waiting.push(job);
    this.#waiting++;
    this.#status.changed();
    this.#checkDone();
  }

  /** The record of a returned transition; a failed one when reading it threw (a getter, a revoked proxy). */
  #recordOrFailure(pool: StatePool, job: Job<unknown>, outcome: Extract<AttemptOutcome, { kind: 'returned' }>): TransitionRecord<unknown> {
    try {
      return this.#recordFor(pool, job, outcome);
    } catch (error) {
      const at = this.#ctx.clock.now();
      return { type: 'transition', id: job.id, from: pool.name, to: pool.name, jc: job.jc, at, error: `the exec's transition could not be read: ${messageOf(error)}`, failed: true };
    }
  }

  /** The record of a returned transition (a failed one when the exec returned something invalid). */
  #recordFor(pool: StatePool, job: Job<unknown>, outcome: Extract<AttemptOutcome, { kind: 'returned' }>): TransitionRecord<unknown> {
    const from = pool.name;
    const at = this.#ctx.clock.now();
    const problem = checkTransition(pool.node, outcome.transition) ?? unstorable(outcome.transition);
    if (problem !== undefined) return { type: 'transition', id: job.id, from, to: from, jc: job.jc, at, error: problem, failed: true };
    const t = outcome.transition;
    const record: TransitionRecord<unknown> = { type: 'transition', id: job.id, from, to: t.state, jc: t.jc, at };
    if (t.error === undefined && (t.kicks === undefined || t.kicks.length === 0)) return record;
    return this.#withExtras(record, job, t);
  }

  #withExtras(record: TransitionRecord<unknown>, job: Job<unknown>, t: Transition<unknown>): TransitionRecord<unknown> {
    const kicks = t.kicks && t.kicks.length > 0 ? this.#reserveKicks(job, t.kicks) : [];
    return {
      ...record,
      ...(t.error !== undefined ? { error: messageOf(t.error) } : {}),
      ...(kicks.length > 0 ? { kicks } : {}),
    };
  }

  /**
   * Gives each kick its id now, so two jobs kicking the same key at once still make one child.
   * Reservations stay in the execution until their record is durable: a snapshot of the run never
   * holds a key or a count whose kick a crash could lose, so the kick made again after a restart
   * gets the same id and is not dropped as a duplicate.
   */
  #reserveKicks(parent: Job<unknown>, kicks: readonly Kick<unknown>[]): KickRecord<unknown>[] {
    const { kickCounts, kickKeys, jobs } = this.#own;
    const records: KickRecord<unknown>[] = [];
    let n = this.#pendingCounts.get(parent.id) ?? kickCounts.get(parent.id) ?? 0;
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
      });
    }
    this.#pendingCounts.set(parent.id, n);
    return records;
  }

  #apply(pool: StatePool, job: Job<unknown>, record: TransitionRecord<unknown>, retryInMs?: number): void {
    const children = applyTransition(this.#own, job, record);
    if (record.kicks) this.#releaseReservations(job, record.kicks);
    this.#executing--;
    this.#transitions++;
    if (record.failed) pool.failed++;
    else if (retryInMs !== undefined && retryInMs > 0) this.#enqueueLater(pool, job, retryInMs);
    else this.#enqueue(job);
    for (const child of children) this.#enqueue(child);
    this.#status.changed();
    this.#checkDone();
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
        this.#enqueue(job);
      });
      return;
    }
    this.#enqueue(job);
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
    if (this.#executing > 0) return;
    if (this.#waiting > 0 && !this.#stopping) return;
    this.#finish?.();
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

/** One attempt's hold on a slot of its state. */
class Slot {
  reported = false;
  abandoned = false;
  freed = false;
  graceTimer: unknown = undefined;
  release: (() => void) | undefined = undefined;

  constructor(
    readonly pool: StatePool,
    readonly job: Job<unknown>,
  ) {}
}
