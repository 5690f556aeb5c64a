import type { Job } from '../model/job.js';
import type { Run } from '../model/run.js';
import type { WorkflowStates } from '../model/workflow-states.js';

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
  /** Per state, in the workflow's order (or, for a run bound to none, as states first appear): jobs there, failed there, jobs with errors recorded there. */
  readonly states: readonly { readonly state: string; readonly jobs: number; readonly failed: number; readonly withErrors: number }[];
  /**
   * Per state with errors: the most frequent kinds of message, each with a few example job ids.
   * Messages are grouped by their shape — URLs, ids and numbers (but 100–599, which are usually
   * HTTP statuses) masked — so `GET https://a/1: HTTP 503` and `GET https://a/2: HTTP 503` are one
   * kind, `GET <url>: HTTP 503`, with an example as it was. `count` is every error of the state;
   * `others` counts the errors of the kinds not in `top`, so `top`'s counts and `others` add up to it.
   */
  readonly errors: readonly {
    readonly state: string;
    readonly count: number;
    readonly top: readonly { readonly message: string; readonly example: string; readonly count: number; readonly examples: readonly string[] }[];
    readonly others: { readonly count: number; readonly kinds: number };
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
export function reportRun(run: Run<unknown, unknown>, workflow?: WorkflowStates<string>): RunReport {
  const jobs = [...run.jobs.values()] as Job<unknown>[];
  const order = workflow?.states ?? [];
  return {
    run: run.name,
    jobs: jobs.length,
    states: inOrder(stateCounts(jobs), order),
    errors: inOrder(topErrors(jobs), order),
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

interface Kind {
  readonly example: string;
  count: number;
  readonly examples: string[];
}

function topErrors(jobs: readonly Job<unknown>[]): RunReport['errors'] {
  const byState = new Map<string, Map<string, Kind>>();
  for (const job of jobs) {
    for (const [state, messages] of Object.entries(job.errors)) {
      const forState = byState.get(state) ?? new Map<string, Kind>();
      byState.set(state, forState);
      for (const message of messages) {
        const shape = messageShape(message);
        const kind = forState.get(shape) ?? { example: message, count: 0, examples: [] };
        forState.set(shape, kind);
        kind.count++;
        if (kind.examples.length < EXAMPLES && !kind.examples.includes(job.id)) kind.examples.push(job.id);
      }
    }
  }
  return [...byState].map(([state, kinds]) => {
    const sorted = [...kinds].sort((a, b) => b[1].count - a[1].count);
    const top = sorted.slice(0, TOP_ERRORS);
    const rest = sorted.slice(TOP_ERRORS);
    return {
      state,
      count: sorted.reduce((sum, [, k]) => sum + k.count, 0),
      top: top.map(([message, { example, count, examples }]) => ({ message, example, count, examples })),
      others: { count: rest.reduce((sum, [, k]) => sum + k.count, 0), kinds: rest.length },
    };
  });
}

/**
 * A message with what varies from job to job masked: URLs, UUIDs and long hex ids, quoted ids,
 * and numbers — but 100–599 standing alone, which are usually HTTP statuses and tell errors apart.
 */
export function messageShape(message: string): string {
  return message
    .replace(/\b[a-z][a-z\d+.-]*:\/\/[^\s'"<>]*[^\s'"<>:.,;)]/gi, '<url>')
    .replace(/\b[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}\b/gi, '<id>')
    .replace(/\b(?=[\da-f]*\d)[\da-f]{12,}\b/gi, '<id>')
    .replace(/(?<![\w.])\d+(?:\.\d+)?(?![\w.])/g, (n) => (/^[1-5]\d\d$/.test(n) ? n : '<n>'));
}

/** `items` in the order of `states` (the workflow's), any others after them as they came. */
function inOrder<T extends { readonly state: string }>(items: readonly T[], states: readonly string[]): readonly T[] {
  if (states.length === 0) return items;
  const rank = new Map(states.map((state, i) => [state, i]));
  return [...items].sort((a, b) => (rank.get(a.state) ?? states.length) - (rank.get(b.state) ?? states.length));
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
      lines.push(`  ${e.state} (${plural(e.count, 'error', 'errors')}):`);
      for (const t of e.top) {
        const example = t.example === t.message ? '' : ` (as in "${t.example}")`;
        lines.push(`    ${String(t.count).padStart(6)} × ${t.message}   e.g. job ${t.examples.map((id) => JSON.stringify(id)).join(', ')}${example}`);
      }
      if (e.others.count > 0) lines.push(`    ${String(e.others.count).padStart(6)} × ${plural(e.others.kinds, 'other kind of message', 'other kinds of message')}`);
    }
  }
  const k = report.kicks;
  const family = k.largestFamily ? `, largest family: job "${k.largestFamily.root}" with ${plural(k.largestFamily.size, 'descendant', 'descendants')}` : '';
  lines.push('', `Kicks: ${plural(k.roots, 'job', 'jobs')} added, ${k.kicked} kicked, deepest chain ${k.maxDepth}${family}`);
  if (report.slowest.length > 0) {
    lines.push('', 'Slowest states (time jobs spent in them):');
    for (const s of report.slowest) lines.push(`  ${s.state.padEnd(width)}  mean ${formatMs(s.meanMs)}, max ${formatMs(s.maxMs)} over ${s.visits} visits`);
  }
  return lines.join('\n');
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}
