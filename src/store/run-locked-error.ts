/**
 * Thrown when a run file is held by another live process (its lock file names the process), or by
 * another store in this process.
 *
 * @example
 * ```ts
 * try { await store.load(); } catch (e) { if (e instanceof RunLockedError) console.error(e.message); }
 * ```
 * @public
 */
export class RunLockedError extends Error {
  /** Always `'RunLockedError'`. */
  override readonly name = 'RunLockedError';
}
