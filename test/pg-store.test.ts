// PgStore on a real PostgreSQL: its options, the faults it reports (a malformed URL, nothing
// listening, bad credentials, a missing database, a schema from a newer version), the migration,
// group commit (one append is one transaction whatever its size) and the run's lock.
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { Run, RunError, RunLockedError, type StoreRecord, workflow } from '../src/index.js';
import { PG_SCHEMA_VERSION, PgStore, PgStoreError } from '../src/postgres/index.js';
import { migrate } from '../src/postgres/pg-schema.js';
import { killSessions } from './support/pg-harness.js';
import { freePort, PASSWORD_USER, usePostgresServer } from './support/postgres-server.js';
import { failure } from './support/failure.js';

const server = usePostgresServer();

const wf = workflow<object, { label: string }, { n: number }>('pg')
  .state('a')
  .to('b')
  .spawns('a')
  .exec(({ jc }) => ({ state: 'b', jc }))
  .terminal('b')
  .build();

describe('PgStore options', () => {
  it('unknown options, a missing run and a bad schema or timeout are TypeErrors naming the option and the value', () => {
    const url = 'postgres://localhost/db';
    expect(() => new PgStore({ connectionString: url, run: 'r', shema: 'x' } as never)).toThrow('PgStore: unknown option "shema" (did you mean "schema"?)');
    expect(() => new PgStore({ connectionString: url } as never)).toThrow('PgStore: run must be a non-empty string, got undefined');
    expect(() => new PgStore({ connectionString: url, run: '' })).toThrow('PgStore: run must be a non-empty string, got ""');
    expect(() => new PgStore({ connectionString: url, run: 'r', schema: 'drop table' })).toThrow(/^PgStore: schema must be a name of letters, digits and underscores.*, got "drop table"$/);
    expect(() => new PgStore({ connectionString: url, run: 'r', connectTimeoutMs: 0 })).toThrow('PgStore: connectTimeoutMs must be a positive number of milliseconds, got 0');
    expect(() => new PgStore(null as never)).toThrow(/^PgStore: options must be an object such as/);
  });

  it('a malformed URL is a TypeError that says what is wrong and never shows the password', () => {
    const cases: [string, RegExp][] = [
      ['not a url', /got "not a url", which is not a URL$/],
      ['http://localhost/db', /got "http:\/\/localhost\/db", which has the scheme "http:", not postgres: or postgresql:$/],
      ['postgres://jorb:s3cret@local host/db', /got "postgres:\/\/jorb:\*\*\*@local host\/db", which is not a URL$/],
      ['postgres://jorb:s3cret@localhost:99999/db', /which is not a URL$|which has the port 99999$/],
    ];
    for (const [url, message] of cases) {
      const error = (() => {
        try {
          new PgStore({ connectionString: url, run: 'r' });
        } catch (e) {
          return e as Error;
        }
        throw new Error(`${url} was accepted`);
      })();
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toMatch(/^PgStore: connectionString must be a PostgreSQL URL such as postgres:\/\/user:password@localhost:5432\/db, got /);
      expect(error.message, url).toMatch(message);
      expect(error.message).not.toContain('s3cret');
    }
    expect(() => new PgStore({ connectionString: 42 as never, run: 'r' })).toThrow(/got 42$/);
  });
});

describe('PgStore faults, each one clear error', () => {
  it('nothing listening at the port: unreachable, naming host and port', async () => {
    const port = await freePort();
    const store = new PgStore({ exclusive: true, connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`, run: 'r', connectTimeoutMs: 5_000 });
    const error = await failure(() => store.load());
    expect(error).toBeInstanceOf(PgStoreError);
    expect((error as PgStoreError).reason).toBe('unreachable');
    expect(error.message).toBe(`PgStore: cannot connect to PostgreSQL at 127.0.0.1:${port}: connection refused (is the server running, and listening on that address and port?)`);
    await store.close();
  });

  it('a wrong password: authentication, naming the user and not the password; the right one works', async () => {
    const store = new PgStore({ exclusive: true, connectionString: server().userUrl('wrong horse'), run: 'r', schema: 'as_user' });
    const error = await failure(() => store.load());
    expect(error).toBeInstanceOf(PgStoreError);
    expect((error as PgStoreError).reason).toBe('authentication');
    expect(error.message).toMatch(new RegExp(`^PgStore: PostgreSQL at 127\\.0\\.0\\.1:${server().port} refused the user "${PASSWORD_USER.name}": password authentication failed`));
    expect(error.message).not.toContain('wrong horse');
    await store.close();
    const right = new PgStore({ exclusive: true, connectionString: server().userUrl(PASSWORD_USER.password), run: 'r', schema: 'as_user' });
    expect(await right.load()).toBeUndefined();
    await right.close();
  });

  it('a database the server does not have: no-database, naming it', async () => {
    const store = new PgStore({ exclusive: true, connectionString: server().url('no_such_db'), run: 'r' });
    const error = await failure(() => store.load());
    expect(error).toBeInstanceOf(PgStoreError);
    expect((error as PgStoreError).reason).toBe('no-database');
    expect(error.message).toBe(`PgStore: PostgreSQL at 127.0.0.1:${server().port} has no database "no_such_db": create it (createdb no_such_db) or fix the connection string`);
  });

  it('a schema migrated by a newer jorb-ts: schema-too-new, naming both versions, and nothing is touched', async () => {
    const first = new PgStore<{ label: string }, { n: number }>({ exclusive: true, connectionString: server().url(), run: 'r', schema: 'future' });
    expect(await first.load()).toBeUndefined();
    await first.checkpoint(wf.newRun('r', { label: 'x' }).add({ n: 1 }, 'a'));
    await first.close();
    await server().sql("INSERT INTO future.schema_version (version, applied_by) VALUES (99, 'jorb-ts from the future')");
    const before = await server().sql('SELECT * FROM future.jobs');
    const store = new PgStore({ exclusive: true, connectionString: server().url(), run: 'r', schema: 'future' });
    for (const call of [() => store.load(), () => store.checkpoint(new Run('other', {}))]) {
      const error = await failure(call);
      expect(error).toBeInstanceOf(PgStoreError);
      expect((error as PgStoreError).reason).toBe('schema-too-new');
      expect(error.message).toBe(`PgStore: the schema "future" in database "postgres" is at version 99, newer than this jorb-ts knows (version ${PG_SCHEMA_VERSION}): upgrade jorb-ts, or give another schema`);
    }
    expect(await server().sql('SELECT * FROM future.jobs')).toEqual(before);
    await store.close();
  });
});

describe('PgStore migration', () => {
  it('creates the schema on first use, at the current version, once, even when many stores start at the same moment', async () => {
    for (let round = 0; round < 3; round++) {
      const schema = `fresh_${round}`;
      const stores = Array.from({ length: 6 }, (_, i) => new PgStore({ exclusive: true, connectionString: server().url(), run: `run-${i}`, schema }));
      expect(await Promise.all(stores.map((s) => s.load()))).toEqual(stores.map(() => undefined));
      await Promise.all(stores.map((s) => s.close()));
      const versions = await server().sql<{ version: number }>(`SELECT version FROM ${schema}.schema_version ORDER BY version`);
      expect(versions.map((v) => v.version)).toEqual(Array.from({ length: PG_SCHEMA_VERSION }, (_, i) => i + 1));
      const tables = await server().sql<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name', [schema]);
      expect(tables.map((t) => t.table_name)).toEqual(['jobs', 'paused_states', 'processes', 'rates', 'runs', 'schema_version', 'slots', 'wants']);
    }
  });

  it('the jobs table has one row per job, with a unique key per run', async () => {
    const store = new PgStore<{ label: string }, { n: number }>({ exclusive: true, connectionString: server().url(), run: 'rows' });
    await store.load();
    await store.checkpoint(wf.newRun('rows', { label: 'l' }).add({ n: 1 }, 'a', { key: 'k1', priority: 2 }).add({ n: 2 }, 'b'));
    await store.close();
    const rows = await server().sql('SELECT run, id, state, failed, parent_id, key, priority, jc FROM jorb.jobs WHERE run = $1 ORDER BY ord', ['rows']);
    expect(rows).toEqual([
      { run: 'rows', id: '0', state: 'a', failed: false, parent_id: null, key: 'k1', priority: 2, jc: { n: 1 } },
      { run: 'rows', id: '1', state: 'b', failed: false, parent_id: null, key: null, priority: null, jc: { n: 2 } },
    ]);
    const duplicate = await failure(() => server().sql("INSERT INTO jorb.jobs (run, id, ord, state, jc, updated_at) VALUES ('rows', 'x', 9, 'a', '{}', 0), ('rows', 'y', 10, 'a', '{}', 0)").then(() =>
      server().sql("UPDATE jorb.jobs SET key = 'k1' WHERE run = 'rows' AND id = 'x'"),
    ));
    expect(duplicate.message).toMatch(/duplicate key value violates unique constraint "jobs_run_key"/);
  });
});

describe('PgStore group commit', () => {
  it('one append of 10,000 records (each with a kick) is one transaction: every row it wrote has the same xmin, and one transaction id was used', async () => {
    const size = 10_000;
    const store = new PgStore<{ label: string }, { n: number }>({ exclusive: true, connectionString: server().url(), run: 'group' });
    await store.load();
    const run = wf.newRun('group', { label: 'big' });
    for (let n = 0; n < size; n++) run.add({ n }, 'a');
    await store.checkpoint(run);
    const at = Date.now();
    const records: StoreRecord<{ n: number }>[] = [...run.jobs.values()].map((job) => ({
      type: 'transition',
      id: job.id,
      from: 'a',
      to: 'b',
      jc: { n: job.jc.n + 1 },
      at,
      kicks: [{ id: `${job.id}->0`, state: 'a', jc: { n: -job.jc.n }, key: `k${job.id}` }],
    }));
    const [{ x: before }] = (await server().sql<{ x: string }>('SELECT txid_current() AS x')) as [{ x: string }];
    const started = performance.now();
    await store.append(records);
    const ms = performance.now() - started;
    const [{ x: after }] = (await server().sql<{ x: string }>('SELECT txid_current() AS x')) as [{ x: string }];
    // Between the two txid_current() calls (each uses one id) the append used exactly one.
    expect(Number(after) - Number(before) - 1).toBe(1);
    const xmins = await server().sql<{ xmin: string; n: string }>('SELECT xmin::text AS xmin, count(*) AS n FROM jorb.jobs WHERE run = $1 GROUP BY 1', ['group']);
    expect(xmins).toEqual([{ xmin: String(Number(before) + 1), n: String(2 * size) }]);
    await killSessions(server(), 'group');
    const reader = new PgStore<{ label: string }, { n: number }>({ exclusive: true, connectionString: server().url(), run: 'group' });
    const loaded = await reader.load(wf);
    expect(loaded?.jobs.size).toBe(2 * size);
    expect(loaded?.jobs.get('9999')).toMatchObject({ state: 'b', jc: { n: 10_000 } });
    expect(loaded?.jobs.get('9999->0')).toMatchObject({ state: 'a', parentId: '9999', key: 'k9999' });
    expect([...(loaded?.jobs.keys() ?? [])].slice(size - 1, size + 2)).toEqual(['9999', '0->0', '1->0']);
    await reader.close();
    expect(ms).toBeLessThan(30_000);
  });

  it('an append that fails part-way writes nothing of it', async () => {
    const store = new PgStore<{ label: string }, { n: number }>({ exclusive: true, connectionString: server().url(), run: 'atomic' });
    await store.load();
    const run = wf.newRun('atomic', { label: 'l' }).add({ n: 1 }, 'a').add({ n: 2 }, 'a');
    await store.checkpoint(run);
    const error = await failure(() =>
      store.append([
        { type: 'transition', id: '0', from: 'a', to: 'b', jc: { n: 10 }, at: 1 },
        { type: 'transition', id: 'nobody', from: 'a', to: 'b', jc: { n: 0 }, at: 2 },
      ]),
    );
    expect(error).toBeInstanceOf(RunError);
    expect(error.message).toMatch(/names job "nobody", which the run does not have/);
    await store.close();
    const again = new PgStore<{ label: string }, { n: number }>({ exclusive: true, connectionString: server().url(), run: 'atomic' });
    expect((await again.load())?.jobs.get('0')).toMatchObject({ state: 'a', jc: { n: 1 } });
    await again.close();
  });
});

describe('PgStore lock', () => {
  it('a second store on the same run in this process is refused until the first is closed', async () => {
    const first = new PgStore({ exclusive: true, connectionString: server().url(), run: 'twice' });
    await first.load();
    const second = new PgStore({ exclusive: true, connectionString: server().url(), run: 'twice' });
    const error = await failure(() => second.load());
    expect(error).toBeInstanceOf(RunLockedError);
    expect(error.message).toMatch(/^PgStore\(run "twice"\): run "twice" \(schema "jorb", database "postgres"\) is already open in this process \(PostgreSQL session \d+\): close that store first$/);
    // Another run, or another schema, is another lock.
    const other = new PgStore({ exclusive: true, connectionString: server().url(), run: 'twice', schema: 'elsewhere' });
    expect(await other.load()).toBeUndefined();
    await other.close();
    await first.close();
    expect(await second.load()).toBeUndefined();
    await second.close();
  });
});

describe('PgStore read-only', () => {
  it('loads a run another store holds, without its lock, and refuses every write; the holder keeps writing', async () => {
    const holder = new PgStore<{ label: string }, { n: number }>({ exclusive: true, connectionString: server().url(), run: 'ro' });
    await holder.load();
    const run = wf.newRun('ro', { label: 'l' }).add({ n: 1 }, 'a');
    await holder.checkpoint(run);
    const reader = new PgStore<{ label: string }, { n: number }>({ connectionString: server().url(), run: 'ro', readOnly: true });
    const read = await reader.load(wf);
    expect(read?.jobs.get('0')).toMatchObject({ state: 'a', jc: { n: 1 } });
    for (const [what, call] of [
      ['append', () => reader.append([{ type: 'transition', id: '0', from: 'a', to: 'b', jc: { n: 2 }, at: 1 }])],
      ['checkpoint', () => reader.checkpoint(read as Run<{ label: string }, { n: number }>)],
      ['checkpoint', () => reader.checkpoint(wf.newRun('other', { label: 'x' }))],
    ] as const) {
      expect((await failure(call)).message).toBe(`PgStore(run "ro"): ${what} on a read-only store (readOnly: true): it reads the run and writes nothing`);
    }
    await holder.append([{ type: 'transition', id: '0', from: 'a', to: 'b', jc: { n: 2 }, at: 1 }]);
    expect((await reader.load())?.jobs.get('0')).toMatchObject({ state: 'b', jc: { n: 2 } }); // a second load sees the holder's write
    await reader.close();
    await holder.close();
  });

  it('creates and migrates nothing: a schema never created holds no run', async () => {
    const reader = new PgStore({ connectionString: server().url(), run: 'r', schema: 'never_made', readOnly: true });
    expect(await reader.load()).toBeUndefined();
    await reader.close();
    expect(await server().sql("SELECT 1 FROM information_schema.schemata WHERE schema_name = 'never_made'")).toEqual([]);
  });
});

describe('PgStore migration from version 1', () => {
  it('a schema at version 1 is migrated to the current version: its runs load, and their writes are counted from 0', async () => {
    const client = new pg.Client({ connectionString: server().url() });
    await client.connect();
    await migrate(client, 'old_v1', 'postgres', 1);
    await client.end();
    await server().sql(`INSERT INTO old_v1.runs (name, run_name, oc, next_id, next_ord) VALUES ('r', 'r', '{"label":"v1"}', 1, 1)`);
    await server().sql(`INSERT INTO old_v1.jobs (run, id, ord, state, jc, history, updated_at) VALUES ('r', '0', 0, 'a', '{"n":1}', '[{"state":"a","at":1}]', 1)`);
    expect(await server().sql<{ column_name: string }>("SELECT column_name FROM information_schema.columns WHERE table_schema = 'old_v1' AND table_name = 'runs' AND column_name = 'version'")).toEqual([]);
    const store = new PgStore<{ label: string }, { n: number }>({ exclusive: true, connectionString: server().url(), run: 'r', schema: 'old_v1' });
    const run = await store.load(wf);
    expect(run?.oc).toEqual({ label: 'v1' });
    expect((await server().sql<{ version: number }>('SELECT version FROM old_v1.schema_version ORDER BY version')).map((v) => v.version)).toEqual(Array.from({ length: PG_SCHEMA_VERSION }, (_, i) => i + 1));
    expect(await server().sql('SELECT version, write_id FROM old_v1.runs')).toEqual([{ version: '0', write_id: null }]);
    await store.append([{ type: 'transition', id: '0', from: 'a', to: 'b', jc: { n: 2 }, at: 2 }]);
    const [after] = await server().sql<{ version: string; write_id: string }>('SELECT version, write_id FROM old_v1.runs');
    expect(after?.version).toBe('1');
    expect(after?.write_id).toMatch(/^[0-9a-f-]{36}:\d+$/);
    await store.close();
  });
});

describe('the jorb-ts/postgres entry point', () => {
  it('documents every export with an example', () => {
    const entry = fileURLToPath(new URL('../src/postgres/index.ts', import.meta.url));
    const program = ts.createProgram([entry], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, strict: true });
    const checker = program.getTypeChecker();
    const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry) as ts.SourceFile) as ts.Symbol;
    const exported = checker.getExportsOfModule(moduleSymbol);
    const missing = exported
      .map((e) => (e.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(e) : e))
      .filter((symbol) => !(symbol.declarations ?? []).some((d) => ts.getJSDocTags(d).some((tag) => tag.tagName.text === 'example')))
      .map((symbol) => symbol.name);
    expect(exported.map((e) => e.name).sort()).toEqual(['PG_SCHEMA_VERSION', 'PgStore', 'PgStoreError', 'PgStoreErrorReason', 'PgStoreOptions']);
    expect(missing).toEqual([]);
  });
});

describe('PgStore and what jsonb cannot hold', () => {
  it('a job context with the character U+0000 is refused with an error saying so, and nothing of the append is written', async () => {
    const store = new PgStore<{ label: string }, { text: string }>({ exclusive: true, connectionString: server().url(), run: 'nul' });
    await store.load();
    const run = new Run<{ label: string }, { text: string }>('nul', { label: 'l' }).add({ text: 'ok' }, 'a');
    await store.checkpoint(run);
    const error = await failure(() =>
      store.append([
        { type: 'transition', id: '0', from: 'a', to: 'b', jc: { text: 'fine' }, at: 1 },
        { type: 'add', job: { id: 'x', state: 'a', jc: { text: 'nul \u0000 here' }, errors: {}, history: [{ state: 'a', at: 1 }], updatedAt: 1 } },
      ]),
    );
    expect(error.message).toMatch(/^PgStore\(run "nul"\): append failed: PostgreSQL's jsonb cannot store the character U\+0000/);
    await store.close();
    const again = new PgStore<{ label: string }, { text: string }>({ exclusive: true, connectionString: server().url(), run: 'nul' });
    const loaded = await again.load();
    expect([...(loaded?.jobs.values() ?? [])].map((j) => [j.id, j.state, j.jc.text])).toEqual([['0', 'a', 'ok']]);
    await again.close();
  });
});
