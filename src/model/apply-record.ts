import type { StoreRecord, TransitionRecord } from './store-record.js';
import type { Job } from './job.js';
import { internalsOf, NO_ERRORS, newJob, noteKickedJob, type Run, type RunInternals } from './run.js';
import { RunError } from './run-error.js';

/** How many history entries a job keeps; older ones are dropped (the store's log keeps them all). */
export const HISTORY_LIMIT = 20;

/** No children: shared, so the common transition allocates no array. */
const NONE: readonly Job<never>[] = Object.freeze([]);

/**
 * Applies one record to a run. The engine and every store's replay go through here, so a replayed
 * run is the run the engine left.
 */
export function applyRecord<JC>(run: Run<unknown, JC>, record: StoreRecord<JC>): void {
  const own = internalsOf<JC>(run);
  if (record.type === 'add') {
    // A snapshot taken while the add was being stored may hold the job already.
    if (own.jobs.has(record.job.id)) return;
    own.jobs.set(record.job.id, record.job);
    noteKickedJob(own, record.job);
    return;
  }
  const job = own.jobs.get(record.id);
  if (!job) throw new RunError(`Run "${run.name}": a transition names job "${record.id}", which the run does not have`);
  applyTransition(own, job, record);
}

/** Applies a transition to its job and returns the children it created (the engine queues them). */
export function applyTransition<JC>(own: RunInternals<JC>, job: Job<JC>, record: TransitionRecord<JC>): readonly Job<JC>[] {
  if (record.error !== undefined) recordError(job, record.from, record.error);
  job.jc = record.jc;
  job.updatedAt = record.at;
  if (record.failed) {
    job.failed = true;
    return NONE;
  }
  if (job.failed) delete job.failed;
  job.state = record.to;
  pushHistory(job, record.to, record.at);
  if (!record.kicks || record.kicks.length === 0) return NONE;
  return addChildren(own, job, record);
}

function addChildren<JC>(own: RunInternals<JC>, parent: Job<JC>, record: TransitionRecord<JC>): Job<JC>[] {
  const children: Job<JC>[] = [];
  for (const kick of record.kicks ?? []) {
    if (own.jobs.has(kick.id)) continue; // replaying a record whose children were already checkpointed
    const child = newJob(kick.id, kick.state, kick.jc, parent.id, kick.key, record.at, kick.priority);
    own.jobs.set(kick.id, child);
    noteKickedJob(own, child);
    children.push(child);
  }
  return children;
}

/** Records an error message under a state, giving the job its own error map on first use. */
export function recordError(job: Job<unknown>, state: string, message: string): void {
  if (job.errors === NO_ERRORS) job.errors = {};
  const list = Object.hasOwn(job.errors, state) ? job.errors[state] : undefined;
  if (list) list.push(message);
  // defineProperty, not assignment: a state may be named "__proto__", which `=` would not store.
  else Object.defineProperty(job.errors, state, { value: [message], enumerable: true, writable: true, configurable: true });
}

/**
 * Appends to the job's history by copying into an exact-size array: `push` would grow a one-entry
 * array to room for 17, and a million jobs would carry that slack at rest.
 */
function pushHistory(job: Job<unknown>, state: string, at: number): void {
  const history = job.history;
  const keep = history.length >= HISTORY_LIMIT ? history.slice(history.length - HISTORY_LIMIT + 1) : history;
  job.history = [...keep, { state, at }];
}
