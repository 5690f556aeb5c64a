import type { Job, KeyScope } from './job.js';

/**
 * A child job requested by an exec: it starts in `state` with job context `jc`.
 *
 * The child's id is `${parentId}->${n}`, with `n` unique per parent for the whole run. A kick with
 * a `key` that an earlier kick of the same run already used is dropped, so a crawl can name each
 * URL once and never fetch it twice.
 *
 * @example
 * ```ts
 * const kick: Kick<{ url: string }, 'fetch'> = { state: 'fetch', jc: { url }, key: url };
 * ```
 * @public
 */
export interface Kick<JC, K extends string = string> {
  /** The state the child starts in; one of the parent state's `.spawns(...)`. */
  readonly state: K;
  /** The child's job context. */
  readonly jc: JC;
  /** Run-wide de-duplication key: a second kick with the same key is dropped. */
  readonly key?: string | undefined;
  /**
   * How long the key is held: for the run's life (`'run'`), or only until the job with it settles
   * (`'unsettled'`), so that the same key may be kicked again later. @defaultValue 'run'
   */
  readonly keyScope?: KeyScope | undefined;
  /** Higher runs first within its state. @defaultValue 0 */
  readonly priority?: number | undefined;
  /**
   * The child waits in its state at least this long before its exec runs, holding no slot; the due
   * time is stored, so a restart honours it. Minimum: 0. @defaultValue 0
   */
  readonly delayMs?: number | undefined;
}

/**
 * What an exec returns: the next state, the updated job context, optional kicks and an optional
 * error to record while still choosing the next state (jorb style).
 *
 * @example
 * ```ts
 * return { state: 'parse', jc: { ...jc, body }, kicks: [{ state: 'fetch', jc: { url } }] };
 * ```
 * @public
 */
export interface Transition<JC, T extends string = string, K extends string = string> {
  /** The next state; one of this state's `.to(...)` targets. */
  readonly state: T;
  /** The updated job context. */
  readonly jc: JC;
  /** Child jobs to start. */
  readonly kicks?: readonly Kick<JC, K>[] | undefined;
  /** An error to record in `job.errors[state]` while moving on. */
  readonly error?: string | Error | undefined;
  /**
   * The job waits in its next state at least this long before that state's exec runs, holding no
   * slot (counted as waiting, shown as delayed); the due time is stored, so a restart honours it
   * and a job that fell due while the process was down runs at once. Minimum: 0. @defaultValue 0
   */
  readonly delayMs?: number | undefined;
}

/**
 * A child as a join state's exec sees it: settled (in a terminal state, or marked failed), with
 * its final job context and its errors. `state` is typed `string`: a child may settle in a state
 * declared after the join, which the builder has not seen there; narrow it with `S` where you know.
 *
 * @example
 * ```ts
 * .state('merge', { join: true }).to('done')
 *   .exec(({ jc, children }) => ({ state: 'done', jc: { ...jc, rows: children.map((c) => c.jc.rows ?? 0) } }))
 * ```
 * @public
 */
export interface ChildResult<JC, S extends string = string> {
  /** The child's id, `${parentId}->${n}`. */
  readonly id: string;
  /** The state it settled in. */
  readonly state: S;
  /** Its job context when it settled. */
  readonly jc: JC;
  /** True when it stopped in a non-terminal state because its exec failed. */
  readonly failed: boolean;
  /** Its recorded errors, by the state they happened in. */
  readonly errors: Readonly<Record<string, readonly string[]>>;
}

/**
 * What an exec receives. `K` is the union of the state's `.spawns(...)` targets, which types `kick`.
 *
 * @example
 * ```ts
 * .exec(async ({ ac, oc, jc, job, signal, attempt, kick, children }) => ({ state: 'done', jc }))
 * ```
 * @public
 */
export interface ExecArgs<AC, OC, JC, K extends string = string> {
  /** The app context: clients and handles, never persisted. */
  readonly ac: AC;
  /** The overall context of the run. */
  readonly oc: OC;
  /** This job's context. */
  readonly jc: JC;
  /** The job itself, read-only (id, parent, errors so far). */
  readonly job: Readonly<Job<JC>>;
  /** Aborted on shutdown and when the state's timeout expires: pass it to your I/O. */
  readonly signal: AbortSignal;
  /**
   * Which attempt of this visit to the state this is: 1, then 2, 3, … as the state's retry policy
   * (or a timeout's `retries`) runs the exec again. A job that comes back to the state later
   * (a loop, a redrive) starts at 1 again.
   */
  readonly attempt: number;
  /**
   * In a state declared `{ join: true }`: every child this job kicked, settled, in kick order.
   * Elsewhere: empty.
   */
  readonly children: readonly ChildResult<JC>[];
  /**
   * Returns the kick it is given, typed as a kick into one of this state's `.spawns(...)` targets:
   * for kicks collected in a loop, which TypeScript would otherwise type by what is pushed
   * (`state: string`). A wrong state or `jc` is reported at the kick. (A method, so an exec written
   * apart with `ExecArgs<AC, OC, JC>` still fits every state; `this: void`, so it may be destructured.)
   *
   * @example
   * ```ts
   * .exec(({ jc, kick }) => {
   *   const kicks = [];
   *   for (const url of links(jc.body)) if (!url.endsWith('.pdf')) kicks.push(kick({ state: 'fetch', jc: { url }, key: url }));
   *   return { state: 'done', jc, kicks };
   * })
   * ```
   */
  kick(this: void, kick: Kick<JC, K>): Kick<JC, K>;
}

/**
 * The function run for a job in a state.
 *
 * @example
 * ```ts
 * const exec: ExecFn<AC, OC, JC, 'done'> = ({ jc }) => ({ state: 'done', jc });
 * ```
 * @public
 */
export type ExecFn<AC, OC, JC, T extends string = string, K extends string = string> = (
  args: ExecArgs<AC, OC, JC, K>,
) => Transition<JC, T, K> | Promise<Transition<JC, T, K>>;
