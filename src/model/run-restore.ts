import type { HistoryEntry, Job, MutableJob } from './job.js';
import { internalsOf, NO_ERRORS, noteKickedJob, Run, type RunInternals, shapedJob } from './run.js';

/**
 * A run rebuilt job by job, as a store reads it back: each job goes into the run as soon as it is
 * read, copied into the shape the engine makes jobs in (so nothing else holds it, and the parsed
 * value dies young), with lists shared where they are equal. A million jobs added in one go share
 * a handful of creation times, so their one-entry histories (`[{ state, at }]`) are one array
 * each time the previous job's was the same; the model never changes a history in place (it
 * copies it to append), so sharing one is safe.
 */
export class RunRestore<OC, JC> {
  readonly run: Run<OC, JC>;
  readonly #own: RunInternals<JC>;
  /** The last one-entry history restored, shared by the next job whose history is equal. */
  #lastHistory: HistoryEntry[] | undefined;

  constructor(name: string, oc: OC, nextId: number) {
    this.run = new Run<OC, JC>(name, oc);
    this.#own = internalsOf<JC>(this.run);
    this.#own.nextId = nextId;
    this.#own.saved = true; // a run read back from somewhere: changes to it from now on are records
  }

  /**
   * Adds a job read back (its errors and history become the run's). False when the run had its id
   * already: the run is then not to be used (the job took the first one's place), only thrown away
   * with an error; one lookup per job rather than two, for a million of them.
   */
  add(job: Job<JC>): boolean {
    return this.#insert(this.#shape(job));
  }

  /**
   * Takes a job read back like {@link add}, but puts it into the run's map only at {@link finish}:
   * a million inserts in one loop cost a third of what they cost between the parses of the lines.
   * The job must be the caller's own (just parsed, held by nothing else): when its keys are those
   * the engine makes, in its order, it becomes the run's job itself, its errors and history shared
   * as {@link add} shares them; copying a million jobs cost a tenth of the load.
   */
  collect(job: Job<JC>): void {
    this.#collected.push(hasEngineKeys(job) ? this.#adopt(job as MutableJob<JC>) : this.#shape(job));
  }

  #adopt(job: MutableJob<JC>): MutableJob<JC> {
    // Assignments to keys it has: its shape stays the engine's.
    if (isEmpty(job.errors)) job.errors = NO_ERRORS;
    job.history = this.#shared(job.history);
    return job;
  }

  /**
   * Puts the collected jobs into the run, in order; the first whose id an earlier one had (its index
   * among them), if any. The list stays readable as {@link inOrder} until the restore is dropped.
   */
  finish(): { readonly index: number; readonly id: string } | undefined {
    const jobs = this.#collected;
    this.#collected = [];
    this.#inOrder = jobs;
    let repeated: { index: number; id: string } | undefined;
    for (let i = 0; i < jobs.length; i++) {
      const job = jobs[i] as MutableJob<JC>;
      if (!this.#insert(job)) repeated ??= { index: i, id: job.id };
    }
    return repeated;
  }

  #collected: MutableJob<JC>[] = [];
  #inOrder: readonly MutableJob<JC>[] = [];

  /**
   * The jobs {@link finish} put into the run, in the order they were read: a replay that follows
   * finds a job with a default id (`"0"`, `"1"`, …, its place among them) here at that place,
   * without a lookup in a map of a million entries (see recordApplier).
   */
  get inOrder(): readonly Job<JC>[] {
    return this.#inOrder;
  }

  #shape(job: Job<JC>): MutableJob<JC> {
    const errors = job.errors && !isEmpty(job.errors) ? (job.errors as Record<string, string[]>) : NO_ERRORS;
    const history = Array.isArray(job.history) ? this.#shared(job.history as HistoryEntry[]) : [];
    const out: MutableJob<JC> = shapedJob(job.id, job.state, job.jc, job.parentId, job.key, errors, history, job.updatedAt ?? 0, job.priority, job);
    if (job.failed) out.failed = true;
    return out;
  }

  #insert(job: MutableJob<JC>): boolean {
    const own = this.#own;
    const size = own.jobs.size;
    own.jobs.set(job.id, job);
    if (own.jobs.size === size) return false;
    noteKickedJob(own, job);
    return true;
  }

  #shared(history: HistoryEntry[]): HistoryEntry[] {
    if (history.length !== 1 || !isPlainEntry(history[0])) return history;
    const entry = history[0] as HistoryEntry;
    const last = this.#lastHistory?.[0];
    if (last !== undefined && last.state === entry.state && Object.is(last.at, entry.at)) return this.#lastHistory as HistoryEntry[];
    this.#lastHistory = history;
    return history;
  }
}

/**
 * Whether a job read back has exactly the keys of a job the engine makes (shapedJob), in the same
 * order: no failed mark or priority (the engine adds those later, at the end), a history and an
 * updatedAt. Its fields' types are checked by whoever read it.
 */
function hasEngineKeys(job: object): boolean {
  let next = 0; // in ENGINE_KEYS
  let optional = 0; // in BETWEEN: the keys before it are passed
  for (const key in job) {
    if (key === ENGINE_KEYS[next]) {
      next++;
      continue;
    }
    const at = next === 2 ? BETWEEN.indexOf(key, optional) : -1;
    if (at === -1) return false;
    optional = at + 1;
  }
  return next === ENGINE_KEYS.length;
}

/** The keys every job the engine makes has, in order. */
const ENGINE_KEYS = ['id', 'state', 'jc', 'errors', 'updatedAt', 'history'];
/** The keys some have, in order, between `state` and `jc`. */
const BETWEEN = ['parentId', 'key'];

/** An entry with exactly the keys `state` and `at`: one with a note (or anything else) is kept as it is. */
function isPlainEntry(entry: HistoryEntry | undefined): boolean {
  if (entry === null || typeof entry !== 'object') return false;
  let keys = 0;
  for (const key in entry) {
    if (key !== 'state' && key !== 'at') return false;
    keys++;
  }
  return keys === 2;
}

function isEmpty(object: object): boolean {
  for (const key in object) if (Object.hasOwn(object, key)) return false;
  return true;
}
