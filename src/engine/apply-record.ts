import type { StoreRecord, TransitionRecord } from '../store/store-record.js';
import type { Job } from './job.js';
import { internalsOf, NO_ERRORS, newJob, type Run } from './run.js';
import { RunError } from './run-error.js';

/** How many history entries a job keeps; older ones are dropped (the store's log keeps them all). */
export const HISTORY_LIMIT = 20;

/**
 * Applies one record to a run and returns the jobs it touched: the job itself (or the added one)
 * first, then its new children. The engine and every store's replay go through here, so a replayed
 * run is the run the engine left.
 */
export function applyRecord<JC>(run: Run<unknown, JC>, record: StoreRecord<JC>): Job<JC>[] {
  const own = internalsOf<JC>(run);
  if (record.type === 'add') {
    if (own.jobs.has(record.job.id)) throw new RunError(`Run "${run.name}": a job with id "${record.job.id}" already exists`);
    own.jobs.set(record.job.id, record.job);
    return [record.job];
  }
  const job = own.jobs.get(record.id);
  if (!job) throw new RunError(`Run "${run.name}": a transition names job "${record.id}", which the run does not have`);
  return applyTransition(run, job, record);
}

function applyTransition<JC>(run: Run<unknown, JC>, job: Job<JC>, record: TransitionRecord<JC>): Job<JC>[] {
  if (record.error !== undefined) recordError(job, record.from, record.error);
  job.jc = record.jc;
  job.updatedAt = record.at;
  if (record.failed) {
    job.failed = true;
    return [job];
  }
  if (job.failed) delete job.failed;
  job.state = record.to;
  pushHistory(job, record.to, record.at);
  if (!record.kicks || record.kicks.length === 0) return [job];
  return [job, ...addChildren(run, job, record)];
}

function addChildren<JC>(run: Run<unknown, JC>, parent: Job<JC>, record: TransitionRecord<JC>): Job<JC>[] {
  const own = internalsOf<JC>(run);
  const children: Job<JC>[] = [];
  for (const kick of record.kicks ?? []) {
    if (own.jobs.has(kick.id)) continue; // replaying a record whose children were already checkpointed
    const child = newJob(kick.id, kick.state, kick.jc, parent.id, record.at);
    own.jobs.set(kick.id, child);
    if (kick.key !== undefined) own.kickKeys.add(kick.key);
    children.push(child);
  }
  const kicked = record.kicked ?? 0;
  if (kicked > (own.kickCounts.get(parent.id) ?? 0)) own.kickCounts.set(parent.id, kicked);
  return children;
}

/** Records an error message under a state, giving the job its own error map on first use. */
export function recordError(job: Job<unknown>, state: string, message: string): void {
  if (job.errors === NO_ERRORS) job.errors = {};
  const list = job.errors[state];
  if (list) list.push(message);
  else job.errors[state] = [message];
}

function pushHistory(job: Job<unknown>, state: string, at: number): void {
  const history = job.history;
  if (history.length >= HISTORY_LIMIT) history.splice(0, history.length - HISTORY_LIMIT + 1);
  history.push({ state, at });
}
