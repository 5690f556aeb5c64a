import type { Job } from './job.js';
import { internalsOf, type Run } from './run.js';
import { RunRestore } from './run-restore.js';
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
  const restore = new RunRestore<OC, JC>(snapshot.name, snapshot.oc, snapshot.nextId ?? 0);
  const jobs: readonly unknown[] = snapshot.jobs;
  jobs.forEach((value, i) => {
    const job = value as Job<JC> | null;
    if (job === null || typeof job !== 'object' || typeof job.id !== 'string' || typeof job.state !== 'string') {
      throw new RunError(`${source}: jobs[${i}] needs a string "id" and a string "state"`);
    }
    if (!restore.add(job)) throw new RunError(`${source}: jobs[${i}] repeats the id "${job.id}"`);
  });
  return restore.run;
}
