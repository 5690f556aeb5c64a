import pg from 'pg';
import type { PausedStates } from '../model/paused-states.js';
import { PgPausedStates } from './pg-paused-states.js';
import type { Job } from '../model/job.js';
import { renderValue } from '../model/render-value.js';
import { replay } from '../model/replay.js';
import { bindRun, flushUnsavedRecords, internalsOf, type Run } from '../model/run.js';
import { RunError } from '../model/run-error.js';
import { fromSnapshot, toSnapshot } from '../model/run-snapshot.js';
import type { Store } from '../model/store.js';
import type { StoreRecord } from '../model/store-record.js';
import type { WorkflowStates } from '../model/workflow-states.js';
import type { WorkSource, WorkState } from '../model/work-source.js';
import { RunLockedError } from '../store/run-locked-error.js';
import { connectError } from './connect-error.js';
import { type ServerAddress, serverAddress } from './connection-string.js';
import { randomUUID } from 'node:crypto';
import { JOB_COLUMNS, JOB_COLUMNS_BEFORE_4, type JobRow, jobOfRow, ROW_INPUT_COLUMNS, rowOfJob } from './pg-job-row.js';
import { jobRowProblem, type RunRow, runRowProblem } from './pg-row-problem.js';
import { currentVersion, migrate, PG_SCHEMA_VERSION, quoteIdent, tooNew } from './pg-schema.js';
import { type CheckedPgStoreOptions, checkPgStoreOptions, type PgStoreOptions } from './pg-store-options.js';
import { PgStoreError } from './pg-store-error.js';
import { applicationName, checkoutClient, isConnectionError, lockKey } from './pg-session.js';
import { ownRecord } from './own-record.js';
import { PgCluster } from './pg-cluster.js';

/** The runs (`schema.run`) that open stores of this process hold: how a refusal knows the holder is here. */
const HELD_HERE = new Map<string, object>();

/** Rows per statement when a run is written whole or read back. */
const PAGE_ROWS = 10_000;

/** The first pause before connecting again after a connection broke, and the longest one. */
const FIRST_PAUSE_MS = 50;
const LONGEST_PAUSE_MS = 1_000;

/**
 * The connections of an open store: one for the run's lock, held while the store is open (none
 * for a read-only store), and one for the data. `broken` is set when either broke: the next call
 * connects again before it does anything.
 */
interface Connections {
  readonly pool: pg.Pool;
  readonly lock: pg.Client | undefined;
  broken: Error | undefined;
}

/** The errors a store gave up with after trying to connect again: never a reason to try once more. */
const GAVE_UP = new WeakSet<object>();

/** What a store that connected again found of the write it had in flight. */
type InFlight = 'committed' | 'not committed';

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
 * A connection that breaks while the store is open (a server restart) is made again, for at most
 * `reconnectTimeoutMs`; the store then goes on only if no other store wrote the run meanwhile:
 * every write bumps the run's write counter, and is made only at the version its store last saw,
 * so a write in flight when the connection broke is found committed or made again, never twice,
 * and a store that another one overtook is refused (`'fenced'`). A `readOnly` store reads without
 * the lock, for reports. A row that cannot be a job or a run is refused on load (`'bad-data'`).
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
  /** Set when the store may write nothing more (another store wrote the run, or connecting again failed). */
  #lost: Error | undefined;
  /**
   * The run's write counter (`runs.version`) as this store last read or wrote it; undefined while
   * the database held no run when the store looked. Every write is made only at this version.
   */
  #version: number | undefined;
  /** Names this store's writes in `runs.write_id`: `<uuid>:<n>`. */
  readonly #writer = randomUUID();
  #writes = 0;
  /** A load of this place succeeded (so the store may replace what it found). */
  #loaded = false;
  /** The database holds a run under this name (so records can be appended to it). */
  #stored = false;
  /** The run this store holds: the one it last loaded or wrote whole. */
  #run: Run<OC, JC> | undefined;
  #closed = false;
  /** Calls run one at a time, in order. */
  #queue: Promise<unknown> = Promise.resolve();
  /** A shared run (the default): every call goes to it. */
  readonly #cluster: PgCluster<OC, JC> | undefined;
  /**
   * The workflow's terminal states, once the store learnt them (from the workflow a run is loaded
   * for or bound to, or the states a processor names): a job in one is written settled. Unknown,
   * only failed jobs are (a shared process marks the others when it starts).
   */
  #terminal: ReadonlySet<string> | undefined;
  /** Rows written before the terminal states were known may be in one unmarked: the next append marks them. */
  #unmarked = false;
  /** The run's paused states, on their own connection (made on first use). */
  #paused: PgPausedStates | undefined;

  constructor(options: PgStoreOptions) {
    this.#options = checkPgStoreOptions(options);
    this.run = this.#options.run;
    this.schema = this.#options.schema;
    this.#address = serverAddress(this.#options.connectionString);
    this.#s = quoteIdent(this.schema);
    this.#owner = `PgStore(run ${JSON.stringify(this.run)})`;
    const shared = !this.#options.readOnly && !this.#options.exclusive;
    this.#cluster = shared ? new PgCluster<OC, JC>(this.#options, this.#address, this.#owner) : undefined;
  }

  /**
   * The run's paused states, in the table `paused_states` (see `PausedStates` in jorb-ts): every process
   * of the run reads them each second. Pausing works on a read-only store too (it writes no part of the run).
   * @example
   * ```ts
   * await new PgStore({ connectionString, run: 'crawl', readOnly: true }).pausedStates().set('fetch', true);
   * ```
   */
  pausedStates(): PausedStates {
    this.#paused ??= new PgPausedStates(
      { connectionString: this.#options.connectionString, connectionTimeoutMillis: this.#options.connectTimeoutMs, application_name: applicationName(this.run), keepAlive: true },
      this.#s,
      this.run,
      this.#owner,
    );
    return this.#paused;
  }

  /**
   * A shared run's work source: the processor claims jobs from it and commits through it (see
   * `WorkSource` in jorb-ts); `undefined` for an exclusive or read-only store, whose run is in memory.
   */
  workSource(states: readonly WorkState[]): WorkSource<JC> | undefined {
    if (this.#cluster) return this.#cluster.workSource(states);
    this.#learnTerminal(states.filter((s) => s.terminal).map((s) => s.name));
    return undefined;
  }

  /** The terminal states of the workflow this store's run belongs to, from its compiled graph (when it has one). */
  #learnTerminalOf(workflow: WorkflowStates<string> | undefined): void {
    const states: unknown = (workflow as { graph?: { states?: unknown } } | undefined)?.graph?.states;
    if (Array.isArray(states)) this.#learnTerminal((states as readonly { name: string; terminal: boolean }[]).filter((s) => s.terminal).map((s) => s.name));
  }

  #learnTerminal(terminal: readonly string[]): void {
    if (this.#terminal !== undefined && terminal.length === this.#terminal.size && terminal.every((s) => this.#terminal?.has(s))) return;
    this.#terminal = new Set(terminal);
    this.#unmarked = terminal.length > 0;
  }

  /** Whether a job needs no more work: failed, or in a terminal state (as far as this store knows them). */
  #settled(job: Job<JC>): boolean {
    return job.failed === true || this.#terminal?.has(job.state) === true;
  }

  /**
   * The stored run, or `undefined` when the database holds no run of this name; bound to
   * `workflow` when given. Connects, migrates the schema if needed and takes the run's lock first.
   */
  async load<S extends string = string>(workflow?: WorkflowStates<S>): Promise<Run<OC, JC, S> | undefined> {
    return this.#serial('load', async () => {
      if (this.#cluster) {
        const run = await this.#cluster.load(workflow);
        return run === undefined || workflow === undefined ? (run as Run<OC, JC, S> | undefined) : bindRun(run, workflow);
      }
      const read = await this.#reading(() => this.#read());
      if (read === undefined) {
        this.#loaded = true;
        this.#stored = false;
        this.#version = undefined;
        return undefined;
      }
      const run = fromSnapshot<OC, JC>({ format: 'jorb-run', version: 1, name: read.name, oc: read.oc, nextId: read.nextId, jobs: read.jobs }, this.#owner);
      const bound = workflow ? bindRun(run, workflow) : (run as Run<OC, JC, S>);
      if (!this.#options.readOnly) this.#learnTerminalOf(workflow);
      this.#loaded = true;
      this.#stored = true;
      this.#version = read.version;
      this.#run = run;
      return bound;
    });
  }

  /** The run's row and its jobs in `ord` order, each row checked, in one repeatable-read snapshot. */
  async #read(): Promise<{ name: string; oc: OC; nextId: number; version: number | undefined; jobs: Job<JC>[] } | undefined> {
    const connections = await this.#ready();
    let jobColumns = JOB_COLUMNS;
    if (this.#options.readOnly) {
      // A read-only store migrates nothing: a schema never created holds no run, one too new is refused.
      const version = await this.#withClient(connections, (client) => currentVersion(client, this.schema));
      if (version === 0) return undefined;
      if (version > PG_SCHEMA_VERSION) throw tooNew(this.schema, this.#address.database, version);
      // An older schema is read as it is: before version 4 there are no delays and no scoped keys.
      if (version < 4) jobColumns = JOB_COLUMNS_BEFORE_4;
    }
    const versionColumn = this.#options.readOnly ? 'NULL::bigint AS version' : 'version';
    return this.#transaction(connections, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', async (client) => {
      const head = await client.query<RunRow & { version: string | null }>(`SELECT run_name, oc, next_id, ${versionColumn} FROM ${this.#s}.runs WHERE name = $1`, [this.run]);
      const found = head.rows[0];
      if (found === undefined) return undefined;
      const runProblem = runRowProblem(found);
      if (runProblem !== undefined) throw this.#badData(`its row in ${this.#s}.runs cannot be read: ${runProblem}`);
      const jobs: Job<JC>[] = [];
      for (let after = '-1'; ; ) {
        const page = await client.query<JobRow>(`SELECT ${jobColumns} FROM ${this.#s}.jobs WHERE run = $1 AND ord > $2 ORDER BY ord LIMIT ${PAGE_ROWS}`, [this.run, after]);
        for (const row of page.rows) {
          const problem = jobRowProblem(row);
          if (problem !== undefined) throw this.#badData(`job ${JSON.stringify(row.id)} (its row in ${this.#s}.jobs) cannot be read: ${problem}`);
          jobs.push(jobOfRow<JC>(row));
        }
        if (page.rows.length < PAGE_ROWS) break;
        after = (page.rows.at(-1) as JobRow).ord;
      }
      return { name: found.run_name as string, oc: found.oc as OC, nextId: Number(found.next_id), version: found.version === null ? undefined : Number(found.version), jobs };
    });
  }

  #badData(problem: string): PgStoreError {
    return new PgStoreError(
      'bad-data',
      `${this.#owner}: run "${this.run}" (schema "${this.schema}", database "${this.#address.database}"): ${problem}; nothing was read or changed: fix the row (or delete the run) and load again`,
    );
  }

  /**
   * Applies the records to the rows of the jobs they touch and writes those rows back, all in one
   * transaction and one write statement: durable when it resolves, nothing of it if it rejects.
   */
  async append(records: readonly StoreRecord<JC>[]): Promise<void> {
    return this.#serial('append', () => (this.#cluster ? this.#cluster.append(records) : this.#append(records)));
  }

  /**
   * For the run this store holds, appends the run's unsaved changes (a `run.add`, a redrive); for
   * another run, writes it whole in one transaction, refusing to replace a stored run unless a
   * `load()` of it succeeded. `when` changes nothing here: every change is in the rows once appended
   * (there is no log to compact).
   */
  async checkpoint(run: Run<OC, JC>, when: 'start' | 'stop' = 'start'): Promise<void> {
    void when;
    if (this.#cluster) {
      const cluster = this.#cluster;
      return this.#serial('checkpoint', () => cluster.checkpoint(run, when));
    }
    return this.#serial('checkpoint', async () => {
      this.#checkWritable('checkpoint');
      this.#learnTerminalOf(internalsOf(run).workflow);
      if (run === this.#run) {
        await flushUnsavedRecords(run, (records) => this.#append(records));
        return;
      }
      if (!this.#loaded) {
        const held = await this.#reading(async () => this.#withClient(await this.#ready(), (client) => client.query<{ version: string }>(`SELECT version FROM ${this.#s}.runs WHERE name = $1`, [this.run])));
        if (held.rows.length > 0) {
          throw new RunError(`${this.#owner}: the database already holds this run (schema "${this.schema}"): load it with store.load() to continue it, or delete it to start over`);
        }
        this.#version = undefined;
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
    await this.#paused?.close();
    return this.#serial('close', async () => {
      if (this.#closed) return;
      if (this.#cluster) {
        this.#closed = true;
        return this.#cluster.close();
      }
      let failure: { error: unknown } | undefined;
      try {
        if (this.#run && this.#stored && this.#lost === undefined && !this.#options.readOnly) await flushUnsavedRecords(this.#run, (records) => this.#append(records));
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
    this.#checkWritable('append');
    if (records.length === 0) return;
    if (!this.#stored) throw new Error(`${this.#owner}: append before the first checkpoint: there is no run to append to`);
    const ids = touchedIds(records);
    const terminal = this.#unmarked ? this.#terminal : undefined;
    await this.#writing(async (client, expected, writeId) => {
      if (terminal !== undefined) {
        // Rows written before the workflow's terminal states were known: marked once, so that a key held only while its job is unsettled is free again.
        await client.query(`UPDATE ${this.#s}.jobs SET settled = true WHERE run = $1 AND NOT settled AND state = ANY($2::text[])`, [this.run, [...terminal]]);
      }
      const found = await client.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM ${this.#s}.jobs WHERE run = $1 AND id = ANY($2::text[]) ORDER BY ord FOR UPDATE`, [this.run, ids]);
      // The touched jobs as stored, the records applied to them by the model's own code.
      const touched = fromSnapshot<null, JC>({ format: 'jorb-run', version: 1, name: this.run, oc: null, nextId: 0, jobs: found.rows.map((row) => jobOfRow<JC>(row)) }, this.#owner);
      replay(touched, records.map(ownRecord));
      const { jobs, nextId } = toSnapshot(touched);
      const kicked = kickCounts(records);
      const rows = JSON.stringify(jobs.map((job, n) => rowOfJob(job, n, this.#owner, kicked.get(job.id) ?? 0, this.#settled(job))));
      // The run's row is advanced only at the version this store last saw (the fence): when another
      // store wrote the run since, no row comes back and nothing is written.
      const written = await client.query(
        `WITH r AS (
           UPDATE ${this.#s}.runs SET next_ord = next_ord + $3, next_id = greatest(next_id, $4), version = version + 1, write_id = $6, updated_at = now()
           WHERE name = $1 AND version = $5 RETURNING next_ord - $3 AS base
         )
         INSERT INTO ${this.#s}.jobs AS j (run, id, ord, state, failed, settled, parent_id, key, priority, jc, errors, history, updated_at, kick_count, due_at, key_scope)
         SELECT $1, x.id, r.base + x.n, x.state, x.failed, x.settled, x.parent_id, x.key, x.priority, coalesce(x.jc, 'null'), x.errors, x.history, x.updated_at, x.kick_count, x.due_at, x.key_scope
         FROM r, json_to_recordset($2::json) AS x(${ROW_INPUT_COLUMNS})
         ON CONFLICT (run, id) DO UPDATE SET state = excluded.state, failed = excluded.failed, settled = excluded.settled, jc = excluded.jc, errors = excluded.errors,
           history = excluded.history, updated_at = excluded.updated_at, kick_count = greatest(j.kick_count, excluded.kick_count), due_at = excluded.due_at`,
        [this.run, rows, jobs.length, nextId, expected ?? -1, writeId],
      );
      if (written.rowCount !== jobs.length) await this.#refuseStale(client, expected);
    });
    if (terminal !== undefined && terminal === this.#terminal) this.#unmarked = false;
  }

  async #writeWhole(run: Run<OC, JC>): Promise<void> {
    const snapshot = toSnapshot(run);
    const counts = internalsOf(run).kickCounts;
    const terminal = this.#terminal;
    await this.#writing(async (client, expected, writeId) => {
      const values = [this.run, snapshot.name, JSON.stringify(snapshot.oc ?? null), snapshot.nextId, snapshot.jobs.length, writeId];
      // A new run's row is created only when there is none; a run this store loaded is replaced only at the version it saw.
      const head =
        expected === undefined
          ? await client.query(`INSERT INTO ${this.#s}.runs (name, run_name, oc, next_id, next_ord, version, write_id) VALUES ($1, $2, $3::jsonb, $4, $5, 1, $6) ON CONFLICT (name) DO NOTHING`, values)
          : await client.query(
              `UPDATE ${this.#s}.runs SET run_name = $2, oc = $3::jsonb, next_id = $4, next_ord = $5, version = version + 1, write_id = $6, updated_at = now() WHERE name = $1 AND version = $7`,
              [...values, expected],
            );
      if (head.rowCount !== 1) await this.#refuseStale(client, expected);
      await client.query(`DELETE FROM ${this.#s}.jobs WHERE run = $1`, [this.run]);
      for (let start = 0; start < snapshot.jobs.length; start += PAGE_ROWS) {
        const rows = JSON.stringify(snapshot.jobs.slice(start, start + PAGE_ROWS).map((job, i) => rowOfJob(job, start + i, this.#owner, counts.get(job.id) ?? 0, this.#settled(job))));
        await client.query(
          `INSERT INTO ${this.#s}.jobs (run, id, ord, state, failed, settled, parent_id, key, priority, jc, errors, history, updated_at, kick_count, due_at, key_scope)
           SELECT $1, x.id, x.n, x.state, x.failed, x.settled, x.parent_id, x.key, x.priority, coalesce(x.jc, 'null'), x.errors, x.history, x.updated_at, x.kick_count, x.due_at, x.key_scope
           FROM json_to_recordset($2::json) AS x(${ROW_INPUT_COLUMNS})`,
          [this.run, rows],
        );
      }
    });
    if (terminal === this.#terminal) this.#unmarked = false; // every row was written knowing them
  }

  /** A write found the run's row at another version than `expected` (or gone): says which, and writes nothing more. */
  async #refuseStale(client: pg.PoolClient, expected: number | undefined): Promise<never> {
    const now = await client.query<{ version: string }>(`SELECT version FROM ${this.#s}.runs WHERE name = $1`, [this.run]);
    const version = now.rows[0] === undefined ? undefined : Number(now.rows[0].version);
    if (version === undefined && expected !== undefined) {
      throw new Error(`${this.#owner}: the run's row is gone from the database (deleted while the store held it?): nothing was appended`);
    }
    throw this.#fence(version, expected);
  }

  /** Another store wrote the run since this one last read or wrote it: this one writes nothing more. */
  #fence(found: number | undefined, expected: number | undefined): PgStoreError {
    const what = (v: number | undefined) => (v === undefined ? 'no run' : `version ${v}`);
    const fenced = new PgStoreError(
      'fenced',
      `${this.#owner}: another store wrote run "${this.run}" (schema "${this.schema}", database "${this.#address.database}") since this one last did: the database holds ${what(found)}, this store had ${what(expected)}. This store writes nothing more, so nothing is applied twice and nothing of the other's is overwritten: open a new store and load the run to continue`,
    );
    this.#lost = fenced;
    return fenced;
  }

  /**
   * Runs a write in one transaction, at the version this store last saw, and counts it when it
   * commits. When the connection breaks, connects again and finds out from the run's row whether
   * the write committed (then it is not made again) or not (then it is made again).
   */
  async #writing(body: (client: pg.PoolClient, expected: number | undefined, writeId: string) => Promise<void>): Promise<void> {
    for (;;) {
      const connections = await this.#ready();
      const expected = this.#version;
      const writeId = `${this.#writer}:${++this.#writes}`;
      try {
        await this.#transaction(connections, 'BEGIN', (client) => body(client, expected, writeId));
      } catch (error) {
        if (!isBreak(error)) throw error;
        connections.broken ??= error as Error;
        if ((await this.#reconnect(connections, error as Error, writeId)) === 'not committed') continue;
      }
      this.#version = (expected ?? 0) + 1;
      return;
    }
  }

  /** Runs a read; when the connection breaks, connects again and reads again. */
  async #reading<T>(read: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await read();
      } catch (error) {
        const connections = this.#connections === undefined ? undefined : await this.#connections.catch(() => undefined);
        if (!isBreak(error) || connections === undefined) throw error;
        connections.broken ??= error as Error;
        await this.#reconnect(connections, error as Error, undefined);
      }
    }
  }

  /**
   * The store's connections, connected on first use (the schema migrated, then the run's lock
   * taken on a connection of its own; neither for a read-only store). When they broke since, it
   * connects again first (see {@link PgStore.#reconnect}).
   */
  async #ready(): Promise<Connections> {
    if (this.#lost) throw this.#lost;
    if (this.#connections === undefined) {
      this.#connections = this.#connect();
      this.#connections.catch(() => (this.#connections = undefined)); // a first connect that failed is tried again by the next call
    }
    const connections = await this.#connections;
    if (connections.broken === undefined) return connections;
    await this.#reconnect(connections, connections.broken, undefined);
    return this.#ready();
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
        if (!this.#options.readOnly) await migrate(client, this.schema, this.#address.database);
      } finally {
        client.release();
      }
      if (this.#options.readOnly) return { pool, lock: undefined, broken: undefined };
      lock = new pg.Client(config);
      lock.on('error', () => undefined); // until the lock is taken, a failure is the connect's or the query's
      await lock.connect().catch((error: unknown) => {
        throw connectError(error, this.#address, this.#options.connectTimeoutMs);
      });
      const key = lockKey(this.schema, this.run);
      // Exclusive: neither another exclusive store nor any process sharing the run (they hold it shared).
      const taken = await lock.query<{ taken: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS taken', [key]);
      if (taken.rows[0]?.taken !== true) throw await this.#lockedError(lock, key);
      HELD_HERE.set(key, this);
      const connections: Connections = { pool, lock, broken: undefined };
      const lost = (error: Error) => {
        if (HELD_HERE.get(key) === this && connections.broken === undefined) HELD_HERE.delete(key);
        connections.broken ??= new Error(`the run's lock was lost when its PostgreSQL session ended (${error.message})`, { cause: error });
      };
      lock.on('error', lost);
      lock.on('end', () => lost(new Error('the connection ended')));
      return connections;
    } catch (error) {
      await release({ pool, lock });
      throw error;
    }
  }

  /**
   * Connects again after `broken`'s connection broke: drops them, then connects (migrating and
   * taking the run's lock again) with a growing pause, for at most `reconnectTimeoutMs`. Then reads
   * the run's write counter: at the version this store last saw, nothing was written meanwhile
   * (and `writeId`, the write in flight when the connection broke, did not commit); one further
   * with `writeId` as the last write, that write committed; anything else is another store's
   * write, and this store is fenced. Gives up, writing nothing more, when it cannot connect in time.
   */
  async #reconnect(broken: Connections, cause: Error, writeId: string | undefined): Promise<InFlight> {
    if (this.#connections !== undefined && (await this.#connections.catch(() => undefined)) === broken) this.#connections = undefined;
    await release(broken);
    this.#letGo();
    const started = Date.now();
    const deadline = started + this.#options.reconnectTimeoutMs;
    for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(2 * pause, LONGEST_PAUSE_MS)) {
      let connections: Connections | undefined;
      try {
        connections = await this.#connect();
        const outcome = this.#options.readOnly || !this.#loaded ? 'not committed' : await this.#inFlight(connections, writeId);
        this.#connections = Promise.resolve(connections);
        return outcome;
      } catch (error) {
        if (connections !== undefined) await release(connections);
        if (this.#lost) throw this.#lost; // fenced
        const retry = (error instanceof PgStoreError && (error.reason === 'unreachable' || error.reason === 'connection')) || error instanceof RunLockedError || isConnectionError(error);
        if (!retry || Date.now() + pause > deadline) {
          const why = error instanceof Error ? error.message : renderValue(error);
          const gaveUp = new PgStoreError(
            'connection',
            `${this.#owner}: the connection to PostgreSQL at ${this.#address.host}:${this.#address.port} broke (${cause.message}) and could not be made again within ${Date.now() - started} ms${retry ? ' (reconnectTimeoutMs)' : ''}: ${why}; this store writes nothing more (whether its last write was made is for the next store to load): open a new store to continue`,
            { cause: error },
          );
          GAVE_UP.add(gaveUp);
          if (!this.#options.readOnly) this.#lost = gaveUp;
          throw gaveUp;
        }
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }

  /** What the run's row says of the write in flight, once connected again; fences the store when another wrote. */
  async #inFlight(connections: Connections, writeId: string | undefined): Promise<InFlight> {
    const head = await this.#withClient(connections, (client) =>
      client.query<{ version: string; write_id: string | null }>(`SELECT version, write_id FROM ${this.#s}.runs WHERE name = $1`, [this.run]),
    );
    const row = head.rows[0];
    const version = row === undefined ? undefined : Number(row.version);
    const expected = this.#version;
    if (version === expected) return 'not committed';
    if (writeId !== undefined && row?.write_id === writeId && version === (expected ?? 0) + 1) return 'committed';
    throw this.#fence(version, expected);
  }

  /** This process no longer holds the run through this store. */
  #letGo(): void {
    const key = lockKey(this.schema, this.run);
    if (HELD_HERE.get(key) === this) HELD_HERE.delete(key);
  }

  async #lockedError(lock: pg.Client, key: string): Promise<RunLockedError> {
    const holders = await lock.query<{ pid: number; application_name: string; addr: string | null; since: Date }>(
      `SELECT a.pid, a.application_name, host(a.client_addr) AS addr, a.backend_start AS since
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
      `${this.#owner}: ${where} is in use by ${who}; an exclusive store holds the run alone: stop that process or let it finish (a process that died lets go by itself)`,
    );
  }

  #checkout(pool: pg.Pool): Promise<pg.PoolClient> {
    return checkoutClient(pool, this.#address, this.#options.connectTimeoutMs);
  }

  /** Runs `body` on a connection of the pool; a connection that broke is dropped by the pool. */
  async #withClient<T>(connections: Connections, body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#checkout(connections.pool);
    let broken: Error | undefined;
    try {
      return await body(client);
    } catch (error) {
      if (isConnectionError(error)) broken = error as Error;
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async #transaction<T>(connections: Connections, begin: string, body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#checkout(connections.pool);
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

  #checkWritable(what: string): void {
    if (this.#options.readOnly) throw new Error(`${this.#owner}: ${what} on a read-only store (readOnly: true): it reads the run and writes nothing`);
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



/**
 * How many children each parent in the records has kicked, at least (from its kicks' ids
 * `<parent>-><n>`); a row keeps the greater of this and what it had.
 */
function kickCounts(records: readonly StoreRecord<unknown>[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const record of records) {
    if (record.type !== 'transition') continue;
    for (const kick of record.kicks ?? []) {
      const n = Number(kick.id.slice(kick.id.lastIndexOf('->') + 2));
      if (Number.isSafeInteger(n)) counts.set(record.id, Math.max(counts.get(record.id) ?? 0, n + 1));
    }
  }
  return counts;
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

/**
 * Errors that mean the store's connections broke (rather than a statement failing): the driver's,
 * or a store's failure to get a connection of its pool once open, unless the store gave up already.
 */
function isBreak(error: unknown): boolean {
  if (GAVE_UP.has(error as object)) return false;
  return isConnectionError(error) || (error instanceof PgStoreError && (error.reason === 'unreachable' || error.reason === 'connection'));
}


async function release(connections: { pool: pg.Pool; lock?: pg.Client | undefined } | undefined): Promise<void> {
  if (connections === undefined) return;
  await connections.lock?.end().catch(() => undefined);
  await connections.pool.end().catch(() => undefined);
}
