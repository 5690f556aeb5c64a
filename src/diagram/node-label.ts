import type { StateNode } from '../model/graph.js';
import type { StateMetrics } from './diagram-metrics.js';
import { displayText } from './display-text.js';
import { formatDuration } from './format-duration.js';

/** What a node label says about a state's definition. */
export type LabelledState = Pick<StateNode, 'name' | 'terminal' | 'concurrency' | 'recursive' | 'timeout' | 'retry' | 'rateLimit' | 'hedge'>;

/**
 * The lines of a state's node label, as display text (no format's escaping yet): the name, then
 * its policies — concurrency, rate limit (the limiter's current rate), timeout, retry, hedge —
 * then, given metrics, its counts, errors and mean duration.
 *
 * @example
 * ```ts
 * stateLabelLines(crawl.graph.states[0]!);
 * // ['fetch', 'concurrency 8', 'timeout 200ms']
 * ```
 */
export function stateLabelLines(state: LabelledState, metrics?: StateMetrics): string[] {
  const lines = [displayText(state.name)];
  if (!state.terminal) {
    const running = [`concurrency ${state.concurrency}`];
    if (state.rateLimit) running.push(formatRate(state.rateLimit.current()));
    if (state.recursive) running.push('recursive');
    lines.push(running.join(' · '));
    const limits: string[] = [];
    if (state.timeout) {
      const retries = state.timeout.retries ?? 0;
      limits.push(`timeout ${formatDuration(state.timeout.ms)}${retries > 0 ? ` (${plural(retries, 'retry', 'retries')})` : ''}`);
    }
    if (state.retry) limits.push(`retry ${plural(state.retry.attempts, 'attempt', 'attempts')}`);
    if (state.hedge) limits.push(`hedge after ${formatDuration(state.hedge.afterMs)}, max ${state.hedge.max}`);
    if (limits.length > 0) lines.push(limits.join(' · '));
  }
  if (metrics) lines.push(...metricLines(state.terminal, metrics));
  return lines;
}

function metricLines(terminal: boolean, m: StateMetrics): string[] {
  const lines = terminal
    ? [`${m.completed} completed`]
    : [`${m.waiting} waiting · ${m.executing} executing · ${m.failed} failed`];
  const more: string[] = [];
  if (!terminal || m.errors > 0) more.push(`${plural(m.errors, 'job', 'jobs')} with errors`);
  if (m.meanDurationMs !== undefined) more.push(`mean ${formatDuration(m.meanDurationMs)} over ${plural(m.visits, 'visit', 'visits')}`);
  if (more.length > 0) lines.push(more.join(' · '));
  return lines;
}

/** A rate limit as a label shows it: `≤ 50/s`, `≤ 0.5/s`, `≤ 1234/s`. */
function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return `≤ ${perSecond}/s`;
  const shown = perSecond >= 100 ? Math.round(perSecond) : Number(perSecond.toPrecision(3));
  return `≤ ${shown}/s`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
