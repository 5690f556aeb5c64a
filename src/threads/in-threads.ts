import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isAbsolute } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkOption, checkOptions, optionKeys, optional, wholeNumber } from '../model/check-option.js';
import type { Job } from '../model/job.js';
import { renderValue } from '../model/render-value.js';
import type { ChildResult, Transition } from '../model/transition.js';
import { RateLimitError } from '../policies/rate-limit-error.js';
import type { ThreadExecArgs } from './thread-exec.js';
import type { ThreadOptions } from './thread-options.js';
import type { ThreadReply, ThreadTask, ThrownInThread } from './thread-protocol.js';
import { threadPool } from './thread-pools.js';

/**
 * What a threaded exec reads of the arguments the engine gives it (an `ExecArgs` is one): the data
 * it copies to the thread, and the signal that ends the attempt there.
 *
 * @example
 * ```ts
 * const exec: (args: ThreadedExecArgs<JC, OC>) => Promise<Transition<JC, 'done'>> = inThreads<typeof hash>(url);
 * ```
 * @public
 */
export interface ThreadedExecArgs<JC, OC> {
  /** The overall context of the run, copied to the thread. */
  readonly oc: OC;
  /** This job's context, copied to the thread. */
  readonly jc: JC;
  /** The job itself, copied to the thread. */
  readonly job: Readonly<Job<JC>>;
  /** Which attempt of this visit to the state this is, passed on to the thread. */
  readonly attempt: number;
  /** A join state's settled children, copied to the thread. */
  readonly children: readonly ChildResult<JC>[];
  /** Aborted by a timeout or a shutdown: the thread running the attempt is then terminated. */
  readonly signal: AbortSignal;
}

/**
 * The exec {@link inThreads} makes from a module's exec type `F`: called on the main thread with
 * the engine's arguments, it resolves with what `F` returns in a thread, so the builder checks
 * that transition's `state` against `.to(...)` and its kicks against `.spawns(...)` as for an
 * exec written inline.
 *
 * @example
 * ```ts
 * import type hash from './hash-exec.js';
 * const exec: ThreadedExec<typeof hash> = inThreads<typeof hash>(new URL('./hash-exec.js', import.meta.url));
 * ```
 * @public
 */
export type ThreadedExec<F extends (args: never) => unknown> = F extends (args: infer A) => infer R
  ? (args: ThreadedExecArgs<A extends { readonly jc: infer JC } ? JC : unknown, A extends { readonly oc: infer OC } ? OC : unknown>) => Promise<Awaited<R>>
  : never;

/**
 * The type `inThreads` is given when no module exec type is: its state is the sentence the
 * compiler prints at `.exec(...)`, since it cannot be one of the state's targets.
 *
 * @example
 * ```ts
 * .to('done').exec(inThreads(url));
 * // error: Type '"inThreads needs the module's exec type: import type exec from './my-exec.js', then …"' is not assignable to type '"done"'.
 * ```
 * @public
 */
export type ThreadExecTypeMissing = (
  args: ThreadExecArgs<unknown>,
) => Transition<never, "inThreads needs the module's exec type: import type exec from './my-exec.js', then inThreads<typeof exec>(new URL('./my-exec.js', import.meta.url))">;

/** The keys of {@link ThreadOptions}, for the unknown-option check (the compiler keeps it in step). */
const THREAD_OPTION_KEYS = optionKeys<ThreadOptions>({ threads: true });

/**
 * An exec that runs in a pool of worker threads: for CPU-bound states (parsing, hashing, image
 * work), which would otherwise hold the event loop, and every other state with it, on one core.
 *
 * The exec lives in its own module, as its default export (or its `exec` export), typed with
 * {@link ThreadExecArgs} or {@link ThreadExecFn}; name its type as `F` and the builder checks its
 * targets and kicks like any other exec's. For each attempt the job's `jc`, `oc`, `job`, `attempt`
 * and `children` are copied to a thread (structured clone) and the transition it returns is copied
 * back; the engine does its bookkeeping and the store on the main thread as usual. The module's
 * optional `setup()` export runs once per thread; what it returns is the thread's `ac` (the main
 * thread's app context does not cross). A timeout or an abort of the attempt terminates the thread
 * running it, wherever it is (the pool starts another). What the exec throws is rethrown with its
 * message and name (a `RateLimitError` stays one), so retries and errors work as usual.
 *
 * The pool (one per module and options, shared by the states that name them) is made at the first
 * attempt; its idle threads do not keep the process alive ({@link closeThreadPools} ends them).
 * `module` may name a `.js` file that exists only as `.ts` while running from TypeScript sources
 * with tsx: the `.ts` file is used, and the threads load tsx. Throws a `TypeError` for a module that
 * is not a file URL or an absolute path, a file that does not exist, or a bad option:
 * "inThreads(file:///app/hash-exec.js): threads must be a whole number from 1 up, got 0".
 *
 * @param module - The module's file URL: `new URL('./hash-exec.js', import.meta.url)`.
 * @example
 * ```ts
 * // hash-exec.ts
 * export default function hash({ jc }: ThreadExecArgs<JC>) {
 *   return { state: 'done' as const, jc: { ...jc, digest: sha256(jc.text) } };
 * }
 * // workflow.ts
 * import type hash from './hash-exec.js';
 * // …
 * .state('hash', { concurrency: 2, timeout: { ms: 5000, failState: 'too-slow' } })
 * .to('done', 'too-slow')
 * .exec(inThreads<typeof hash>(new URL('./hash-exec.js', import.meta.url), { threads: 2 }))
 * ```
 * @public
 */
export function inThreads<F extends (args: never) => unknown = ThreadExecTypeMissing>(module: URL | string, options: ThreadOptions = {}): ThreadedExec<F> {
  const href = moduleHref(module);
  const owner = `inThreads(${href})`;
  checkOptions(owner, options, THREAD_OPTION_KEYS, '{ threads: 2 }');
  const threads = checkOption(owner, 'threads', options.threads, optional(wholeNumber(1))) ?? availableParallelism();
  const exec = async (args: ThreadedExecArgs<unknown, unknown>): Promise<Transition<unknown>> => {
    const { oc, jc, job, attempt, children, signal } = args;
    const task: ThreadTask = { module: href, state: job.state, oc, jc, job, attempt, children };
    const pool = await threadPool(href, threads);
    let reply: ThreadReply;
    try {
      reply = await pool.run(task, signal);
    } catch (error) {
      // An abort (a timeout, a shutdown) terminated the thread: the engine knows which it was.
      if (signal.aborted) throw signal.reason ?? error;
      if (error instanceof Error && error.name === 'DataCloneError') {
        throw new Error(`state ${renderValue(job.state)}: the job's data cannot be copied to a worker thread of ${href}: ${error.message}`, { cause: error });
      }
      throw new Error(`state ${renderValue(job.state)}: the worker thread running ${href} stopped: ${error instanceof Error ? error.message : renderValue(error)}`, { cause: error });
    }
    if (!reply.ok) throw rethrown(reply.thrown);
    return reply.transition;
  };
  return exec as unknown as ThreadedExec<F>;
}

/** The module as a file URL; a `.js` that exists only as `.ts` (TypeScript sources run by tsx) as the `.ts`. */
function moduleHref(module: unknown): string {
  let url: URL;
  if (module instanceof URL) url = module;
  else if (typeof module === 'string' && /^file:/i.test(module)) url = new URL(module);
  else if (typeof module === 'string' && isAbsolute(module)) url = pathToFileURL(module);
  else throw new TypeError(`inThreads: the module must be a file URL or an absolute path, as new URL('./my-exec.js', import.meta.url) gives, got ${renderValue(module)}`);
  if (url.protocol !== 'file:') throw new TypeError(`inThreads: the module must be a file: URL, got ${renderValue(url.href)}`);
  const path = fileURLToPath(url);
  if (existsSync(path)) return url.href;
  const ts = path.replace(/\.js$/, '.ts').replace(/\.mjs$/, '.mts').replace(/\.cjs$/, '.cts');
  if (ts !== path && existsSync(ts)) return pathToFileURL(ts).href;
  throw new TypeError(`inThreads: there is no module at ${path}`);
}

/** What the thread threw, as an error of the main thread with its message and name (and a RateLimitError's wait). */
function rethrown(thrown: ThrownInThread): unknown {
  if (thrown.kind === 'value') return thrown.value;
  if (thrown.name === 'RateLimitError') return new RateLimitError(thrown.message, { retryAfterMs: thrown.retryAfterMs });
  const error = new Error(thrown.message);
  error.name = thrown.name;
  if (thrown.stack !== undefined) error.stack = thrown.stack;
  return error;
}
