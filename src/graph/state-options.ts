/**
 * A per-attempt time limit for a state.
 *
 * @example
 * ```ts
 * .state('fetch', { timeout: { ms: 30_000, failState: 'fetch-failed' } }).to('parse', 'fetch-failed')
 * ```
 * @public
 */
export interface TimeoutOptions<F extends string = string> {
  /**
   * How long one attempt may run, in milliseconds. On expiry the attempt's `signal` aborts,
   * `timed out after <ms>ms` is recorded in `job.errors[state]` and the job moves to `failState`.
   *
   * Minimum: greater than 0.
   */
  readonly ms: number;
  /** Where a timed-out job goes; must be one of the state's `.to(...)` targets. */
  readonly failState: F;
}

/**
 * How a state runs its jobs.
 *
 * @example
 * ```ts
 * .state('parse', { concurrency: 4 })
 * ```
 * @public
 */
export interface StateOptions<F extends string = never> {
  /**
   * How many jobs of this state execute at once.
   *
   * Minimum: 1 (a whole number).
   * @defaultValue 1
   */
  readonly concurrency?: number;
  /** A per-attempt time limit; without one an attempt may run for ever. */
  readonly timeout?: TimeoutOptions<F>;
  /**
   * Says that this state's kicks may lead back to it on purpose: a tree walk, or a crawl bounded by
   * kick keys. `jorb lint` then does not report the spawn cycle through this state.
   * @defaultValue false
   */
  readonly recursive?: boolean;
}
