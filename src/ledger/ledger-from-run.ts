import type { Graph } from '../model/graph.js';
import type { Job } from '../model/job.js';
import type { Workflow } from '../model/workflow.js';
import { timedOutMessage } from '../policies/timeout.js';
import { SampledDurations } from './duration-sample.js';
import type { RunLedger, StateLedger, Verdict } from './run-ledger.js';
import { runBottleneck } from './verdict.js';

/** How many times in state each state's figures are over (a uniform, seeded sample of them all). */
const SAMPLE = 4096;
/** Mean jobs in the state this share of its slots or more: it was concurrency-bound (upper bound: queue wait included). */
const BUSY_SHARE = 0.8;
/** Completions at this share of the state's rate limit or more: it was rate-bound. */
const RATE_SHARE = 0.8;
/** Errors per visit from this share up: it was error-bound. */
const ERROR_SHARE = 0.5;

const TIMED_OUT = new RegExp(`^${timedOutMessage(0).replace('0', '\\d+')}`);

/** Per state, what the histories add up to. */
class Tally {
  arrivals = 0;
  completions = 0;
  firstVisits = 0;
  errors = 0;
  timeouts = 0;
  selfMoves = 0;
  waiting = 0;
  failed = 0;
  timeInState = new SampledDurations(SAMPLE);
  /** Visits not ended yet (a job waiting or running here now): how many, and the sum of their start times. */
  open = 0;
  openSince = 0;
}

/**
 * The ledger a run's jobs give from their histories, for a finished run (a post-mortem) or a
 * live one loaded read-only: per state, arrivals and completions (counts, and per second over
 * the run's time span: its first history entry to its last), visits per job, errors (from
 * `job.errors`; timeouts are those whose message says `timed out after …`), and a verdict where
 * the figures allow one.
 *
 * What the histories cannot give, and how it is filled in: attempts are not recorded, so wait
 * and service time come together as `timeInStateMs` (entered to left: queue wait, rate-limit
 * waits, backoffs and every attempt of the visit) and `serviceMs`, `waitMs` are absent;
 * `utilisation` is the mean number of jobs in the state over its slots (an upper bound: waiting
 * jobs count); `inFlight` is 0 and `waiting` counts every job still in the state; retries are the
 * moves of a state back into itself, at most one per error recorded there; `permitWaitMs` and
 * `eventLoopDelayMs` are 0. A job keeps its last 20 history entries and 20 errors per state
 * (the store's log keeps all), so a job that looped longer counts only those.
 *
 * The verdict of a state: `error-bound` when its errors reach half its visits, `rate-bound` when
 * its completions reached 80 % of its rate limit's rate, `concurrency-bound` when its mean jobs
 * in state reached 80 % of its concurrency, else `starved` (jobs came, slots stayed free), and
 * `done` for a terminal state or once nothing is left; the run's bottleneck is chosen among them
 * as the live ledger's is.
 *
 * @param workflow - The workflow the run belongs to (its states' concurrency and rate limits).
 * @param run - The run, or anything with its jobs (a run loaded read-only from a file or a database).
 * @example
 * ```ts
 * const run = await new JsonlStore<OC, JC>('runs/crawl.jsonl').load();
 * if (run) console.log(ledgerFromRun(crawl, run).bottleneck.reason);
 * ```
 * @public
 */
export function ledgerFromRun<AC, OC, JC, S extends string>(workflow: Workflow<AC, OC, JC, S>, run: { readonly jobs: ReadonlyMap<string, Job<JC, S>> }): RunLedger {
  const graph = workflow.graph as unknown as Graph;
  const tallies = new Map<string, Tally>(graph.states.map((s) => [s.name, new Tally()]));
  const tally = (state: string) => {
    let t = tallies.get(state);
    if (t === undefined) tallies.set(state, (t = new Tally()));
    return t;
  };
  let first = Infinity;
  let last = -Infinity;
  let transitions = 0;
  let unsettled = 0;
  const visited: string[] = [];
  for (const job of run.jobs.values()) {
    const history = job.history;
    visited.length = 0;
    for (let i = 0; i < history.length; i++) {
      const entry = history[i] as { state: string; at: number };
      const t = tally(entry.state);
      t.arrivals++;
      if (!visited.includes(entry.state)) {
        visited.push(entry.state);
        t.firstVisits++;
      }
      first = Math.min(first, entry.at);
      last = Math.max(last, entry.at);
      const next = history[i + 1];
      if (next !== undefined) {
        t.completions++;
        transitions++;
        if (next.state === entry.state) t.selfMoves++;
        t.timeInState.add(Math.max(0, next.at - entry.at));
      } else if (job.failed === true) {
        t.completions++;
        t.failed++;
        transitions++;
        t.timeInState.add(Math.max(0, job.updatedAt - entry.at));
        last = Math.max(last, job.updatedAt);
      } else if (graph.state(entry.state)?.terminal !== true) {
        t.waiting++;
        unsettled++;
        t.open++;
        t.openSince += entry.at;
      }
    }
    for (const [state, errors] of Object.entries(job.errors)) {
      const t = tally(state);
      t.errors += errors.length;
      for (const e of errors) if (TIMED_OUT.test(e)) t.timeouts++;
    }
  }
  const spanMs = last > first ? last - first : 0;
  const perSecond = (n: number) => (spanMs > 0 ? (n * 1000) / spanMs : 0);
  const finished = unsettled === 0;
  const states: StateLedger[] = graph.states.map((node) => {
    const t = tally(node.name);
    const timeInState = t.timeInState.figures();
    const limit = node.terminal ? 0 : node.concurrency;
    // A visit not ended yet has been in the state until the run's latest event: it counts too
    // (a state whose jobs are all still queued there is the busiest, not the idlest).
    const openMs = t.open > 0 && Number.isFinite(last) ? Math.max(0, t.open * last - t.openSince) : 0;
    const meanInState = spanMs > 0 ? (t.timeInState.sum + openMs) / spanMs : 0;
    const figures = {
      state: node.name,
      terminal: node.terminal,
      arrivalsPerSecond: perSecond(t.arrivals),
      completionsPerSecond: perSecond(t.completions),
      arrivals: t.arrivals,
      completions: t.completions,
      visitsPerJob: t.firstVisits === 0 ? 0 : t.arrivals / t.firstVisits,
      ...(timeInState === undefined ? {} : { timeInStateMs: timeInState }),
      permitWaitMs: 0,
      waiting: t.waiting,
      inFlight: 0,
      limit,
      utilisation: limit > 0 ? Math.min(1, meanInState / limit) : 0,
      errors: t.errors,
      retries: Math.min(t.selfMoves, t.errors),
      timeouts: t.timeouts,
    };
    let rate: number | undefined;
    try {
      rate = node.terminal ? undefined : node.rateLimit?.current();
    } catch {
      rate = undefined;
    }
    return { ...figures, verdict: verdictOf(figures, meanInState, rate, finished) };
  });
  return {
    at: Number.isFinite(last) ? last : 0,
    elapsedMs: spanMs,
    throughput: perSecond(transitions),
    transitions,
    eventLoopDelayMs: 0,
    jobsPerSecond: perSecond(states.reduce((sum, s) => sum + (s.terminal ? s.arrivals : 0), 0) + [...tallies.values()].reduce((sum, t) => sum + t.failed, 0)),
    finished,
    states,
    bottleneck: runBottleneck(states, 0, finished),
  };
}

const pct = (share: number) => `${Math.round(share * 100)} %`;

function verdictOf(s: Omit<StateLedger, 'verdict'>, meanInState: number, rate: number | undefined, finished: boolean): Verdict {
  if (s.terminal) return { kind: 'done', reason: `terminal: ${s.arrivals} arrived` };
  if (s.arrivals === 0) return { kind: finished ? 'done' : 'idle', reason: 'no job visited it' };
  if (s.errors >= ERROR_SHARE * s.arrivals) return { kind: 'error-bound', reason: `${s.errors} errors in ${s.arrivals} visits (${s.timeouts} timeouts)` };
  if (rate !== undefined && rate > 0 && s.completionsPerSecond >= RATE_SHARE * rate) {
    return { kind: 'rate-bound', reason: `${s.completionsPerSecond.toFixed(1)}/s against a rate limit of ${rate}/s` };
  }
  if (s.limit > 0 && meanInState >= BUSY_SHARE * s.limit) {
    return { kind: 'concurrency-bound', reason: `${meanInState.toFixed(1)} jobs in the state on average for ${s.limit} slots (${pct(s.utilisation)})` };
  }
  return { kind: 'starved', reason: `${meanInState.toFixed(1)} jobs in the state on average for ${s.limit} slots: work came slower than it could take it` };
}
