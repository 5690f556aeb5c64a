/**
 * Options of {@link inThreads}.
 *
 * @example
 * ```ts
 * import type hash from './hash-exec.js';
 * // …
 * .exec(inThreads<typeof hash>(new URL('./hash-exec.js', import.meta.url), { threads: 2 }))
 * ```
 * @public
 */
export interface ThreadOptions {
  /**
   * How many worker threads run the module's exec: at most this many of its attempts run at once,
   * in the whole process (a state's `concurrency` above it queues the rest for a thread; the
   * state's timeout counts the wait). States naming the same module with the same options share
   * one pool. Minimum: 1. @defaultValue the machine's cores (`os.availableParallelism()`)
   */
  readonly threads?: number | undefined;
}
