// What crosses between the main thread and a worker thread of a threaded exec, by structured clone.
import type { Job } from '../model/job.js';
import type { ChildResult, Transition } from '../model/transition.js';

/** One attempt of a threaded exec, as the main thread posts it. */
export interface ThreadTask {
  /** The exec's module, a file URL. */
  readonly module: string;
  /** The state the job is in, for error messages. */
  readonly state: string;
  readonly oc: unknown;
  readonly jc: unknown;
  readonly job: Readonly<Job<unknown>>;
  readonly attempt: number;
  readonly children: readonly ChildResult<unknown>[];
}

/** A thrown value, described so that it survives the clone: an Error's own fields, or the value itself. */
export type ThrownInThread =
  | { readonly kind: 'error'; readonly name: string; readonly message: string; readonly stack?: string | undefined; readonly retryAfterMs?: number | undefined }
  | { readonly kind: 'value'; readonly value: unknown };

/** How the attempt ended in the thread: a transition, or what was thrown. */
export type ThreadReply = { readonly ok: true; readonly transition: Transition<unknown> } | { readonly ok: false; readonly thrown: ThrownInThread };
