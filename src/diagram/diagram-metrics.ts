import type { Run } from '../model/run.js';
import type { Workflow } from '../model/workflow.js';
import type { StateStatus } from '../status/state-status.js';
import { renderValue } from '../model/render-value.js';

/**
 * What a diagram shows about one state of a run: the counts of a {@link StateStatus}, how many of
 * the run's jobs recorded errors in the state, and how long a visit of the state lasted.
 *
 * @example
 * ```ts
 * const m: StateMetrics = {
 *   state: 'fetch', terminal: false, waiting: 31, executing: 8, committing: 0, completed: 0, failed: 1,
 *   errors: 12, visits: 240, meanDurationMs: 45.5,
 * };
 * ```
 * @public
 */
export interface StateMetrics extends StateStatus {
  /** Jobs with at least one error recorded in this state (`job.errors[state]`), wherever they are now. */
  readonly errors: number;
  /** Visits of the state that ended (the job moved on), found in the jobs' histories. */
  readonly visits: number;
  /** The mean time a visit lasted, in milliseconds; absent when no visit ended. */
  readonly meanDurationMs?: number;
}

/**
 * Options of {@link diagramMetrics}.
 *
 * @example
 * ```ts
 * let live: readonly StateStatus[] = [];
 * const processor = new Processor(crawl, ac, { status: (s) => (live = s) });
 * // later, while it runs:
 * const metrics = diagramMetrics(crawl, run, { statuses: live });
 * ```
 * @public
 */
export interface DiagramMetricsOptions {
  /**
   * The latest update of a status listener. A run alone cannot tell a job that waits from one
   * whose exec is running; with statuses, `waiting`, `executing`, `completed` and `failed` come
   * from them for every state they name.
   * @defaultValue every job in a non-terminal state that is not failed counts as waiting
   */
  readonly statuses?: readonly StateStatus[];
}

/**
 * Computes, for every state of `workflow` in declared order, what a diagram of `run` shows: the
 * jobs waiting, executing, completed or failed there, the jobs that recorded errors there, and the
 * mean duration of a visit — the time from entering the state to entering the next, over
 * consecutive entries of each job's history (which keeps a job's last 20 moves). A visit still
 * going on does not count; jobs in states the workflow does not declare are left out.
 *
 * @example
 * ```ts
 * const metrics = diagramMetrics(crawl, run);
 * console.log(metrics.find((m) => m.state === 'fetch')?.meanDurationMs);
 * console.log(toDot(crawl, { metrics }));
 * ```
 * @public
 */
export function diagramMetrics<AC, OC, JC, S extends string>(
  workflow: Workflow<AC, OC, JC, S>,
  run: Run<unknown, unknown>,
  options: DiagramMetricsOptions = {},
): StateMetrics[] {
  const tallies = new Map(workflow.graph.states.map((s) => [s.name, { terminal: s.terminal, waiting: 0, delayed: 0, joining: 0, completed: 0, failed: 0, errors: 0, visits: 0, totalMs: 0 }]));
  const now = Date.now();
  const waitingParents = parentsWithUnsettledChildren(workflow, run);
  for (const job of run.jobs.values()) {
    const here = tallies.get(job.state);
    if (here) {
      if (here.terminal) here.completed++;
      else if (job.failed === true) here.failed++;
      else {
        here.waiting++;
        if (job.dueAt !== undefined && job.dueAt > now) here.delayed++;
        else if (waitingParents.has(job.id) && workflow.graph.state(job.state)?.join !== undefined) here.joining++;
      }
    }
    for (const [state, messages] of Object.entries(job.errors)) {
      const tally = messages.length > 0 ? tallies.get(state) : undefined;
      if (tally) tally.errors++;
    }
    const history = job.history;
    for (let i = 0; i + 1 < history.length; i++) {
      const entry = history[i];
      const next = history[i + 1];
      const tally = entry && next ? tallies.get(entry.state) : undefined;
      if (!tally || !entry || !next || !Number.isFinite(entry.at) || !Number.isFinite(next.at)) continue;
      tally.visits++;
      tally.totalMs += Math.max(0, next.at - entry.at);
    }
  }
  const live = new Map((options.statuses ?? []).map((s) => [s.state, s]));
  return workflow.graph.states.map((node) => {
    const tally = tallies.get(node.name);
    if (!tally) throw new Error(`diagramMetrics: no tally for state ${renderValue(node.name)}`);
    const status = live.get(node.name);
    return {
      state: node.name,
      terminal: node.terminal,
      waiting: status?.waiting ?? tally.waiting,
      delayed: status?.delayed ?? tally.delayed,
      joining: status?.joining ?? tally.joining,
      executing: status?.executing ?? 0,
      committing: status?.committing ?? 0,
      completed: status?.completed ?? tally.completed,
      failed: status?.failed ?? tally.failed,
      errors: tally.errors,
      visits: tally.visits,
      ...(tally.visits > 0 ? { meanDurationMs: tally.totalMs / tally.visits } : {}),
    };
  });
}

/** The ids of jobs with a child that has not settled (neither terminal nor failed): a join state holds them. */
function parentsWithUnsettledChildren<AC, OC, JC, S extends string>(workflow: Workflow<AC, OC, JC, S>, run: Run<unknown, unknown>): Set<string> {
  const parents = new Set<string>();
  if (!workflow.graph.states.some((s) => s.join !== undefined)) return parents;
  for (const job of run.jobs.values()) {
    if (job.parentId !== undefined && job.failed !== true && workflow.graph.state(job.state)?.terminal !== true) parents.add(job.parentId);
  }
  return parents;
}
