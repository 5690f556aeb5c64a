import pg from 'pg';
import type { Job } from '../model/job.js';
import { renderValue } from '../model/render-value.js';
import { replay } from '../model/replay.js';
import { bindRun, flushUnsavedRecords, type Run } from '../model/run.js';
import { RunError } from '../model/run-error.js';
import { fromSnapshot, toSnapshot } from '../model/run-snapshot.js';
import type { Store } from '../model/store.js';
import type { StoreRecord } from '../model/store-record.js';
import type { WorkflowStates } from '../model/workflow-states.js';
import { RunLockedError } from '../store/run-locked-error.js';
import { connectError } from './connect-error.js';
import { type ServerAddress, serverAddress } from './connection-string.js';
import { JOB_COLUMNS, type JobRow, jobOfRow, ROW_INPUT_COLUMNS, rowOfJob } from './pg-job-row.js';
import { migrate, quoteIdent } from './pg-schema.js';
import { type CheckedPgStoreOptions, checkPgStoreOptions, type PgStoreOptions } from './pg-store-options.js';
import { PgStoreError } from './pg-store-error.js';

/** The runs (`schema.run`) that open stores of this process hold: how a refusal knows the holder is here. */
const HELD_HERE = new Map<string, object>();

/** Rows per statement when a run is written whole or read back. */
const PAGE_ROWS = 10_000;

/** The connections of an open store: one for the run's lock, held while the store is open, and one for the data. */
interface Connections {
  readonly pool: pg.Pool;
  readonly lock: pg.Client;
}

/**
 * A store in PostgreSQL: one row per run in `<schema>.runs`, one row per job in `<schema>.jobs`
 * (state, failed mark, parent, key, priority, job context, errors and history as jsonb), created by
 * a versioned migration on first use (docs/postgres.md). An `append` is one transaction whatever
 * its size: the rows of every job the records touch are read, the records applied to them, and
 * all of them written back by one statement (group commit: durable when it resolves). Loading
 * reads the rows back in the run's order.
 *
 * One process at a time: a store that loads or writes a run holds a session-level advisory lock on
 * it, on a connection of its own, until it is closed; another store (in this process or another)
 * is refused with a `RunLockedError` naming the holder. When the holding process dies, its session
 * ends and the server releases the lock. Multi-process cooperation on one run (leases, heartbeats,
 * cluster-wide concurrency) is the next step; the schema already has room for it.
 *
 * Its sessions show in `pg_stat_activity` with the application_name `jorb-ts pid <pid> <run>`
 * (cut to 63 bytes). Job contexts are stored as jsonb: object keys come back in jsonb's order,
 * and the character U+0000 cannot be stored.
 *
 * @example
 * ```ts
 * import { PgStore } from 'jorb-ts/postgres';
 * const store = new PgStore<OC, JC>({ connectionString: process.env.DATABASE_URL!, run: 'crawl-2026-12' });
 * const run = (await store.load(crawl)) ?? crawl.newRun('crawl-2026-12', oc).add(seed, 'fetch', { id: 'seed' });
 * await new Processor(crawl, ac, { store }).exec(run);
 * await store.close();
 * ```
 * @public
 */
export class PgStore<OC, JC> implements Store<OC, JC> {
  /** The run's name in the database. */
  readonly run: string;
  /** The PostgreSQL schema of the store's tables. */
  readonly schema: string;
  readonly #options: CheckedPgStoreOptions;
  readonly #address: ServerAddress;
  /** `"<schema>".` for statements. */
  readonly #s: string;
  /** For messages: `PgStore(run "crawl")`. */
  readonly #owner: string;
  #connections: Promise<Connections> | undefined;
  /** Set when the lock's connection ended while the store was open: nothing more may be written. */
  #lost: Error | undefined;
  /** A load of this place succeeded (so the store may replace what it found). */
  #loaded = false;
  /** The database holds a run under this name (so records can be appended to it). */
  #stored = false;
  /** The run this store holds: the one it last loaded or wrote whole. */
  #run: Run<OC, JC> | undefined;
  #closed = false;
  /** Calls run one at a time, in order. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: PgStoreOptions) {
    this.#options = checkPgStoreOptions(options);
    this.run = this.#options.run;
    this.schema = this.#options.schema;
    this.#address = serverAddress(this.#options.connectionString);
    this.#s = quoteIdent(this.schema);
    this.#owner = `PgStore(run ${JSON.stringify(this.run)})`;
  }

  /**
   * The stored run, or `undefined` when the database holds no run of this name; bound to
   * `workflow` when given. Connects, migrates the schema if needed and takes the run's lock first.
   */
  async load<S extends string = string>(workflow?: WorkflowStates<S>): Promise<Run<OC, JC, S> | undefined> {
    return this.#serial('load', async () => {
      await this.#open();
      const read = await this.#transaction('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', async (client) => {
        const head = await client.query<{ run_name: string; oc: OC; next_id: string }>(`SELECT run_name, oc, next_id FROM ${this.#s}.runs WHERE name = $1`, [this.run]);
        const found = head.rows[0];
        if (found === undefined) return undefined;
        const jobs: Job<JC>[] = [];
        for (let after = '-1'; ; ) {
          const page = await client.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM ${this.#s}.jobs WHERE run = $1 AND ord > $2 ORDER BY ord LIMIT ${PAGE_ROWS}`, [this.run, after]);
          for (const row of page.rows) jobs.push(jobOfRow<JC>(row));
          if (page.rows.length < PAGE_ROWS) break;
          after = (page.rows.at(-1) as JobRow).ord;
        }
        return { name: found.run_name, oc: found.oc, nextId: Number(found.next_id), jobs };
      });
      if (read === undefined) {
        this.#loaded = true;
        this.#stored = false;
        return undefined;
      }
      const run = fromSnapshot<OC, JC>({ format: 'jorb-run', version: 1, ...read }, this.#owner);
      const bound = workflow ? bindRun(run, workflow) : (run as Run<OC, JC, S>);
      this.#loaded = true;
      this.#stored = true;
      this.#run = run;
      return bound;
    });
  }

  /**
   * Applies the records to the rows of the jobs they touch and writes those rows back, all in one
   * transaction and one write statement: durable when it resolves, nothing of it if it rejects.
   */
  async append(records: readonly StoreRecord<JC>[]): Promise<void> {
    return this.#serial('append', () => this.#append(records));
  }

  /**
   * For the run this store holds, appends the run's unsaved changes (a `run.add`, a redrive); for
   * another run, writes it whole in one transaction, refusing to replace a stored run unless a
   * `load()` of it succeeded. `when` changes nothing here: every change is in the rows once appended
   * (there is no log to compact).
   */
  async checkpoint(run: Run<OC, JC>, when: 'start' | 'stop' = 'start'): Promise<void> {
    void when;
    return this.#serial('checkpoint', async () => {
      if (run === this.#run) {
        await flushUnsavedRecords(run, (records) => this.#append(records));
        return;
      }
      await this.#open();
      this.#checkLock();
      if (!this.#loaded) {
        const held = await this.#query<{ run_name: string }>(`SELECT run_name FROM ${this.#s}.runs WHERE name = $1`, [this.run]);
        if (held.rows.length > 0) {
          throw new RunError(`${this.#owner}: the database already holds this run (schema "${this.schema}"): load it with store.load() to continue it, or delete it to start over`);
        }
      }
      this.#loaded = true;
      await flushUnsavedRecords(run, () => this.#writeWhole(run)); // the rows hold them
      this.#stored = true;
      this.#run = run;
    });
  }

  /** Appends the held run's unsaved changes, then releases the run's lock and the connections; later calls throw. */
  async close(): Promise<void> {
    if (this.#closed) return;
    return this.#serial('close', async () => {
      if (this.#closed) return;
      let failure: { error: unknown } | undefined;
      try {
        if (this.#run && this.#stored && this.#lost === undefined) await flushUnsavedRecords(this.#run, (records) => this.#append(records));
      } catch (error) {
        failure = { error };
      }
      this.#closed = true;
      const connections = this.#connections;
      this.#connections = undefined;
      if (connections) {
        const open = await connections.catch(() => undefined);
        await release(open);
        if (open) this.#letGo();
      }
      if (failure) throw failure.error;
    }, true);
  }

  async #append(records: readonly StoreRecord<JC>[]): Promise<void> {
    if (records.length === 0) return;
    if (!this.#stored) throw new Error(`${this.#owner}: append before the first checkpoint: there is no run to append to`);
    await this.#open();
    this.#checkLock();
    const ids = touchedIds(records);
    await this.#transaction('BEGIN', async (client) => {
      const found = await client.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM ${this.#s}.jobs WHERE run = $1 AND id = ANY($2::text[]) ORDER BY ord FOR UPDATE`, [this.run, ids]);
      // The touched jobs as stored, the records applied to them by the model's own code.
      const touched = fromSnapshot<null, JC>({ format: 'jorb-run', version: 1, name: this.run, oc: null, nextId: 0, jobs: found.rows.map((row) => jobOfRow<JC>(row)) }, this.#owner);
      replay(touched, records.map(ownRecord));
      const { jobs, nextId } = toSnapshot(touched);
      const rows = JSON.stringify(jobs.map((job, n) => rowOfJob(job, n, this.#owner)));
      const written = await client.query(
        `WITH r AS (
           UPDATE ${this.#s}.runs SET next_ord = next_ord + $3, next_id = greatest(next_id, $4), updated_at = now() WHERE name = $1 RETURNING next_ord - $3 AS base
         )
         INSERT INTO ${this.#s}.jobs AS j (run, id, ord, state, failed, parent_id, key, priority, jc, errors, history, updated_at)
         SELECT $1, x.id, r.base + x.n, x.state, x.failed, x.parent_id, x.key, x.priority, coalesce(x.jc, 'null'), x.errors, x.history, x.updated_at
         FROM r, json_to_recordset($2::json) AS x(${ROW_INPUT_COLUMNS})
         ON CONFLICT (run, id) DO UPDATE SET state = excluded.state, failed = excluded.failed, jc = excluded.jc, errors = excluded.errors, history = excluded.history, updated_at = excluded.updated_at`,
        [this.run, rows, jobs.length, nextId],
      );
      if (written.rowCount !== jobs.length) throw new Error(`${this.#owner}: the run's row is gone from the database (deleted while the store held it?): nothing was appended`);
    });
  }

  async #writeWhole(run: Run<OC, JC>): Promise<void> {
    const snapshot = toSnapshot(run);
    await this.#transaction('BEGIN', async (client) => {
      await client.query(
        `INSERT INTO ${this.#s}.runs (name, run_name, oc, next_id, next_ord) VALUES ($1, $2, $3::jsonb, $4, $5)
         ON CONFLICT (name) DO UPDATE SET run_name = excluded.run_name, oc = excluded.oc, next_id = excluded.next_id, next_ord = excluded.next_ord, updated_at = now()`,
        [this.run, snapshot.name, JSON.stringify(snapshot.oc ?? null), snapshot.nextId, snapshot.jobs.length],
      );
      await client.query(`DELETE FROM ${this.#s}.jobs WHERE run = $1`, [this.run]);
      for (let start = 0; start < snapshot.jobs.length; start += PAGE_ROWS) {
        const rows = JSON.stringify(snapshot.jobs.slice(start, start + PAGE_ROWS).map((job, i) => rowOfJob(job, start + i, this.#owner)));
        await client.query(
          `INSERT INTO ${this.#s}.jobs (run, id, ord, state, failed, parent_id, key, priority, jc, errors, history, updated_at)
           SELECT $1, x.id, x.n, x.state, x.failed, x.parent_id, x.key, x.priority, coalesce(x.jc, 'null'), x.errors, x.history, x.updated_at
           FROM json_to_recordset($2::json) AS x(${ROW_INPUT_COLUMNS})`,
          [this.run, rows],
        );
      }
    });
  }

  /** Connects (once): the schema migrated, then the run's lock taken on a connection of its own. */
  #open(): Promise<Connections> {
    if (this.#lost) return Promise.reject(this.#lost);
    this.#connections ??= this.#connect().catch((error: unknown) => {
      this.#connections = undefined; // a later call tries again
      throw error;
    });
    return this.#connections;
  }

  async #connect(): Promise<Connections> {
    const config: pg.ClientConfig = {
      connectionString: this.#options.connectionString,
      connectionTimeoutMillis: this.#options.connectTimeoutMs,
      application_name: applicationName(this.run),
      keepAlive: true,
    };
    const pool = new pg.Pool({ ...config, max: 1, idleTimeoutMillis: 0 });
    pool.on('error', () => undefined); // an idle connection that died: the pool makes a new one for the next query
    let lock: pg.Client | undefined;
    try {
      const client = await this.#checkout(pool);
      try {
        await migrate(client, this.schema, this.#address.database);
      } finally {
        client.release();
      }
      lock = new pg.Client(config);
      lock.on('error', () => undefined); // until the lock is taken, a failure is the connect's or the query's
      await lock.connect().catch((error: unknown) => {
        throw connectError(error, this.#address, this.#options.connectTimeoutMs);
      });
      const key = lockKey(this.schema, this.run);
      const taken = await lock.query<{ taken: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS taken', [key]);
      if (taken.rows[0]?.taken !== true) throw await this.#lockedError(lock, key);
      HELD_HERE.set(key, this);
      lock.on('error', (error) => this.#lockLost(error));
      lock.on('end', () => this.#lockLost(new Error('the connection ended')));
      return { pool, lock };
    } catch (error) {
      await release({ pool, lock });
      throw error;
    }
  }

  /** This process no longer holds the run through this store. */
  #letGo(): void {
    const key = lockKey(this.schema, this.run);
    if (HELD_HERE.get(key) === this) HELD_HERE.delete(key);
  }

  #lockLost(error: Error): void {
    this.#letGo();
    if (this.#closed || this.#lost) return;
    this.#lost = new Error(
      `${this.#owner}: the run's lock was lost when its PostgreSQL session ended (${error.message}): another process may hold the run now, so this store writes nothing more; open a new store to continue`,
      { cause: error },
    );
  }

  async #lockedError(lock: pg.Client, key: string): Promise<RunLockedError> {
    const holders = await lock.query<{ pid: number; application_name: string; addr: string | null; since: Date }>(
      `SELECT a.pid, a.application_name, a.client_addr::text AS addr, a.backend_start AS since
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended($1, 0)`,
      [key],
    ).catch(() => ({ rows: [] }));
    const where = `run "${this.run}" (schema "${this.schema}", database "${this.#address.database}")`;
    const holder = holders.rows[0];
    if (HELD_HERE.has(key)) {
      return new RunLockedError(`${this.#owner}: ${where} is already open in this process${holder ? ` (PostgreSQL session ${holder.pid})` : ''}: close that store first`);
    }
    const who = holder === undefined ? 'another PostgreSQL session' : `"${holder.application_name}" (PostgreSQL session ${holder.pid}${holder.addr ? ` from ${holder.addr}` : ''}, since ${holder.since.toISOString()})`;
    return new RunLockedError(
      `${this.#owner}: ${where} is in use by ${who}; one process holds a run at a time until multi-process cooperation comes: stop that process or let it finish (a process that died lets go by itself)`,
    );
  }

  async #checkout(pool: pg.Pool): Promise<pg.PoolClient> {
    try {
      return await pool.connect();
    } catch (error) {
      throw connectError(error, this.#address, this.#options.connectTimeoutMs);
    }
  }

  async #query<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    const { pool } = await this.#open();
    const client = await this.#checkout(pool);
    let broken: Error | undefined;
    try {
      return await client.query<R>(text, values);
    } catch (error) {
      if (isConnectionError(error)) broken = error as Error;
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async #transaction<T>(begin: string, body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const { pool } = await this.#open();
    const client = await this.#checkout(pool);
    let broken: Error | undefined;
    try {
      await client.query(begin);
      try {
        const value = await body(client);
        await client.query('COMMIT');
        return value;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollback: unknown) => {
          broken = rollback instanceof Error ? rollback : new Error(String(rollback)); // the connection is unusable: the pool drops it
        });
        throw error;
      }
    } catch (error) {
      broken ??= isConnectionError(error) ? (error as Error) : undefined;
      throw error;
    } finally {
      client.release(broken);
    }
  }

  #checkLock(): void {
    if (this.#lost) throw this.#lost;
  }

  /** Runs `call` after every call before it; checks the store is open when it starts. */
  #serial<T>(what: string, call: () => Promise<T>, closing = false): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.#closed && !closing) throw new Error(`${this.#owner}: ${what} after close`);
      try {
        return await call();
      } catch (error) {
        throw this.#described(what, error);
      }
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** Errors of the driver or the server get the store and the call in front; the store's own errors pass as they are. */
  #described(what: string, error: unknown): unknown {
    if (!(error instanceof pg.DatabaseError) && !isConnectionError(error)) return error; // the store's and the model's own errors
    if (!(error instanceof Error) || error.message.startsWith(this.#owner)) return error;
    const code = (error as { code?: unknown }).code;
    if (code === '22P05') {
      return new Error(`${this.#owner}: ${what} failed: PostgreSQL's jsonb cannot store the character U+0000 (found in a job context, an error or a note): ${error.message}`, { cause: error });
    }
    if (isConnectionError(error)) {
      return new PgStoreError('connection', `${this.#owner}: ${what} failed: the connection to PostgreSQL at ${this.#address.host}:${this.#address.port} broke (${error.message}); nothing of this call was acknowledged`, { cause: error });
    }
    return new Error(`${this.#owner}: ${what} failed: ${error.message || renderValue(error)}${typeof code === 'string' ? ` (SQLSTATE ${code})` : ''}`, { cause: error });
  }
}

/** How the store's sessions are named in `pg_stat_activity`: `jorb-ts pid <pid> <run>`, cut to 63 bytes. */
function applicationName(run: string): string {
  let name = `jorb-ts pid ${process.pid} ${run}`;
  while (Buffer.byteLength(name) > 63) name = [...name].slice(0, -1).join('');
  return name;
}

/** The text whose 64-bit hash is the run's advisory lock key. */
function lockKey(schema: string, run: string): string {
  return `jorb-ts run ${schema}.${run}`;
}

/** Ids of every job the records touch or create: they are read (and locked) before the records are applied. */
function touchedIds(records: readonly StoreRecord<unknown>[]): string[] {
  const ids = new Set<string>();
  for (const record of records) {
    if (record.type === 'add') ids.add(record.job.id);
    else {
      ids.add(record.id);
      if (record.type === 'transition') for (const kick of record.kicks ?? []) ids.add(kick.id);
    }
  }
  return [...ids];
}

/** The record as replay may keep it: an added job is copied, so applying later records never changes the caller's. */
function ownRecord<JC>(record: StoreRecord<JC>): StoreRecord<JC> {
  if (record.type !== 'add') return record;
  const { job } = record;
  const errors: Record<string, string[]> = {};
  for (const [state, list] of Object.entries(job.errors)) Object.defineProperty(errors, state, { value: [...list], enumerable: true, writable: true, configurable: true });
  return { ...record, job: { ...job, errors, history: [...job.history] } };
}

/** Errors after which a connection cannot be used again. */
function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('08') || code.startsWith('57P') || code.startsWith('E'))) return true;
  return /Connection terminated|connection is closed|Client has encountered a connection error/i.test(error.message);
}

async function release(connections: { pool: pg.Pool; lock?: pg.Client | undefined } | undefined): Promise<void> {
  if (connections === undefined) return;
  await connections.lock?.end().catch(() => undefined);
  await connections.pool.end().catch(() => undefined);
}
