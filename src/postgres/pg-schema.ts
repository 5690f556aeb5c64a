import type pg from 'pg';
import { PgStoreError } from './pg-store-error.js';

/**
 * The migrations, in order: migration `n` (1-based) brings a schema from version `n - 1` to `n`.
 * Each runs once per schema, inside the one transaction that records it in `schema_version`.
 * Never edit a released migration: add the next one. `s` is the quoted schema name.
 */
const MIGRATIONS: readonly ((s: string) => string)[] = [
  // 1: runs, jobs one row per job, and what multi-process cooperation will use (leases, processes).
  (s) => `
    CREATE TABLE ${s}.runs (
      name        text PRIMARY KEY,
      run_name    text NOT NULL,
      oc          jsonb NOT NULL,
      next_id     bigint NOT NULL,
      next_ord    bigint NOT NULL,
      created_at  timestamptz NOT NULL DEFAULT now(),
      updated_at  timestamptz NOT NULL DEFAULT now()
    );
    COMMENT ON TABLE ${s}.runs IS 'jorb-ts: one row per run; name is the PgStore run option, run_name the Run''s own name';
    CREATE TABLE ${s}.jobs (
      run          text NOT NULL REFERENCES ${s}.runs (name) ON DELETE CASCADE,
      id           text NOT NULL,
      ord          bigint NOT NULL,
      state        text NOT NULL,
      failed       boolean NOT NULL DEFAULT false,
      parent_id    text,
      key          text,
      priority     double precision,
      jc           jsonb NOT NULL,
      errors       jsonb NOT NULL DEFAULT '{}',
      history      jsonb NOT NULL DEFAULT '[]',
      updated_at   double precision NOT NULL,
      lease_owner  text,
      lease_until  timestamptz,
      PRIMARY KEY (run, id)
    );
    COMMENT ON TABLE ${s}.jobs IS 'jorb-ts: one row per job; ord is the run''s job order, updated_at epoch ms; lease_* are for multi-process cooperation (not used yet)';
    CREATE UNIQUE INDEX jobs_run_key ON ${s}.jobs (run, key) WHERE key IS NOT NULL;
    CREATE INDEX jobs_run_ord ON ${s}.jobs (run, ord);
    CREATE TABLE ${s}.processes (
      id            text PRIMARY KEY,
      run           text NOT NULL REFERENCES ${s}.runs (name) ON DELETE CASCADE,
      host          text NOT NULL,
      pid           integer NOT NULL,
      started_at    timestamptz NOT NULL DEFAULT now(),
      heartbeat_at  timestamptz NOT NULL DEFAULT now()
    );
    COMMENT ON TABLE ${s}.processes IS 'jorb-ts: processes working on a run, with their heartbeats (for multi-process cooperation; not used yet)';
  `,
  // 2: a write counter per run, for fencing: every write of a run (an append, the run written whole)
  // bumps version and names itself in write_id, and is made only at the version its store last saw.
  // A store that reconnects after its connection broke knows from them whether its last write
  // committed, and whether another store wrote the run in between. Runs of version 1 start at 0.
  (s) => `
    ALTER TABLE ${s}.runs ADD COLUMN version bigint NOT NULL DEFAULT 0, ADD COLUMN write_id text;
    COMMENT ON COLUMN ${s}.runs.version IS 'jorb-ts: bumped by every write of the run; a store writes only at the version it last saw (fencing)';
    COMMENT ON COLUMN ${s}.runs.write_id IS 'jorb-ts: the id of the last write of the run (which store, which write)';
  `,
  // 3: processes cooperating on a run (docs/postgres.md, "Many processes"). A process owns the jobs
  // it claimed (jobs.lease_owner) and the slots it holds, for as long as its lease (processes.
  // lease_until, renewed by its heartbeat) lasts; then others take them over and its late writes
  // are refused. settled marks jobs that need no more work (terminal or failed), so what is left to
  // do, and whether anything is, is one index away. A state has one slot row per unit of its
  // concurrency: an attempt runs only while its process holds one, so the cluster never exceeds it.
  (s) => `
    ALTER TABLE ${s}.jobs ADD COLUMN settled boolean NOT NULL DEFAULT false, ADD COLUMN kick_count integer NOT NULL DEFAULT 0, DROP COLUMN lease_until;
    UPDATE ${s}.jobs SET settled = failed;
    COMMENT ON COLUMN ${s}.jobs.settled IS 'jorb-ts: the job needs no more work (a terminal state, or failed)';
    COMMENT ON COLUMN ${s}.jobs.kick_count IS 'jorb-ts: how many children the job has kicked (the next child is <id>-><kick_count>)';
    COMMENT ON COLUMN ${s}.jobs.lease_owner IS 'jorb-ts: the process (processes.id) that claimed the job, while its lease lasts';
    CREATE INDEX jobs_waiting ON ${s}.jobs (run, state, (coalesce(priority, 0)) DESC, ord) WHERE NOT settled;
    CREATE SEQUENCE ${s}.job_ord START WITH 1000000000000;
    ALTER TABLE ${s}.processes ADD COLUMN lease_until timestamptz NOT NULL DEFAULT now(), ADD COLUMN last_write text;
    CREATE INDEX processes_run ON ${s}.processes (run, lease_until);
    COMMENT ON COLUMN ${s}.processes.lease_until IS 'jorb-ts: until when the process owns its jobs and slots; its heartbeat moves it on; -infinity once another process found it ended';
    COMMENT ON COLUMN ${s}.processes.last_write IS 'jorb-ts: the id of the process''s last committed write (how it knows, after a reconnect, whether its write in flight committed)';
    COMMENT ON TABLE ${s}.jobs IS 'jorb-ts: one row per job; ord is the run''s job order, updated_at epoch ms; lease_owner the process that claimed it';
    COMMENT ON TABLE ${s}.processes IS 'jorb-ts: processes working on a shared run, each with its lease';
    CREATE TABLE ${s}.slots (
      run    text NOT NULL REFERENCES ${s}.runs (name) ON DELETE CASCADE,
      state  text NOT NULL,
      n      integer NOT NULL,
      owner  text,
      PRIMARY KEY (run, state, n)
    );
    COMMENT ON TABLE ${s}.slots IS 'jorb-ts: one row per unit of a state''s concurrency; owner is the process holding it (while its lease lasts)';
    CREATE TABLE ${s}.wants (
      run      text NOT NULL REFERENCES ${s}.runs (name) ON DELETE CASCADE,
      state    text NOT NULL,
      process  text NOT NULL,
      n        integer NOT NULL,
      PRIMARY KEY (run, state, process)
    );
    COMMENT ON TABLE ${s}.wants IS 'jorb-ts: how many slots of a state each process could use now (shares are counted among those that want some)';
    CREATE TABLE ${s}.rates (
      run     text NOT NULL REFERENCES ${s}.runs (name) ON DELETE CASCADE,
      state   text NOT NULL,
      tokens  double precision NOT NULL,
      at      timestamptz NOT NULL,
      granted double precision NOT NULL DEFAULT 0,
      PRIMARY KEY (run, state)
    );
    COMMENT ON TABLE ${s}.rates IS 'jorb-ts: one token bucket per rate-limited state, shared by the processes (tokens as of at, by the server''s clock)';
    CREATE FUNCTION ${s}.refuse(reason text) RETURNS integer LANGUAGE plpgsql AS $f$ BEGIN RAISE EXCEPTION USING ERRCODE = 'JB001', MESSAGE = reason; END $f$;
    COMMENT ON FUNCTION ${s}.refuse(text) IS 'jorb-ts: aborts a statement whose process lost its lease or its jobs (SQLSTATE JB001)';
  `,
  // 4: delays, joins and keys held only while their job is unsettled (issue #19).
  // - due_at: a job's exec does not start before it (epoch ms, as updated_at). The waiting index
  //   keeps delayed jobs apart ((due_at IS NULL) before priority), so a claim walks only jobs it may
  //   take; jobs_due finds those that fell due (a claim clears their due_at: they join the others)
  //   and the next one to.
  // - jobs_children: a join state's job may be claimed once none of its children is unsettled (or,
  //   with a failState, one failed); settled and failed are in the key, so each test is one probe.
  // - key_scope 'unsettled': the key is held only while its job is unsettled. The third column of
  //   jobs_run_key is '' while a job holds its key (run-scoped, or unsettled), so at most one job
  //   holds a key; a released key has its job's id there, and never conflicts. In "C" order, for
  //   keyed(prefix) (a schedule's jobs), which reads released keys too.
  (s) => `
    ALTER TABLE ${s}.jobs ADD COLUMN due_at double precision, ADD COLUMN key_scope text CHECK (key_scope = 'unsettled');
    COMMENT ON COLUMN ${s}.jobs.due_at IS 'jorb-ts: the job''s exec does not start before this time (epoch ms); NULL: no delay (a claim clears it once it passed)';
    COMMENT ON COLUMN ${s}.jobs.key_scope IS 'jorb-ts: ''unsettled'' when the key is held only while the job is unsettled; NULL: held for the run''s life';
    DROP INDEX ${s}.jobs_waiting;
    CREATE INDEX jobs_waiting ON ${s}.jobs (run, state, (due_at IS NULL), (coalesce(priority, 0)) DESC, ord) WHERE NOT settled;
    CREATE INDEX jobs_due ON ${s}.jobs (run, state, due_at) WHERE NOT settled AND due_at IS NOT NULL;
    CREATE INDEX jobs_children ON ${s}.jobs (run, parent_id, settled, failed) WHERE parent_id IS NOT NULL;
    DROP INDEX ${s}.jobs_run_key;
    CREATE UNIQUE INDEX jobs_run_key ON ${s}.jobs (run, key COLLATE "C", (CASE WHEN key_scope IS NULL OR NOT settled THEN '' ELSE id END)) WHERE key IS NOT NULL;
  `,
  // 5: states paused by a person (processor.pause, jorb pause, the dashboard; issue #20): every
  //    process of the run reads them each second and starts nothing in a paused state.
  (s) => `
    CREATE TABLE ${s}.paused_states (
      run       text NOT NULL,
      state     text NOT NULL,
      paused_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (run, state)
    );
    COMMENT ON TABLE ${s}.paused_states IS 'jorb-ts: states of a run paused by a person: no attempt starts there until the row is deleted';
  `,
];

/**
 * The schema version this jorb-ts creates and understands. A schema at a higher version was
 * migrated by a newer jorb-ts, and is refused rather than misread.
 *
 * @example
 * ```ts
 * console.log(`jorb-ts PostgreSQL schema version ${PG_SCHEMA_VERSION}`);
 * ```
 * @public
 */
export const PG_SCHEMA_VERSION: number = MIGRATIONS.length;

/** `name` quoted as an SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The version of `schema`: 0 when it has no `schema_version` table (it was never migrated). */
export async function currentVersion(client: pg.ClientBase, schema: string): Promise<number> {
  const table = `${quoteIdent(schema)}.schema_version`;
  const found = await client.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [table]);
  if (found.rows[0]?.exists !== true) return 0;
  const result = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${table}`);
  return result.rows[0]?.version ?? 0;
}

export function tooNew(schema: string, database: string, version: number): PgStoreError {
  return new PgStoreError(
    'schema-too-new',
    `PgStore: the schema "${schema}" in database "${database}" is at version ${version}, newer than this jorb-ts knows (version ${PG_SCHEMA_VERSION}): upgrade jorb-ts, or give another schema`,
  );
}

/**
 * Brings `schema` to {@link PG_SCHEMA_VERSION}: creates it and its tables on first use, applies the
 * migrations it lacks, and refuses a schema newer than this code. The migrations run in one
 * transaction under a transaction-level advisory lock per schema, so processes starting at once
 * migrate one after the other (the later ones find the work done). Returns the version it found.
 * `target` is for tests that need a schema as an older jorb-ts left it.
 */
export async function migrate(client: pg.ClientBase, schema: string, database: string, target: number = PG_SCHEMA_VERSION): Promise<number> {
  const found = await currentVersion(client, schema);
  if (found > PG_SCHEMA_VERSION) throw tooNew(schema, database, found);
  if (found >= target) return found;
  const s = quoteIdent(schema);
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`jorb-ts migrate ${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${s}.schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now(), applied_by text NOT NULL)`,
    );
    const now = await currentVersion(client, schema); // another process may have migrated while we waited
    if (now > PG_SCHEMA_VERSION) throw tooNew(schema, database, now);
    for (let version = now + 1; version <= target; version++) {
      await client.query((MIGRATIONS[version - 1] as (s: string) => string)(s));
      await client.query(`INSERT INTO ${s}.schema_version (version, applied_by) VALUES ($1, $2)`, [version, `jorb-ts pid ${process.pid}`]);
    }
    await client.query('COMMIT');
    return found;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
