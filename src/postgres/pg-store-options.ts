import { checkOption, checkOptions, durationMs, optional, optionKeys, rule } from '../model/check-option.js';
import { renderValue } from '../model/render-value.js';
import { connectionStringProblem, redactConnectionString } from './connection-string.js';

/**
 * Options of a {@link PgStore}.
 *
 * @example
 * ```ts
 * new PgStore<OC, JC>({ connectionString: 'postgres://jorb:secret@localhost:5432/jorb', run: 'crawl-2026-12', schema: 'crawls' });
 * ```
 * @public
 */
export interface PgStoreOptions {
  /**
   * Where the database is: a PostgreSQL URL, `postgres://user:password@host:port/database`
   * (`postgresql://` too; query parameters such as `sslmode=require` as libpq reads them).
   */
  readonly connectionString: string;
  /** The run's name in the database: every store given this name (and schema) works on the same run. */
  readonly run: string;
  /**
   * The PostgreSQL schema the store's tables live in, created (and migrated) on first use:
   * a name of letters, digits and underscores, not starting with a digit, at most 63 characters.
   * @defaultValue 'jorb'
   */
  readonly schema?: string;
  /**
   * How long connecting may take before the store gives up with an `'unreachable'` {@link PgStoreError}.
   * Minimum: above 0.
   * @defaultValue 10,000
   */
  readonly connectTimeoutMs?: number;
  /**
   * How long the store keeps trying to connect again when its connection to PostgreSQL breaks
   * while it is open (the server restarted, the network dropped, an administrator ended the
   * session), with a growing pause (50 ms doubling to 1 s). A shared run's process then finds out
   * from its own row whether its write in flight committed, and goes on while its lease lasts; an
   * exclusive store takes the run's lock again and goes on only if no other store wrote the run
   * in between. After this long it gives up with a `'connection'` {@link PgStoreError} and
   * writes nothing more.
   * Minimum: above 0.
   * @defaultValue 30,000
   */
  readonly reconnectTimeoutMs?: number;
  /**
   * Only read: `load` reads the run in one consistent snapshot without taking the run's lock (so
   * a running process keeps it) and without creating or migrating the schema; every write
   * (`append`, `checkpoint`) throws. For reports and dashboards.
   * @defaultValue false
   */
  readonly readOnly?: boolean;
  /**
   * One process at a time, holding the whole run in memory: the store takes the run's lock
   * exclusively (another store, in this process or another, is refused with a `RunLockedError`
   * naming the holder), `load` reads every job, and records are applied to the rows as they come.
   * For redrives and for tools that change a run while nothing runs it. By default a run is
   * *shared*: every process that opens it cooperates on it (see docs/postgres.md, "Many processes").
   * @defaultValue false
   */
  readonly exclusive?: boolean;
  /**
   * Shared runs: how long a process owns the jobs it claimed and the slots it holds without a
   * heartbeat (it beats every fifth of it). A process killed or paused for longer loses them to
   * the others, and its late writes are refused. Minimum: above 0.
   * @defaultValue 5,000
   */
  readonly leaseMs?: number;
  /**
   * Shared runs: the most slots of a state this process may hold, by state name (the state's
   * `concurrency` holds across all processes; this caps one process's part of it). A state not
   * named is capped by its concurrency only.
   * @defaultValue `{}`
   * @example
   * ```ts
   * new PgStore({ connectionString, run: 'crawl', processConcurrency: { render: 1 } });
   * ```
   */
  readonly processConcurrency?: Readonly<Record<string, number>>;
}

export const PG_STORE_OPTION_KEYS = optionKeys<PgStoreOptions>({
  connectionString: true,
  run: true,
  schema: true,
  connectTimeoutMs: true,
  reconnectTimeoutMs: true,
  readOnly: true,
  exclusive: true,
  leaseMs: true,
  processConcurrency: true,
});

const EXAMPLE = "{ connectionString: 'postgres://localhost:5432/jorb', run: 'crawl' }";
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

const nonEmptyString = rule('a non-empty string', (value): value is string => typeof value === 'string' && value.length > 0 && !value.includes('\u0000'));
const flag = rule('true or false', (value): value is boolean => typeof value === 'boolean');
const schemaName = rule(
  'a name of letters, digits and underscores, not starting with a digit, at most 63 characters',
  (value): value is string => typeof value === 'string' && SCHEMA_NAME.test(value),
);

const slotCaps = rule(
  'an object of state names to whole numbers from 1 up',
  (value): value is Readonly<Record<string, number>> =>
    value !== null && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((n) => Number.isSafeInteger(n) && (n as number) >= 1),
);

/** The options, checked, with their defaults. */
export interface CheckedPgStoreOptions {
  readonly connectionString: string;
  readonly run: string;
  readonly schema: string;
  readonly connectTimeoutMs: number;
  readonly reconnectTimeoutMs: number;
  readonly readOnly: boolean;
  readonly exclusive: boolean;
  readonly leaseMs: number;
  readonly processConcurrency: Readonly<Record<string, number>>;
}

/** Checks a PgStore's options as the other stores do: unknown keys, then each value; the password is never shown. */
export function checkPgStoreOptions(options: unknown): CheckedPgStoreOptions {
  checkOptions('PgStore', options, PG_STORE_OPTION_KEYS, EXAMPLE);
  const given = options as PgStoreOptions;
  const url: unknown = given.connectionString;
  if (typeof url !== 'string') {
    throw new TypeError(`PgStore: connectionString must be a PostgreSQL URL such as postgres://user:password@localhost:5432/db, got ${renderValue(url)}`);
  }
  const problem = connectionStringProblem(url);
  if (problem !== undefined) {
    throw new TypeError(
      `PgStore: connectionString must be a PostgreSQL URL such as postgres://user:password@localhost:5432/db, got ${renderValue(redactConnectionString(url))}, which ${problem}`,
    );
  }
  return {
    connectionString: url,
    run: checkOption('PgStore', 'run', given.run, nonEmptyString),
    schema: checkOption('PgStore', 'schema', given.schema, optional(schemaName)) ?? 'jorb',
    connectTimeoutMs: checkOption('PgStore', 'connectTimeoutMs', given.connectTimeoutMs, optional(durationMs)) ?? 10_000,
    reconnectTimeoutMs: checkOption('PgStore', 'reconnectTimeoutMs', given.reconnectTimeoutMs, optional(durationMs)) ?? 30_000,
    readOnly: checkOption('PgStore', 'readOnly', given.readOnly, optional(flag)) ?? false,
    exclusive: checkOption('PgStore', 'exclusive', given.exclusive, optional(flag)) ?? false,
    leaseMs: checkOption('PgStore', 'leaseMs', given.leaseMs, optional(durationMs)) ?? 5_000,
    processConcurrency: checkOption('PgStore', 'processConcurrency', given.processConcurrency, optional(slotCaps)) ?? {},
  };
}
