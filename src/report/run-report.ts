import type { Job } from '../model/job.js';
import type { Run } from '../model/run.js';

/**
 * A summary of a run, for people (`formatReport`) and machines (`jorb report --json`).
 *
 * @example
 * ```ts
 * const report = reportRun(run);
 * console.log(report.states.map((s) => `${s.state}: ${s.jobs}`).join(', '));
 * ```
 * @public
 */
export interface RunReport {
  /** The run's name. */
  readonly run: string;
  /** How many jobs it has. */
  readonly jobs: number;
  /** Per state, in the order states first appear among the jobs: jobs there, failed there, jobs with errors recorded there. */
  readonly states: readonly { readonly state: string; readonly jobs: number; readonly failed: number; readonly withErrors: number }[];
  /** Per state with errors: the most frequent messages, each with a few example job ids. */
  readonly errors: readonly {
    readonly state: string;
    readonly count: number;
    readonly top: readonly { readonly message: string; readonly count: number; readonly examples: readonly string[] }[];
  }[];
  /** The kick tree: jobs added directly, jobs kicked, deepest chain, the largest family. */
  readonly kicks: { readonly roots: number; readonly kicked: number; readonly maxDepth: number; readonly largestFamily?: { readonly root: string; readonly size: number } };
  /** States by mean time a job spent in them (from the jobs' history), slowest first. */
  readonly slowest: readonly { readonly state: string; readonly visits: number; readonly meanMs: number; readonly maxMs: number }[];
}

const TOP_ERRORS = 5;
const EXAMPLES = 3;

/**
 * Summarises a run: counts per state, top errors by state with examples, the kick tree's size and
 * the slowest states.
 *
 * @example
 * ```ts
 * const run = await new JsonlStore<OC, JC>('runs/crawl.jsonl', { readOnly: true }).load();
 * if (run) console.log(formatReport(reportRun(run)));
 * ```
 * @public
 */
export function reportRun(run: Run<unknown, unknown>): RunReport {
  const jobs = [...run.jobs.values()] as Job<unknown>[];
  return {
    run: run.name,
    jobs: jobs.length,
    states: stateCounts(jobs),
    errors: topErrors(jobs),
    kicks: kickTree(jobs),
    slowest: slowestStates(jobs),
  };
}

function stateCounts(jobs: readonly Job<unknown>[]): RunReport['states'] {
  const byState = new Map<string, { state: string; jobs: number; failed: number; withErrors: number }>();
  const entry = (state: string) => {
    let e = byState.get(state);
    if (!e) byState.set(state, (e = { state, jobs: 0, failed: 0, withErrors: 0 }));
    return e;
  };
  for (const job of jobs) {
    const e = entry(job.state);
    e.jobs++;
    if (job.failed) e.failed++;
    for (const state of Object.keys(job.errors)) entry(state).withErrors++;
  }
  return [...byState.values()];
}

function topErrors(jobs: readonly Job<unknown>[]): RunReport['errors'] {
  const byState = new Map<string, Map<string, { count: number; examples: string[] }>>();
  for (const job of jobs) {
    for (const [state, messages] of Object.entries(job.errors)) {
      const forState = byState.get(state) ?? new Map<string, { count: number; examples: string[] }>();
      byState.set(state, forState);
      for (const message of messages) {
        const e = forState.get(message) ?? { count: 0, examples: [] };
        forState.set(message, e);
        e.count++;
        if (e.examples.length < EXAMPLES && !e.examples.includes(job.id)) e.examples.push(job.id);
      }
    }
  }
  return [...byState].map(([state, messages]) => ({
    state,
    count: [...messages.values()].reduce((sum, m) => sum + m.count, 0),
    top: [...messages]
      .sort((a, b) => b[1].count - a[1].count)
      .slice(0, TOP_ERRORS)
      .map(([message, { count, examples }]) => ({ message, count, examples })),
  }));
}

function kickTree(jobs: readonly Job<unknown>[]): RunReport['kicks'] {
  const family = new Map<string, number>();
  let kicked = 0;
  let maxDepth = 0;
  for (const job of jobs) {
    if (job.parentId === undefined) continue;
    kicked++;
    const parts = job.id.split('->');
    maxDepth = Math.max(maxDepth, parts.length - 1);
    const root = parts[0] ?? job.id;
    family.set(root, (family.get(root) ?? 0) + 1);
  }
  let largest: { root: string; size: number } | undefined;
  for (const [root, size] of family) if (!largest || size > largest.size) largest = { root, size };
  return { roots: jobs.length - kicked, kicked, maxDepth, ...(largest ? { largestFamily: largest } : {}) };
}

function slowestStates(jobs: readonly Job<unknown>[]): RunReport['slowest'] {
  const byState = new Map<string, { visits: number; total: number; max: number }>();
  for (const job of jobs) {
    for (let i = 0; i + 1 < job.history.length; i++) {
      const here = job.history[i];
      const next = job.history[i + 1];
      if (!here || !next) continue;
      const ms = Math.max(0, next.at - here.at);
      const e = byState.get(here.state) ?? { visits: 0, total: 0, max: 0 };
      byState.set(here.state, e);
      e.visits++;
      e.total += ms;
      e.max = Math.max(e.max, ms);
    }
  }
  return [...byState]
    .map(([state, e]) => ({ state, visits: e.visits, meanMs: Math.round(e.total / e.visits), maxMs: e.max }))
    .sort((a, b) => b.meanMs - a.meanMs)
    .slice(0, 5);
}

/**
 * A report as text for a terminal.
 *
 * @example
 * ```ts
 * console.log(formatReport(reportRun(run)));
 * ```
 * @public
 */
export function formatReport(report: RunReport): string {
  const lines = [`Run "${report.run}": ${report.jobs} jobs`, '', 'Jobs per state:'];
  const width = Math.max(5, ...report.states.map((s) => s.state.length));
  for (const s of report.states) {
    const extra = [s.failed > 0 ? `${s.failed} failed` : '', s.withErrors > 0 ? `${s.withErrors} with errors` : ''].filter(Boolean).join(', ');
    lines.push(`  ${s.state.padEnd(width)}  ${String(s.jobs).padStart(7)}${extra ? `  (${extra})` : ''}`);
  }
  if (report.errors.length > 0) {
    lines.push('', 'Top errors:');
    for (const e of report.errors) {
      lines.push(`  ${e.state} (${e.count} errors):`);
      for (const t of e.top) lines.push(`    ${String(t.count).padStart(6)} × ${t.message}   e.g. job ${t.examples.map((id) => JSON.stringify(id)).join(', ')}`);
    }
  }
  const k = report.kicks;
  lines.push('', `Kicks: ${k.roots} jobs added, ${k.kicked} kicked, deepest chain ${k.maxDepth}${k.largestFamily ? `, largest family: job "${k.largestFamily.root}" with ${k.largestFamily.size} descendants` : ''}`);
  if (report.slowest.length > 0) {
    lines.push('', 'Slowest states (time jobs spent in them):');
    for (const s of report.slowest) lines.push(`  ${s.state.padEnd(width)}  mean ${formatMs(s.meanMs)}, max ${formatMs(s.maxMs)} over ${s.visits} visits`);
  }
  return lines.join('\n');
}

function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}
