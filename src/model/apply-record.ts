import type { HistoryEntry, Job, MutableJob } from './job.js';
import { internalsOf, NO_ERRORS, newJob, noteKickedJob, type Run, type RunInternals } from './run.js';
import { RunError } from './run-error.js';
import type { MoveRecord, StoreRecord, TransitionRecord } from './store-record.js';

/** How many history entries a job keeps; older ones are dropped (the store's log keeps them all). */
export const HISTORY_LIMIT = 20;

/** No children: shared, so the common transition allocates no array. */
const NONE: readonly Job<never>[] = Object.freeze([]);

/**
 * Applies one record to a run: what a store's replay does with each record it reads back, in
 * order, onto the run restored from its snapshot. The engine goes through the same code, so a
 * replayed run is the run the engine left. Throws a {@link RunError} for a record that names a job
 * the run does not have.
 *
 * @example
 * ```ts
 * const run = fromSnapshot<OC, JC>(snapshot);
 * for (const record of records) applyRecord(run, record);
 * ```
 * @public
 */
export function applyRecord<JC>(run: Run<unknown, JC>, record: StoreRecord<JC>): void {
  const own = internalsOf<JC>(run);
  applyTo(run, own, record, (id) => own.jobs.get(id));
}

/**
 * {@link applyRecord} for one run's many records (a store's replay): the run's bookkeeping is looked
 * up once. `inOrder` is the jobs of the run as its snapshot listed them (RunRestore.inOrder), if
 * known: a record naming the job with a default id `"k"` finds it at place k there, which costs a
 * quarter of a lookup in the run's map of a million jobs (whose buckets are all over the heap); any
 * other id, or a job not at its place, is looked up in the map as before.
 */
export function recordApplier<JC>(run: Run<unknown, JC>, inOrder: readonly Job<JC>[] = []): (record: StoreRecord<JC>) => void {
  const own = internalsOf<JC>(run);
  const jobs = own.jobs;
  const placed = inOrder as readonly MutableJob<JC>[];
  const find = (id: string): MutableJob<JC> | undefined => {
    const at = Number(id);
    // A whole number in range only ("1.5", "-1", "abc" and "" are not places); "007" is 7, whose id is "7", not "007".
    const job = at >>> 0 === at && at < placed.length ? placed[at] : undefined;
    return job !== undefined && job.id === id ? job : jobs.get(id);
  };
  return (record) => applyTo(run, own, record, find);
}

function applyTo<JC>(run: Run<unknown, JC>, own: RunInternals<JC>, record: StoreRecord<JC>, find: (id: string) => MutableJob<JC> | undefined): void {
  if (record.type === 'add') {
    // A snapshot taken while the add was being stored may hold the job already.
    if (record.nextId !== undefined && record.nextId > own.nextId) own.nextId = record.nextId;
    if (own.jobs.has(record.job.id)) return;
    const job = record.job as MutableJob<JC>;
    own.jobs.set(job.id, job);
    noteKickedJob(own, job);
    return;
  }
  const job = find(record.id);
  if (!job) throw new RunError(`Run "${run.name}": a ${record.type} record names job "${record.id}", which the run does not have`);
  if (record.type === 'move') applyMove(job, record);
  else applyTransition(own, job, record);
}

/** Moves a job as an operator asked (a redrive): its jc stays, its failed mark goes unless kept. */
export function applyMove(job: Job<unknown>, record: MoveRecord): void {
  const own = job as MutableJob<unknown>;
  own.state = record.to;
  if (own.failed && record.keepFailed !== true) delete own.failed;
  // A delay was the wait before the exec of the state the job leaves: in the new one it runs at once.
  if (own.dueAt !== undefined) delete own.dueAt;
  own.updatedAt = record.at;
  own.history = withEntry(own.history, { state: record.to, at: record.at, note: record.note });
}

/**
 * Applies a transition to its job and returns the children it created (the engine queues them).
 * Jobs are read-only to everyone else; this and {@link applyMove} are where they change.
 */
export function applyTransition<JC>(own: RunInternals<JC>, readOnlyJob: Job<JC>, record: TransitionRecord<JC>): readonly Job<JC>[] {
  const job = readOnlyJob as MutableJob<JC>;
  if (record.error !== undefined) recordError(job, record.from, record.error);
  job.jc = record.jc;
  job.updatedAt = record.at;
  if (record.failed) {
    job.failed = true;
    return NONE;
  }
  if (job.failed) delete job.failed;
  job.state = record.to;
  if (record.dueAt !== undefined) job.dueAt = record.dueAt;
  else if (job.dueAt !== undefined) delete job.dueAt;
  pushHistory(job, record.to, record.at);
  if (!record.kicks || record.kicks.length === 0) return NONE;
  return addChildren(own, job, record);
}

function addChildren<JC>(own: RunInternals<JC>, parent: Job<JC>, record: TransitionRecord<JC>): Job<JC>[] {
  const children: MutableJob<JC>[] = [];
  for (const kick of record.kicks ?? []) {
    if (own.jobs.has(kick.id)) continue; // replaying a record whose children were already checkpointed
    const child = newJob(kick.id, kick.state, kick.jc, parent.id, kick.key, record.at, kick.priority, kick);
    own.jobs.set(kick.id, child);
    noteKickedJob(own, child);
    children.push(child);
  }
  return children;
}

/** How many errors a job keeps per state, the latest; the store's log keeps them all. */
export const ERRORS_LIMIT = 20;

/** Records an error message under a state, giving the job its own error map on first use. */
export function recordError(job: MutableJob<unknown>, state: string, message: string): void {
  if (job.errors === NO_ERRORS) job.errors = {};
  const list = Object.hasOwn(job.errors, state) ? job.errors[state] : undefined;
  if (list) {
    list.push(message);
    // A job polling a state for hours would otherwise carry every error it ever saw.
    if (list.length > ERRORS_LIMIT) list.shift();
  }
  // defineProperty, not assignment: a state may be named "__proto__", which `=` would not store.
  else Object.defineProperty(job.errors, state, { value: [message], enumerable: true, writable: true, configurable: true });
}

/**
 * Appends to the job's history by copying into an exact-size array: `push` would grow a one-entry
 * array to room for 17, and a million jobs would carry that slack at rest. A loop, not a spread:
 * a replay appends a million times, and the spread's iteration costs three times as much.
 */
function pushHistory(job: MutableJob<unknown>, state: string, at: number): void {
  job.history = withEntry(job.history, { state, at });
}

/** The history entries kept so that one more fits under the limit, and that one. */
function withEntry(history: readonly HistoryEntry[], entry: HistoryEntry): HistoryEntry[] {
  const from = history.length >= HISTORY_LIMIT ? history.length - HISTORY_LIMIT + 1 : 0;
  const next = new Array<HistoryEntry>(history.length - from + 1);
  for (let i = from; i < history.length; i++) next[i - from] = history[i] as HistoryEntry;
  next[next.length - 1] = entry;
  return next;
}
