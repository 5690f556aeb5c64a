import type { Job } from '../model/job.js';
import type { ChildResult, Kick, Transition } from '../model/transition.js';

/**
 * What an exec run in a worker thread receives: a copy (structured clone) of the job's data, the
 * thread's own app context, and `kick`. There is no `signal`: a timeout or an abort terminates
 * the thread running the exec, which then stops wherever it is.
 *
 * `K` is the union of the state's `.spawns(...)` targets, which types `kick` (none by default: name
 * them to kick); `AC` is what the module's optional `setup()` returned in this thread (`undefined`
 * without one).
 *
 * @example
 * ```ts
 * // hash-exec.ts
 * export default function hash({ jc, attempt }: ThreadExecArgs<JC>) {
 *   return { state: 'done' as const, jc: { ...jc, digest: sha256(jc.text), attempts: attempt } };
 * }
 * ```
 * @public
 */
export interface ThreadExecArgs<JC, OC = unknown, K extends string = never, AC = unknown> {
  /** What the module's `setup()` returned in this thread, once per thread; `undefined` without a `setup()`. */
  readonly ac: AC;
  /** The overall context of the run (a copy). */
  readonly oc: OC;
  /** This job's context (a copy). */
  readonly jc: JC;
  /** The job itself (a copy: id, parent, errors so far). */
  readonly job: Readonly<Job<JC>>;
  /** Which attempt of this visit to the state this is: 1, then 2, 3, … as retries run the exec again. */
  readonly attempt: number;
  /** In a state declared `{ join: true }`: every child this job kicked, settled, in kick order. Elsewhere: empty. */
  readonly children: readonly ChildResult<JC>[];
  /**
   * Returns the kick it is given, typed as a kick into one of the state's `.spawns(...)` targets
   * (`K`), as the main thread's `kick` does.
   */
  kick(this: void, kick: Kick<JC, K>): Kick<JC, K>;
}

/**
 * The type of an exec written to run in a worker thread: the default export (or the `exec`
 * export) of its own module. Annotating it with the state's targets `T` and spawns `K` types the
 * returned object literal as the builder expects it (no `as const` needed).
 *
 * @example
 * ```ts
 * const hash: ThreadExecFn<JC, 'done' | 'too-slow'> = ({ jc }) => ({ state: 'done', jc: { ...jc, digest: sha256(jc.text) } });
 * export default hash;
 * ```
 * @public
 */
export type ThreadExecFn<JC, T extends string = string, K extends string = never, OC = unknown, AC = unknown> = (
  args: ThreadExecArgs<JC, OC, K, AC>,
) => Transition<JC, T, K> | Promise<Transition<JC, T, K>>;
