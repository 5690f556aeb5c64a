import type { DurationFigures, RunLedger, StateLedger } from './run-ledger.js';

/**
 * Options of {@link metricsText}.
 *
 * @example
 * ```ts
 * const options: MetricsTextOptions = { runName: 'crawl-2024-06-01' };
 * ```
 * @public
 */
export interface MetricsTextOptions {
  /** The `run` label of every series. @defaultValue no `run` label */
  readonly runName?: string;
}

/** One metric family: its name, type, help, and a sample line writer. */
type Family = readonly [name: string, type: 'counter' | 'gauge' | 'summary', help: string];

/**
 * A run's ledger in the Prometheus text exposition format (version 0.0.4), for a `/metrics`
 * endpoint or a textfile collector: `jorb_` names, base units (seconds, ratios from 0 to 1),
 * counters ending in `_total`, a `state` label (and `run`, when `runName` is given), never a job
 * id. Each family has its `# HELP` and `# TYPE` lines.
 *
 * Per state: `jorb_arrivals_total`, `jorb_completions_total`, `jorb_errors_total`,
 * `jorb_retries_total`, `jorb_timeouts_total`, `jorb_rate_limited_total` (counters);
 * `jorb_arrivals_per_second`, `jorb_completions_per_second` (smoothed rates),
 * `jorb_visits_per_job`, `jorb_waiting`, `jorb_in_flight`, `jorb_limit`, `jorb_utilisation_ratio`,
 * `jorb_permit_wait_seconds` (mean per attempt), `jorb_permit_wait_ratio` (gauges);
 * `jorb_service_seconds`, `jorb_wait_seconds`, `jorb_time_in_state_seconds` (summaries with
 * quantiles 0.5 and 0.95 over the recent sample, `_sum` and `_count` over the whole execution;
 * above a thousand attempts a second a state's attempts are timed one in k, each counting k);
 * `jorb_verdict{state,kind} 1`, each state's verdict. Per run: `jorb_transitions_total`,
 * `jorb_transitions_per_second`, `jorb_jobs_per_second`, `jorb_elapsed_seconds`,
 * `jorb_event_loop_delay_seconds`, and `jorb_bottleneck{state,kind} 1` (no `state` label when the
 * bottleneck is the CPU, or the run is idle or done).
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * createServer((req, res) => {
 *   const ledger = processor.ledger();
 *   res.setHeader('content-type', 'text/plain; version=0.0.4');
 *   res.end(ledger === undefined ? '' : metricsText(ledger, { runName: 'crawl' }));
 * }).listen(9464, '127.0.0.1');
 * ```
 * @public
 */
export function metricsText(ledger: RunLedger, options: MetricsTextOptions = {}): string {
  const run = options.runName === undefined ? '' : `run="${escapeLabel(options.runName)}"`;
  const labels = (...pairs: string[]) => {
    const all = [run, ...pairs].filter((p) => p !== '');
    return all.length === 0 ? '' : `{${all.join(',')}}`;
  };
  const stateLabel = (s: StateLedger) => `state="${escapeLabel(s.state)}"`;
  const out: string[] = [];
  const family = ([name, type, help]: Family, lines: readonly string[]) => {
    if (lines.length === 0) return;
    out.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`, ...lines);
  };
  const perState = (f: Family, value: (s: StateLedger) => number | undefined) =>
    family(
      f,
      ledger.states.flatMap((s) => {
        const v = value(s);
        return v === undefined ? [] : [`${f[0]}${labels(stateLabel(s))} ${num(v)}`];
      }),
    );
  const summary = (f: Family, figures: (s: StateLedger) => DurationFigures | undefined) =>
    family(
      f,
      ledger.states.flatMap((s) => {
        const d = figures(s);
        if (d === undefined) return [];
        const l = stateLabel(s);
        return [
          `${f[0]}${labels(l, 'quantile="0.5"')} ${num(d.p50 / 1000)}`,
          `${f[0]}${labels(l, 'quantile="0.95"')} ${num(d.p95 / 1000)}`,
          `${f[0]}_sum${labels(l)} ${num((d.sumMs ?? d.mean * d.count) / 1000)}`,
          `${f[0]}_count${labels(l)} ${num(d.total ?? d.count)}`,
        ];
      }),
    );
  const runGauge = (f: Family, value: number) => family(f, [`${f[0]}${labels()} ${num(value)}`]);

  perState(['jorb_arrivals_total', 'counter', 'Jobs that entered the state (each loop or retry visit counts) since the execution started.'], (s) => s.arrivals);
  perState(['jorb_completions_total', 'counter', 'Transitions out of the state (to another state, back into it, or a failure) since the execution started.'], (s) => s.completions);
  perState(['jorb_errors_total', 'counter', 'Errors recorded in the state (thrown, timed out, or returned with the transition).'], (s) => s.errors);
  perState(['jorb_retries_total', 'counter', 'Attempts the retry policy made again.'], (s) => s.retries);
  perState(['jorb_timeouts_total', 'counter', 'Attempts that ran past the state timeout.'], (s) => s.timeouts);
  perState(['jorb_rate_limited_total', 'counter', 'Attempts the service turned away with a RateLimitError (flow control, not errors).'], (s) => (s.terminal ? undefined : (s.rateLimited ?? 0)));
  perState(['jorb_arrivals_per_second', 'gauge', 'Jobs entering the state per second, over the last few seconds.'], (s) => s.arrivalsPerSecond);
  perState(['jorb_completions_per_second', 'gauge', 'Transitions out of the state per second, over the last few seconds.'], (s) => s.completionsPerSecond);
  perState(['jorb_visits_per_job', 'gauge', 'Visits of the state per distinct job that visited it (1 when nothing loops or retries).'], (s) => s.visitsPerJob);
  perState(['jorb_waiting', 'gauge', 'Jobs waiting in the state: for a slot, a permit, a due time or their children.'], (s) => (s.terminal ? undefined : s.waiting));
  perState(['jorb_in_flight', 'gauge', 'Attempts holding a slot of the state.'], (s) => (s.terminal ? undefined : s.inFlight));
  perState(['jorb_limit', 'gauge', 'The concurrency limit of the state now (adaptive or fixed).'], (s) => (s.terminal ? undefined : s.limit));
  perState(['jorb_utilisation_ratio', 'gauge', 'Busy slot time over limit times elapsed time, lately (1: every slot busy all the time).'], (s) => (s.terminal ? undefined : s.utilisation));
  perState(['jorb_permit_wait_seconds', 'gauge', 'Time the state waited for rate-limit permits, per attempt (mean).'], (s) => (s.terminal ? undefined : s.permitWaitMs / 1000));
  perState(['jorb_permit_wait_ratio', 'gauge', 'Share of the time lately jobs were ready and a slot free but no rate-limit permit let one start.'], (s) => (s.terminal ? undefined : s.permitWaitShare));
  summary(['jorb_service_seconds', 'summary', 'Exec time of attempts, start to outcome: quantiles over the recent attempts, sum and count over the execution.'], (s) => s.serviceMs);
  summary(['jorb_wait_seconds', 'summary', 'Queue wait of attempts, from ready to start (slot and permit waits included).'], (s) => s.waitMs);
  summary(['jorb_time_in_state_seconds', 'summary', 'Time in the state, entered to left, wait and service together (from the run history).'], (s) => s.timeInStateMs);
  family(
    ['jorb_verdict', 'gauge', 'What limits each state: 1 for its verdict kind.'],
    ledger.states.map((s) => `jorb_verdict${labels(stateLabel(s), `kind="${s.verdict.kind}"`)} 1`),
  );
  family(['jorb_transitions_total', 'counter', 'Completed transitions of the execution.'], [`jorb_transitions_total${labels()} ${num(ledger.transitions)}`]);
  runGauge(['jorb_transitions_per_second', 'gauge', 'Completed transitions per second, over the last few seconds.'], ledger.throughput);
  if (ledger.jobsPerSecond !== undefined) runGauge(['jorb_jobs_per_second', 'gauge', 'Jobs reaching a terminal state or failing per second, over the last few seconds.'], ledger.jobsPerSecond);
  runGauge(['jorb_elapsed_seconds', 'gauge', 'Time since the execution started.'], ledger.elapsedMs / 1000);
  runGauge(['jorb_event_loop_delay_seconds', 'gauge', 'How late the event loop runs, over the last few seconds.'], ledger.eventLoopDelayMs / 1000);
  const b = ledger.bottleneck;
  family(['jorb_bottleneck', 'gauge', 'The run bottleneck: 1 for the state that limits throughput and why.'], [`jorb_bottleneck${labels(...(b.state === undefined ? [] : [`state="${escapeLabel(b.state)}"`]), `kind="${b.kind}"`)} 1`]);
  return `${out.join('\n')}\n`;
}

/** A sample value as the format writes it: `+Inf`, `-Inf`, `NaN`, else the number. */
function num(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** A label value: backslash, double quote and line feed escaped. */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Help text: backslash and line feed escaped. */
function escapeHelp(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}
