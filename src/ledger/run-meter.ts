// The live ledger of an execution: the engine records into it, `ledger()` reads it; not part of the public API.
import type { Clock } from '../model/clock.js';
import { systemClock } from '../model/clock.js';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { RunLedger, StateLedger } from './run-ledger.js';
import { StateMeter, WINDOW_S } from './state-meter.js';
import { runBottleneck, stateVerdict } from './verdict.js';

/** A state as the run meter reads it at ledger time: its meter and its live counts (the engine's pool). */
export interface MeteredState {
  readonly name: string;
  readonly terminal: boolean;
  readonly meter: StateMeter | undefined;
  /** Jobs waiting (ready, delayed, joining), and of those the ready ones. */
  waitingCount(): number;
  readyCount(): number;
  /** Attempts holding a slot, and the slots there are now. */
  readonly active: number;
  readonly capacity: number;
  /** Paused by a person: it starts nothing. */
  readonly paused: boolean;
}

/** Where the ledger reads the event loop's delay: a function given, the timer-drift sampler on the system clock, else nothing (0). */
export interface LoopDelaySource {
  read(): number;
  stop(): void;
}

/** The resolution of the system clock's event-loop delay histogram (ms): what an idle loop measures. */
const LOOP_RESOLUTION_MS = 10;

/**
 * The event-loop delay the ledger reports, in ms: `given` when there is one (a test's, or another
 * measure); on the system clock, the 95th percentile of how late Node's event-loop delay monitor
 * (`perf_hooks.monitorEventLoopDelay`, a native timer: no JavaScript timer, nothing a test's fake
 * timers run) found the loop since the last reading; on another clock (a `FakeClock`), 0 — a
 * fake clock has no event loop to be late. adaptive() reads the same lateness by a 20 ms timer
 * (src/policies/adaptive-loop-delay.ts); the ledger must not add a JavaScript timer, which a
 * test's `vi.runAllTimers()` would run for ever.
 */
export function loopDelaySource(clock: Clock, given: (() => number) | undefined): LoopDelaySource {
  if (given !== undefined) return { read: given, stop: () => undefined };
  if (clock !== systemClock) return { read: () => 0, stop: () => undefined };
  const histogram = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  histogram.enable();
  return {
    read: () => {
      const late = histogram.count === 0 ? 0 : histogram.percentile(95) / 1e6 - LOOP_RESOLUTION_MS;
      histogram.reset();
      return Math.max(0, late);
    },
    stop: () => histogram.disable(),
  };
}

/**
 * The ledger of one execution: per-state meters (kept on the engine's pools), the jobs that
 * failed, and the event loop's delay, read when the ledger is read (at most once a second). The
 * run's figures come from its states' (its transitions are their completions, its finished jobs
 * the terminal states' arrivals and the failed jobs): nothing more is recorded per transition.
 *
 * @internal
 */
export class RunMeter {
  readonly #states: readonly MeteredState[];
  readonly #startAt: number;
  readonly #loop: LoopDelaySource;
  /** Jobs that failed, as a state meter's arrivals. */
  readonly #failed: StateMeter;
  /** The event loop's delay, one reading per read of the ledger (at most one a second), the last WINDOW_S of them. */
  readonly #delays = new Float64Array(WINDOW_S);
  #delayCount = 0;
  #nextSampleAt: number;
  #endAt: number | undefined;
  #complete = false;

  constructor(states: readonly MeteredState[], startAt: number, loop: LoopDelaySource) {
    this.#states = states;
    this.#startAt = startAt;
    this.#loop = loop;
    this.#failed = new StateMeter(startAt);
    this.#nextSampleAt = startAt + 1000;
  }

  /** A job failed at `at` (it is finished, in no terminal state). */
  jobFailed(at: number): void {
    this.#failed.arrive(at, false);
  }

  /** The execution is over: the ledger keeps its figures as of `at`. */
  end(at: number, complete: boolean): void {
    if (this.#endAt !== undefined) return;
    this.#endAt = at;
    this.#complete = complete;
    this.#loop.stop();
  }

  /** The ledger as of `now`, given the transitions the execution applied. */
  ledger(now: number, transitions: number): RunLedger {
    const at = this.#endAt ?? now;
    if (this.#endAt === undefined && (at >= this.#nextSampleAt || this.#delayCount === 0)) this.#sampleLoop(at);
    const finished = this.#endAt !== undefined;
    let loopDelay = 0;
    for (let i = 0; i < Math.min(this.#delayCount, WINDOW_S); i++) loopDelay = Math.max(loopDelay, this.#delays[i] as number);
    const states = this.#states.map((s) => stateLedger(s, at, loopDelay, finished && this.#complete));
    const failed = this.#failed.window(at);
    const failedPerSecond = failed.spanMs > 0 ? (failed.arrivals * 1000) / failed.spanMs : 0;
    return {
      at,
      elapsedMs: at - this.#startAt,
      // Every applied transition is a completion of the state it left, over the same window.
      throughput: states.reduce((sum, s) => sum + s.completionsPerSecond, 0),
      transitions,
      eventLoopDelayMs: loopDelay,
      // A job finishes as it enters a terminal state, or as it fails.
      jobsPerSecond: states.reduce((sum, s) => sum + (s.terminal ? s.arrivalsPerSecond : 0), failedPerSecond),
      finished,
      states,
      bottleneck: runBottleneck(states, loopDelay, finished && this.#complete),
    };
  }

  #sampleLoop(at: number): void {
    let delay: number;
    try {
      delay = Number(this.#loop.read());
    } catch {
      delay = 0;
    }
    this.#delays[this.#delayCount++ % WINDOW_S] = Number.isFinite(delay) && delay > 0 ? delay : 0;
    this.#nextSampleAt = at + 1000;
  }
}

function stateLedger(s: MeteredState, at: number, loopDelayMs: number, finished: boolean): StateLedger {
  const m = s.meter as StateMeter;
  const w = m.window(at);
  const perSecond = (n: number) => (w.spanMs > 0 ? (n * 1000) / w.spanMs : 0);
  const limit = s.terminal ? 0 : s.capacity;
  const service = m.service.figures();
  const wait = m.wait.figures();
  const figures = {
    state: s.name,
    terminal: s.terminal,
    arrivalsPerSecond: perSecond(w.arrivals),
    completionsPerSecond: perSecond(w.completions),
    arrivals: m.arrivals,
    completions: m.completions,
    visitsPerJob: m.firstVisits === 0 ? (m.arrivals === 0 ? 0 : 1) : m.arrivals / m.firstVisits,
    ...(service === undefined ? {} : { serviceMs: service }),
    ...(wait === undefined ? {} : { waitMs: wait }),
    permitWaitMs: m.starts === 0 ? 0 : m.blockedMs(at) / m.starts,
    waiting: s.waitingCount(),
    ready: s.readyCount(),
    inFlight: s.active,
    limit,
    utilisation: limit > 0 && w.spanMs > 0 ? Math.min(1, w.busyMs / (limit * w.spanMs)) : 0,
    errors: m.errors,
    retries: m.retries,
    timeouts: m.timeouts,
    rateLimited: m.rateLimited,
    permitWaitShare: w.spanMs > 0 ? Math.min(1, w.blockedMs / w.spanMs) : 0,
    ...(s.paused ? { paused: true } : {}),
  };
  return { ...figures, verdict: stateVerdict(figures, { attempts: w.starts, failures: w.failures, bounced: w.rateLimited }, loopDelayMs, finished) };
}
