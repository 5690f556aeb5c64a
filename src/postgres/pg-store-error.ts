/**
 * What went wrong, in a word, for code that handles a {@link PgStoreError}:
 * - `'unreachable'`: nothing answered at the URL's host and port (refused, unknown host, timed out);
 * - `'authentication'`: the server refused the user or its password;
 * - `'no-database'`: the URL names a database the server does not have;
 * - `'schema-too-new'`: the schema was migrated by a newer jorb-ts than this one;
 * - `'connection'`: any other failure to connect (TLS, too many connections, the server shutting down), or a
 *   connection that broke and could not be made again within `reconnectTimeoutMs`;
 * - `'bad-data'`: a row of the run cannot be read as a job or a run (edited by hand?): the message names
 *   the run, the job and what is wrong; nothing was changed;
 * - `'fenced'`: another store wrote the run while this one was reconnecting: this one writes nothing more.
 *
 * @example
 * ```ts
 * if (error instanceof PgStoreError && error.reason === 'unreachable') console.error('start PostgreSQL first');
 * ```
 * @public
 */
export type PgStoreErrorReason = 'unreachable' | 'authentication' | 'no-database' | 'schema-too-new' | 'connection' | 'bad-data' | 'fenced';

/**
 * A PostgreSQL store could not reach, log in to or use its database. The message names the server
 * (never the password), what was wrong and what to do; `cause` is the driver's error.
 *
 * @example
 * ```ts
 * try {
 *   await store.load();
 * } catch (error) {
 *   if (error instanceof PgStoreError) console.error(error.reason, error.message);
 * }
 * ```
 * @public
 */
export class PgStoreError extends Error {
  /** Always `'PgStoreError'`. */
  override readonly name = 'PgStoreError';
  /** What went wrong, in a word. */
  readonly reason: PgStoreErrorReason;

  constructor(reason: PgStoreErrorReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}
