import type { HistoryEntry, Job, MutableJob } from './job.js';
import { internalsOf, NO_ERRORS, newJob, noteKickedJob, Run } from './run.js';
import { RunError } from './run-error.js';
import { renderValue } from './render-value.js';

/**
 * A whole run as plain JSON: what a store writes and reads back.
 *
 * @example
 * ```ts
 * const snapshot = toSnapshot(run);
 * const copy = fromSnapshot<OC, JC>(JSON.parse(JSON.stringify(snapshot)));
 * ```
 * @public
 */
export interface RunSnapshot<OC, JC> {
  /** Marks the file as a jorb-ts run. */
  readonly format: 'jorb-run';
  /** The snapshot format's version. */
  readonly version: 1;
  /** The run's name. */
  readonly name: string;
  /** The run's overall context. */
  readonly oc: OC;
  /** The next default id `run.add` tries. */
  readonly nextId: number;
  /** Every job, in the run's order. */
  readonly jobs: readonly Job<JC>[];
}

/**
 * The run as a plain, JSON-serialisable snapshot (shares job contexts with the run: clone it before
 * mutating either).
 *
 * @example
 * ```ts
 * fs.writeFileSync('run.json', JSON.stringify(toSnapshot(run)));
 * ```
 * @public
 */
export function toSnapshot<OC, JC>(run: Run<OC, JC>): RunSnapshot<OC, JC> {
  const own = internalsOf<JC>(run);
  return {
    format: 'jorb-run',
    version: 1,
    name: run.name,
    oc: run.oc,
    nextId: own.nextId,
    jobs: [...own.jobs.values()],
  };
}

/**
 * A run from a snapshot. Throws a {@link RunError} naming `source` and what is wrong when the
 * snapshot is not one.
 *
 * @example
 * ```ts
 * const run = fromSnapshot<OC, JC>(JSON.parse(fs.readFileSync('run.json', 'utf8')), 'run.json');
 * ```
 * @public
 */
export function fromSnapshot<OC, JC>(snapshot: RunSnapshot<OC, JC>, source = 'snapshot'): Run<OC, JC> {
  if (snapshot === null || typeof snapshot !== 'object' || snapshot.format !== 'jorb-run') {
    throw new RunError(`${source}: not a jorb-ts run snapshot (expected "format": "jorb-run")`);
  }
  if (snapshot.version !== 1) throw new RunError(`${source}: snapshot version ${renderValue(snapshot.version)} is not supported (this jorb-ts reads version 1)`);
  if (!Array.isArray(snapshot.jobs)) throw new RunError(`${source}: "jobs" must be an array`);
  const run = new Run<OC, JC>(snapshot.name, snapshot.oc);
  const own = internalsOf<JC>(run);
  own.nextId = snapshot.nextId ?? 0;
  own.saved = true; // a run read back from somewhere: changes to it from now on are records
  const jobs: readonly unknown[] = snapshot.jobs;
  jobs.forEach((value, i) => {
    const job = value as Job<JC> | null;
    if (job === null || typeof job !== 'object' || typeof job.id !== 'string' || typeof job.state !== 'string') {
      throw new RunError(`${source}: jobs[${i}] needs a string "id" and a string "state"`);
    }
    if (own.jobs.has(job.id)) throw new RunError(`${source}: jobs[${i}] repeats the id "${job.id}"`);
    const normal = normaliseJob(job);
    own.jobs.set(job.id, normal);
    noteKickedJob(own, normal);
  });
  return run;
}

function normaliseJob<JC>(job: Job<JC>): MutableJob<JC> {
  // The snapshot's lists become the run's own: a snapshot is read once, then dropped.
  const errors = job.errors && Object.keys(job.errors).length > 0 ? (job.errors as Record<string, string[]>) : NO_ERRORS;
  const history = Array.isArray(job.history) ? (job.history as HistoryEntry[]) : [];
  const updatedAt = job.updatedAt ?? 0;
  const out = newJob(job.id, job.state, job.jc, job.parentId, job.key, updatedAt, job.priority);
  out.errors = errors;
  out.history = history;
  if (job.failed) out.failed = true;
  return out;
}
