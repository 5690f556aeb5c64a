import type { Job } from '../model/job.js';
import type { Run } from '../model/run.js';

/** One visit of a job to a state: when it entered, and how long it stayed (until its next move). */
export interface JobVisit {
  readonly state: string;
  /** When the job entered the state, in epoch milliseconds. */
  readonly start: number;
  /** How long it stayed; undefined for the state it is in now. */
  readonly durationMs: number | undefined;
  /** Why it was moved there, when an exec did not move it (a redrive). */
  readonly note?: string;
  /** The state is a join: the job waited there for its children. */
  readonly join?: true;
  /** For the state it is in now: it waits there until this time (a delay), in epoch milliseconds. */
  readonly dueAt?: number;
}

/** A child the job kicked, and the visit whose exec kicked it (its first history entry is that move's time). */
export interface JobChild {
  readonly id: string;
  readonly state: string;
  readonly failed: boolean;
  /** The index in `visits` of the visit that kicked it; undefined when that visit is older than the history kept. */
  readonly fromVisit: number | undefined;
  /** The index in `visits` of the join visit that waited for it (a state declared `join`), when the job joined it. */
  readonly joinedBy?: number;
}

/** One job's path through the states (the asyncjob "instance view"): `jorb diagram --run … --job <id>`. */
export interface JobPath {
  readonly id: string;
  readonly state: string;
  readonly failed: boolean;
  readonly visits: readonly JobVisit[];
  readonly children: readonly JobChild[];
  /** The job keeps its last 20 history entries: earlier visits are not shown (the run file's log has them all). */
  readonly truncated: boolean;
}

/** How many history entries a job keeps (see HISTORY_LIMIT in the model); a full history may have lost older visits. */
const KEPT_HISTORY = 20;

/**
 * The path of job `id` in `run`: its visits from its history, and the children it kicked, in kick
 * order (`<id>->0`, `<id>->1`, …), each tied to the visit whose exec kicked it. `undefined` when
 * the run has no such job.
 */
export function jobPath(run: Run<unknown, unknown>, id: string, joinStates: ReadonlySet<string> = new Set()): JobPath | undefined {
  const job = run.jobs.get(id);
  if (job === undefined) return undefined;
  const visits: JobVisit[] = job.history.map((entry, i) => {
    const next = job.history[i + 1];
    return {
      state: entry.state,
      start: entry.at,
      durationMs: next === undefined ? undefined : next.at - entry.at,
      ...(entry.note === undefined ? {} : { note: entry.note }),
      ...(joinStates.has(entry.state) ? { join: true as const } : {}),
      ...(next === undefined && job.dueAt !== undefined ? { dueAt: job.dueAt } : {}),
    };
  });
  const children: JobChild[] = [];
  for (const [n, child] of childrenOf(run, job)) {
    void n;
    const kickedAt = child.history[0]?.at;
    const ended = visits.findIndex((v) => v.durationMs !== undefined && v.start + v.durationMs === kickedAt);
    const fromVisit = ended >= 0 ? ended : undefined;
    const joinedBy = joinVisit(visits, fromVisit, child);
    children.push({ id: child.id, state: child.state, failed: child.failed === true, fromVisit, ...(joinedBy === undefined ? {} : { joinedBy }) });
  }
  return { id: job.id, state: job.state, failed: job.failed === true, visits, children, truncated: job.history.length >= KEPT_HISTORY };
}

/** The job's children, `[n, child]` in kick order: every job whose parent it is, ordered by `n` of `<id>-><n>`. */
function childrenOf(run: Run<unknown, unknown>, parent: Job<unknown>): [number, Job<unknown>][] {
  const found: [number, Job<unknown>][] = [];
  const prefix = `${parent.id}->`;
  for (const job of run.jobs.values()) {
    if (job.parentId !== parent.id || !job.id.startsWith(prefix)) continue;
    const n = Number(job.id.slice(prefix.length));
    if (Number.isSafeInteger(n)) found.push([n, job]);
  }
  return found.sort((a, b) => a[0] - b[0]);
}

/** The first join visit after the one that kicked the child, still open when the child settled (its last move). */
function joinVisit(visits: readonly JobVisit[], fromVisit: number | undefined, child: Job<unknown>): number | undefined {
  if (fromVisit === undefined) return undefined;
  const settledAt = child.history.at(-1)?.at ?? child.updatedAt;
  for (let i = fromVisit + 1; i < visits.length; i++) {
    const visit = visits[i] as JobVisit;
    if (visit.join !== true) continue;
    if (visit.durationMs === undefined || visit.start + visit.durationMs >= settledAt) return i;
  }
  return undefined;
}
