// The bottleneck verdicts, from a ledger's figures (live or from a run's histories); not part of the public API.
import type { BottleneckKind, RunLedger, StateLedger, Verdict } from './run-ledger.js';

/** The event loop is this late (ms) or more: the CPU limits the run (adaptive() stops growing at the same delay). */
export const CPU_BOUND_LOOP_DELAY_MS = 50;
/** Slots busy this share of the time or more, with jobs ready: the state's concurrency limits it. */
const BUSY_SHARE = 0.8;
/** Ready jobs blocked on permits this share of the time or more: the rate limit limits it. */
const BLOCKED_SHARE = 0.3;
/** This share of attempts failing (thrown, timed out) or more: errors limit it. */
const ERROR_SHARE = 0.5;
/** Attempts lately below which the error share says nothing. */
const ERROR_MIN_ATTEMPTS = 4;

/** What a state's verdict is drawn from, besides its ledger figures. */
export interface VerdictFigures {
  /** Attempts that started lately, and of those that ended lately, how many failed or were turned away. */
  readonly attempts: number;
  readonly failures: number;
  readonly bounced: number;
}

/** The state's figures without their verdict. */
export type UnjudgedState = Omit<StateLedger, 'verdict'>;

const pct = (share: number) => `${Math.round(share * 100)} %`;
const perS = (rate: number) => `${rate < 10 ? rate.toFixed(1) : Math.round(rate)}/s`;

/**
 * What limits one state, most telling first: errors (most attempts fail), the CPU (the event loop
 * is late), the rate limit (ready jobs wait for permits with slots free), the concurrency (slots
 * busy, jobs waiting), else starved (slots free, work arrives), else idle, or done once nothing is
 * left (a terminal state always is).
 */
export function stateVerdict(s: UnjudgedState, f: VerdictFigures, loopDelayMs: number, finished: boolean): Verdict {
  if (s.terminal) return { kind: 'done', reason: `terminal: ${s.arrivals} arrived, ${perS(s.arrivalsPerSecond)} lately` };
  if (s.paused === true) return { kind: 'idle', reason: `paused: ${s.waiting} waiting until it is resumed${s.inFlight > 0 ? `, ${s.inFlight} attempts finishing` : ''}` };
  const ended = f.attempts;
  const ready = s.ready ?? s.waiting;
  if (ended >= ERROR_MIN_ATTEMPTS && f.failures / ended >= ERROR_SHARE) {
    return { kind: 'error-bound', reason: `${pct(f.failures / ended)} of ${ended} attempts lately failed (${s.errors} errors, ${s.retries} retries, ${s.timeouts} timeouts in all)` };
  }
  const working = s.inFlight > 0 || ready > 0;
  if (working && loopDelayMs >= CPU_BOUND_LOOP_DELAY_MS) {
    return { kind: 'cpu-bound', reason: `the event loop runs ${Math.round(loopDelayMs)} ms late: execs or the engine hold the CPU` };
  }
  const blocked = s.permitWaitShare ?? 0;
  if (ready > 0 && (blocked >= BLOCKED_SHARE || (ended > 0 && f.bounced / ended >= ERROR_SHARE))) {
    const why = blocked >= BLOCKED_SHARE ? `jobs ready and slots free but no rate-limit permit ${pct(blocked)} of the time` : `${f.bounced} of ${ended} attempts lately turned away by the service's rate limit`;
    return { kind: 'rate-bound', reason: `${why}; ${perS(s.completionsPerSecond)}, ${ready} ready` };
  }
  if (ready > 0 && (s.utilisation >= BUSY_SHARE || s.inFlight >= s.limit)) {
    return { kind: 'concurrency-bound', reason: `${s.inFlight} of ${s.limit} slots busy, ${pct(s.utilisation)} of the time lately; ${ready} ready; ${perS(s.completionsPerSecond)}` };
  }
  if (!working && finished) return { kind: 'done', reason: 'nothing left to do' };
  if (working || s.arrivalsPerSecond > 0) {
    return { kind: 'starved', reason: `${s.limit - s.inFlight} of ${s.limit} slots free, ${pct(s.utilisation)} busy lately; fed ${perS(s.arrivalsPerSecond)}` };
  }
  if (s.waiting === 0) return { kind: 'idle', reason: 'nothing waits, nothing runs' };
  return { kind: 'idle', reason: `${s.waiting} waiting out a delay, a backoff or their children` };
}

const BINDING: ReadonlySet<BottleneckKind> = new Set(['concurrency-bound', 'rate-bound', 'error-bound']);

/**
 * The run's bottleneck: the CPU when the event loop is late; else, of the states a limit of their
 * own holds back (concurrency, rate, errors), the one that gets the fewest jobs through a second
 * (its completions over its visits per job); else, while work remains, the busiest state, starved
 * (work arrives slower than the workflow takes it); else idle, or done.
 */
export function runBottleneck(states: readonly StateLedger[], loopDelayMs: number, finished: boolean): RunLedger['bottleneck'] {
  const working = states.filter((s) => !s.terminal);
  if (loopDelayMs >= CPU_BOUND_LOOP_DELAY_MS && working.some((s) => s.inFlight > 0 || (s.ready ?? s.waiting) > 0)) {
    return { kind: 'cpu-bound', reason: `the event loop runs ${Math.round(loopDelayMs)} ms late: execs or the engine hold the CPU` };
  }
  let worst: StateLedger | undefined;
  let worstRate = Infinity;
  for (const s of working) {
    if (!BINDING.has(s.verdict.kind)) continue;
    const jobsPerSecond = s.completionsPerSecond / Math.max(1, s.visitsPerJob);
    if (jobsPerSecond < worstRate) {
      worst = s;
      worstRate = jobsPerSecond;
    }
  }
  if (worst !== undefined) return { state: worst.state, kind: worst.verdict.kind, reason: `${worst.state}: ${worst.verdict.reason}` };
  // A paused state holding work explains the states it starves.
  const paused = working.find((s) => s.paused === true && s.waiting + s.inFlight > 0);
  if (paused !== undefined) return { state: paused.state, kind: 'idle', reason: `${paused.state}: ${paused.verdict.reason}` };
  const busy = working.filter((s) => s.verdict.kind === 'starved').sort((a, b) => b.utilisation - a.utilisation)[0];
  if (busy !== undefined) return { state: busy.state, kind: 'starved', reason: `no state is held back by its own limits: work arrives slower than the workflow takes it (busiest: ${busy.state}, ${busy.verdict.reason})` };
  if (finished || working.every((s) => s.waiting === 0)) return { kind: finished ? 'done' : 'idle', reason: finished ? 'the execution is over' : 'nothing waits, nothing runs' };
  return { kind: 'idle', reason: 'jobs wait out delays, backoffs or their children' };
}
