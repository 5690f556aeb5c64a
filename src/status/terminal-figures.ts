// The figures the terminal display shows, from the engine's ledger when it gives one, else from
// successive status updates alone (rates from counts over time; no p95, no bottleneck).
import type { BottleneckKind, RunLedger } from '../ledger/run-ledger.js';
import type { StateStatus } from './state-status.js';

/** One state's row of the display. */
export interface StateFigures {
  readonly state: string;
  readonly terminal: boolean;
  readonly waiting: number;
  readonly delayed: number;
  readonly joining: number;
  /** Jobs whose exec runs. */
  readonly inFlight: number;
  readonly committing: number;
  /** The concurrency limit (the ledger's, or an adaptive state's from its status). */
  readonly limit?: number;
  /** Jobs that left the state (a terminal state: the jobs that reached it). Unknown without a ledger for a state that is not terminal. */
  readonly done?: number;
  /** Jobs that entered it (visits: a loop or a retry counts each time). */
  readonly total?: number;
  /** Jobs leaving it per second (a terminal state: reaching it), smoothed. */
  readonly ratePerSecond?: number;
  readonly p95Ms?: number;
  /** When what is in the state now will have left it, at the current rate. */
  readonly etaMs?: number;
  /** Errors (the ledger's), else the jobs marked failed here. */
  readonly errors: number;
  readonly failed: number;
  /** Paused by a person: it starts nothing until resumed. */
  readonly paused?: boolean;
  readonly verdict?: BottleneckKind;
}

/** The run's figures: the display's header, its rows, and the piped lines. */
export interface RunFigures {
  readonly elapsedMs: number;
  /** Jobs in the run (every count of every state). */
  readonly jobs: number;
  /** Jobs in a terminal state or marked failed. */
  readonly settled: number;
  /** Jobs settling per second, smoothed. */
  readonly settledPerSecond?: number;
  /** Completed transitions per second (the ledger's). */
  readonly transitionsPerSecond?: number;
  readonly etaMs?: number;
  readonly errors: number;
  /** The run's bottleneck, when the ledger names one that limits (not `idle` or `done`). */
  readonly bottleneck?: { readonly state?: string; readonly kind: BottleneckKind };
  readonly states: readonly StateFigures[];
}

/** What the display takes from a ledger: the one place that reads its shape. */
interface LedgerView {
  readonly transitionsPerSecond: number;
  readonly jobsPerSecond?: number;
  readonly bottleneck?: { readonly state?: string; readonly kind: BottleneckKind };
  readonly states: ReadonlyMap<string, { done: number; total: number; ratePerSecond: number; p95Ms?: number; limit: number; errors: number; verdict: BottleneckKind }>;
}

/** Reads the ledger (computed now, lazily) into what the display shows; undefined without one, or if it throws. */
export function readLedger(ledger: (() => RunLedger) | undefined): LedgerView | undefined {
  if (ledger === undefined) return undefined;
  let l: RunLedger;
  try {
    l = ledger();
  } catch {
    return undefined; // the display falls back to its own figures rather than fail the run
  }
  const limiting = l.bottleneck.kind !== 'idle' && l.bottleneck.kind !== 'done';
  return {
    transitionsPerSecond: l.throughput,
    ...(l.jobsPerSecond !== undefined ? { jobsPerSecond: l.jobsPerSecond } : {}),
    ...(limiting ? { bottleneck: { kind: l.bottleneck.kind, ...(l.bottleneck.state !== undefined ? { state: l.bottleneck.state } : {}) } } : {}),
    states: new Map(
      l.states.map((s) => [
        s.state,
        {
          done: s.terminal ? s.arrivals : s.completions,
          total: s.arrivals,
          ratePerSecond: s.terminal ? s.arrivalsPerSecond : s.completionsPerSecond,
          ...(s.serviceMs !== undefined ? { p95Ms: s.serviceMs.p95 } : {}),
          limit: s.limit,
          errors: s.errors,
          verdict: s.verdict.kind,
        },
      ]),
    ),
  };
}

/** A rate over the last `windowMs`: the change of a count between its oldest and newest sample. */
export class RateWindow {
  readonly #windowMs: number;
  #samples: { at: number; value: number }[] = [];

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** Records `value` at `at`; samples closer than 1/20 of the window replace the newest. */
  add(at: number, value: number): void {
    const last = this.#samples[this.#samples.length - 1];
    const beforeLast = this.#samples[this.#samples.length - 2];
    if (last !== undefined && beforeLast !== undefined && at - beforeLast.at < this.#windowMs / 20) {
      last.at = at;
      last.value = value;
    } else this.#samples.push({ at, value });
    // Keep one sample at or before the window's start, so the span covers the whole window.
    while (this.#samples.length > 2 && (this.#samples[1] as { at: number }).at <= at - this.#windowMs) this.#samples.shift();
  }

  /** Per second; undefined until the samples span a tenth of the window. */
  perSecond(): number | undefined {
    const first = this.#samples[0];
    const last = this.#samples[this.#samples.length - 1];
    if (first === undefined || last === undefined || last.at - first.at < this.#windowMs / 10) return undefined;
    return ((last.value - first.value) * 1000) / (last.at - first.at);
  }
}

/** Keeps the rate windows across updates and turns a status update (and a ledger) into figures. */
export class FigureKeeper {
  readonly #windowMs: number;
  readonly #settledRate: RateWindow;
  readonly #terminalRates = new Map<string, RateWindow>();
  #startedAt: number | undefined;

  constructor(windowMs = 5000) {
    this.#windowMs = windowMs;
    this.#settledRate = new RateWindow(windowMs);
  }

  /** Starts the elapsed time again (a new execution on the same display). */
  restart(): void {
    this.#startedAt = undefined;
  }

  /** Ms since the first update (since `restart()`), by the display's clock. */
  elapsedAt(now: number): number {
    return now - (this.#startedAt ?? now);
  }

  /** Feeds the windows; call on every update (cheap: sums of counts). */
  sample(statuses: readonly StateStatus[], now: number): void {
    this.#startedAt ??= now;
    this.#settledRate.add(now, settledOf(statuses));
    for (const s of statuses) {
      if (!s.terminal) continue;
      let window = this.#terminalRates.get(s.state);
      if (window === undefined) this.#terminalRates.set(s.state, (window = new RateWindow(this.#windowMs)));
      window.add(now, s.completed);
    }
  }

  figures(statuses: readonly StateStatus[], now: number, ledger: (() => RunLedger) | undefined): RunFigures {
    this.sample(statuses, now);
    const view = readLedger(ledger);
    const states = statuses.map((s): StateFigures => {
      const l = view?.states.get(s.state);
      const present = s.waiting + s.executing + s.committing;
      const ratePerSecond = l?.ratePerSecond ?? (s.terminal ? this.#terminalRates.get(s.state)?.perSecond() : undefined);
      const limit = l?.limit ?? s.limit;
      const done = l?.done ?? (s.terminal ? s.completed : undefined);
      return {
        state: s.state,
        terminal: s.terminal,
        waiting: s.waiting,
        delayed: s.delayed ?? 0,
        joining: s.joining ?? 0,
        inFlight: s.executing,
        committing: s.committing,
        ...(limit !== undefined && !s.terminal ? { limit } : {}),
        ...(done !== undefined ? { done } : {}),
        ...(l !== undefined && !s.terminal ? { total: l.total } : {}),
        ...(ratePerSecond !== undefined ? { ratePerSecond } : {}),
        ...(l?.p95Ms !== undefined && !s.terminal ? { p95Ms: l.p95Ms } : {}),
        ...(!s.terminal && present === 0 ? { etaMs: 0 } : {}),
        ...(!s.terminal && present > 0 && ratePerSecond !== undefined && ratePerSecond > 0 ? { etaMs: (present * 1000) / ratePerSecond } : {}),
        errors: l?.errors ?? s.failed,
        failed: s.failed,
        ...(s.paused === true ? { paused: true } : {}),
        ...(l !== undefined ? { verdict: l.verdict } : {}),
      };
    });
    const jobs = statuses.reduce((sum, s) => sum + s.waiting + s.executing + s.committing + s.completed + s.failed, 0);
    const settled = settledOf(statuses);
    const settledPerSecond = view?.jobsPerSecond ?? this.#settledRate.perSecond();
    const left = jobs - settled;
    return {
      elapsedMs: now - (this.#startedAt ?? now),
      jobs,
      settled,
      ...(settledPerSecond !== undefined ? { settledPerSecond } : {}),
      ...(view !== undefined ? { transitionsPerSecond: view.transitionsPerSecond } : {}),
      ...(left === 0 ? { etaMs: 0 } : settledPerSecond !== undefined && settledPerSecond > 0 ? { etaMs: (left * 1000) / settledPerSecond } : {}),
      errors: states.reduce((sum, s) => sum + s.errors, 0),
      ...(view?.bottleneck !== undefined ? { bottleneck: view.bottleneck } : {}),
      states,
    };
  }
}

/** Jobs in a terminal state or marked failed. */
export function settledOf(statuses: readonly StateStatus[]): number {
  return statuses.reduce((sum, s) => sum + s.completed + s.failed, 0);
}

/** Whether nothing is left to do: no job waits, runs or commits anywhere. */
export function allSettled(statuses: readonly StateStatus[]): boolean {
  return statuses.every((s) => s.waiting === 0 && s.executing === 0 && s.committing === 0);
}
