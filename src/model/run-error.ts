/**
 * Thrown for a request a run cannot take: an unknown state, a duplicate id, a job context that
 * is not there. Nothing is changed when it is thrown.
 *
 * @example
 * ```ts
 * try { run.add({ n: 1 }, 'start', { id: 'a' }); run.add({ n: 2 }, 'start', { id: 'a' }); }
 * catch (e) { if (e instanceof RunError) console.error(e.message); } // Run "demo": a job with id "a" already exists
 * ```
 * @public
 */
export class RunError extends Error {
  /** Always `'RunError'`. */
  override readonly name = 'RunError';
}
