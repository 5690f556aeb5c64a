import type { StateNode } from '../model/graph.js';
import type { RateLimiter } from '../model/rate-limiter.js';
import type { StateMetrics } from './diagram-metrics.js';
import { displayText } from './display-text.js';
import { formatDuration } from './format-duration.js';

/** What a node label says about a state's definition. */
export type LabelledState = Pick<StateNode, 'name' | 'terminal' | 'concurrency' | 'recursive' | 'timeout' | 'retry' | 'rateLimit' | 'hedge' | 'join'> & Partial<Pick<StateNode, 'adaptive'>>;

/**
 * The lines of a state's node label, as display text (no format's escaping yet): the name, then
 * its policies — concurrency (an adaptive one as its limit now and its bounds), rate limit (the
 * limiter's current rate), timeout, retry, hedge —
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
    const running = [state.adaptive ? formatAdaptive(state.adaptive) : `concurrency ${state.concurrency}`];
    if (state.rateLimit) running.push(formatLimit(state.rateLimit));
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
    if (state.join) lines.push('join (waits for its children)');
  }
  if (metrics) lines.push(...metricLines(state.terminal, metrics));
  return lines;
}

function metricLines(terminal: boolean, m: StateMetrics): string[] {
  const lines = terminal
    ? [`${m.completed} completed`]
    : [`${m.waiting} waiting · ${m.executing} executing · ${m.failed} failed`];
  const waits: string[] = [];
  if ((m.delayed ?? 0) > 0) waits.push(`${m.delayed} delayed`);
  if ((m.joining ?? 0) > 0) waits.push(`${m.joining} joining`);
  if (!terminal && waits.length > 0) lines.push(`of those waiting: ${waits.join(' · ')}`);
  const more: string[] = [];
  if (!terminal || m.errors > 0) more.push(`${plural(m.errors, 'job', 'jobs')} with errors`);
  // From the jobs' history: entering the state to leaving it, so waiting for a slot counts too.
  if (m.meanDurationMs !== undefined) more.push(`${formatDuration(m.meanDurationMs)} in state (waiting included), mean of ${plural(m.visits, 'visit', 'visits')}`);
  if (more.length > 0) lines.push(more.join(' · '));
  return lines;
}

/**
 * A rate limit as a label shows it: a fixed one as a cap, `≤ 50/s`; an adaptive one (it has a
 * `snapshot()` with bounds, as `aimd()`'s does) as what it is now and where it may go,
 * `adaptive 50/s (10–2000/s)`, or `adaptive 50/s (from 1/s)` with no maximum.
 */
function formatLimit(limiter: RateLimiter): string {
  const bounds = adaptiveBounds(limiter);
  if (bounds === undefined) return `≤ ${formatRate(limiter.current())}`;
  const range = Number.isFinite(bounds.max) ? `${formatRate(bounds.min, '')}–${formatRate(bounds.max)}` : `from ${formatRate(bounds.min)}`;
  return `adaptive ${formatRate(limiter.current())} (${range})`;
}

/** An adaptive concurrency as a label shows it: `concurrency adaptive 8 (1–200)`; one with bad options (build reports them) as `concurrency adaptive`. */
function formatAdaptive(limit: NonNullable<StateNode['adaptive']>): string {
  try {
    const { limit: now, min, max } = limit.snapshot();
    return `concurrency adaptive ${now} (${min}–${max})`;
  } catch {
    return 'concurrency adaptive';
  }
}

function adaptiveBounds(limiter: RateLimiter): { min: number; max: number } | undefined {
  const snapshot = (limiter as { snapshot?: unknown }).snapshot;
  if (typeof snapshot !== 'function') return undefined;
  const taken: unknown = snapshot.call(limiter);
  if (typeof taken !== 'object' || taken === null) return undefined;
  const { min, max } = taken as { min?: unknown; max?: unknown };
  return typeof min === 'number' && typeof max === 'number' ? { min, max } : undefined;
}

/** `50/s`, `0.5/s`, `1234/s`. */
function formatRate(perSecond: number, unit = '/s'): string {
  if (!Number.isFinite(perSecond)) return `${perSecond}${unit}`;
  const shown = perSecond >= 100 ? Math.round(perSecond) : Number(perSecond.toPrecision(3));
  return `${shown}${unit}`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
