// `jorb report`, `jorb redrive` and `jorb diagram --run` on a run in a real PostgreSQL (a URL and a
// run name), run as a user runs them: the same output as for the same run in a JSONL run file,
// read without taking the run from a running process, and one clear line for each mistake.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonlStore, Processor, workflow } from '../src/index.js';
import { PgStore } from '../src/postgres/index.js';
import { jorb } from './support/run-jorb.js';
import { PASSWORD_USER, usePostgresServer } from './support/postgres-server.js';
import { useTempDir } from './support/temp-dir.js';

type JC = { n: number };

// The workflow of test/cli-run-file.test.ts: errors of two kinds, failed jobs, a kick.
const wf = workflow<object, object, JC>('orders')
  .state('fetch', { concurrency: 4 })
  .to('ship', 'fetch-failed')
  .spawns('ship')
  .exec(({ jc }) => {
    if (jc.n % 5 === 0) throw new Error(jc.n % 10 === 0 ? 'HTTP 503' : 'HTTP 404');
    return { state: jc.n % 7 === 0 ? 'fetch-failed' : 'ship', jc, ...(jc.n === 1 ? { kicks: [{ state: 'ship', jc: { n: 100 } }] } : {}) };
  })
  .state('ship')
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc }))
  .terminal('done', 'fetch-failed')
  .build();

const server = usePostgresServer();
const tempDir = useTempDir();
let runs = 0;

/** A run written by a Processor into PostgreSQL, and the very same run copied into a run file. */
async function pgRun(schema?: string): Promise<{ name: string; file: string }> {
  const name = `orders-${runs++}`;
  const store = new PgStore<object, JC>({ exclusive: true, connectionString: server().url(), run: name, ...(schema ? { schema } : {}) });
  await store.load();
  const run = wf.newRun('orders', {});
  for (let n = 0; n < 30; n++) run.add({ n }, 'fetch');
  await new Processor(wf, {}, { store }).exec(run);
  await store.close();
  const file = join(tempDir(), `${name}.jsonl`);
  const copy = new JsonlStore<object, JC>(file);
  await copy.load();
  const reader = new PgStore<object, JC>({ connectionString: server().url(), run: name, readOnly: true, ...(schema ? { schema } : {}) });
  await copy.checkpoint((await reader.load()) as NonNullable<Awaited<ReturnType<typeof reader.load>>>);
  await reader.close();
  await copy.close();
  return { name, file };
}

describe('jorb report on a run in PostgreSQL', () => {
  it('prints what it prints for the same run in a run file, as text, as JSON and in a workflow\'s order, with --schema', async () => {
    const { name, file } = await pgRun();
    const url = server().url();
    const text = await jorb('report', url, '--run', name);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Run "orders": 31 jobs');
    expect(text.stdout).toMatch(/ {2}fetch +6 {2}\(6 failed, 6 with errors\)/);
    expect(text.stdout).toContain('3 × HTTP 503   e.g. job "0", "10", "20"');
    expect(text).toEqual(await jorb('report', file));
    expect(await jorb('report', url, '--run', name, '--json')).toEqual(await jorb('report', file, '--json'));
    expect(await jorb('report', url, '--run', name, '--workflow', 'test/fixtures/orders-workflow.ts')).toEqual(await jorb('report', file, '--workflow', 'test/fixtures/orders-workflow.ts'));
    const other = await pgRun('shop');
    expect(await jorb('report', url, '--run', other.name, '--schema', 'shop')).toEqual(await jorb('report', other.file));
  });

  it('reads a run a process holds, and leaves it held', async () => {
    const { name } = await pgRun();
    const holder = new PgStore<object, JC>({ exclusive: true, connectionString: server().url(), run: name });
    const run = await holder.load(wf);
    expect((await jorb('report', server().url(), '--run', name)).code).toBe(0);
    run?.add({ n: 99 }, 'fetch');
    await holder.checkpoint(run as NonNullable<typeof run>); // still the holder's to write
    await holder.close();
    expect((await jorb('report', server().url(), '--run', name)).stdout).toContain('Run "orders": 32 jobs');
  });
});

describe('jorb redrive on a run in PostgreSQL', () => {
  it('moves the failed jobs that match, as for a run file; a second report shows them moved; --dry-run writes nothing', async () => {
    const { name, file } = await pgRun();
    const url = server().url();
    const version = async () => (await server().sql<{ version: string }>('SELECT version FROM jorb.runs WHERE name = $1', [name]))[0]?.version;
    const before = await version();
    const dry = await jorb('redrive', url, '--run', name, '--from', 'fetch-failed', '--to', 'fetch', '--dry-run');
    expect(dry).toEqual({ code: 0, stdout: 'would move 4 jobs from fetch-failed to fetch: "7", "14", "21", "28" (dry run: nothing written)\n', stderr: '' });
    expect(await version()).toBe(before);
    const args = ['--from', 'fetch', '--to', 'fetch', '--where-error', 'HTTP 5\\d\\d'];
    const moved = await jorb('redrive', url, '--run', name, ...args);
    expect(moved).toEqual({ code: 0, stdout: 'moved 3 jobs from fetch to fetch: "0", "10", "20"\n', stderr: '' });
    expect(moved).toEqual(await jorb('redrive', file, ...args));
    expect(await version()).toBe(String(Number(before) + 1)); // one write
    const report = await jorb('report', url, '--run', name);
    expect(report.stdout).toMatch(/ {2}fetch +6 {2}\(3 failed, 6 with errors\)/);
    // The same but for the times: each redrive stamped its moves with the moment it ran.
    const untimed = (text: string) => text.slice(0, text.indexOf('Slowest states'));
    expect(untimed(report.stdout)).toBe(untimed((await jorb('report', file)).stdout));
    const reader = new PgStore<object, JC>({ connectionString: url, run: name, readOnly: true });
    const run = await reader.load();
    expect(run?.jobs.get('10')?.failed).toBeUndefined();
    expect(run?.jobs.get('10')?.history.at(-1)).toMatchObject({ state: 'fetch', note: 'redrive from fetch' });
    expect(run?.jobs.get('5')?.failed).toBe(true);
    await reader.close();
  });

  it('refuses while a process holds the run, naming it, in the words it uses for a run file; a dry run may look', async () => {
    const { name } = await pgRun();
    const url = server().url();
    const holder = new PgStore<object, JC>({ exclusive: true, connectionString: url, run: name });
    await holder.load();
    const refused = await jorb('redrive', url, '--run', name, '--from', 'fetch', '--to', 'fetch');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      new RegExp(`^jorb: run "${name}" at postgres://postgres@127\\.0\\.0\\.1:${server().port}/postgres is in use by "jorb-ts pid ${process.pid} ${name}" \\(PostgreSQL session \\d+ from 127\\.0\\.0\\.1, since .+\\): stop it before a redrive \\(--dry-run only reads: it may run now\\)\\n$`),
    );
    expect((await jorb('redrive', url, '--run', name, '--from', 'fetch', '--to', 'fetch', '--dry-run')).stdout).toMatch(/^would move 6 jobs from fetch to fetch/);
    await holder.close();
  });
});

describe('jorb diagram --run on a run in PostgreSQL', () => {
  it('draws the counts it draws for the same run in a run file', async () => {
    const { name, file } = await pgRun();
    const diagram = await jorb('diagram', 'test/fixtures/orders-workflow.ts', '--run', server().url(), '--run-name', name);
    expect(diagram.code).toBe(0);
    expect(diagram.stdout).toMatch(/fetch-failed/);
    expect(diagram.stdout).toMatch(/\b21\b/); // done
    expect(diagram).toEqual(await jorb('diagram', 'test/fixtures/orders-workflow.ts', '--run', file));
  });
});

describe('jorb on a PostgreSQL URL: each mistake is one line, exit 2, and never the password', () => {
  it.each([
    [['report', 'URL'], 'jorb: postgres://postgres@127.0.0.1:PORT/postgres: a PostgreSQL database holds many runs: name the run with --run <name> (and --schema <schema> when it is not in the schema "jorb")'],
    [['redrive', 'URL', '--from', 'a', '--to', 'b'], 'jorb: postgres://postgres@127.0.0.1:PORT/postgres: a PostgreSQL database holds many runs: name the run with --run <name> (and --schema <schema> when it is not in the schema "jorb")'],
    [['diagram', 'test/fixtures/orders-workflow.ts', '--run', 'URL'], 'jorb: postgres://postgres@127.0.0.1:PORT/postgres: a PostgreSQL database holds many runs: name the run with --run-name <name> (and --schema <schema> when it is not in the schema "jorb")'],
    [['report', 'URL', '--run', 'nobody'], 'jorb: run "nobody" at postgres://postgres@127.0.0.1:PORT/postgres: no such run in the schema "jorb"'],
    [['report', 'URL', '--run', 'x', '--schema', 'no such'], 'jorb: PgStore: schema must be a name of letters, digits and underscores, not starting with a digit, at most 63 characters, got "no such"'],
    [['report', 'runs/some.jsonl', '--run', 'x'], 'jorb: --run names a run in PostgreSQL, but runs/some.jsonl is a run file (it holds one run): drop --run, or give a postgres:// URL'],
    [['seal', 'URL'], 'jorb: postgres://postgres@127.0.0.1:PORT/postgres: jorb seal is for run files edited by hand (it writes fresh checksums); a run in PostgreSQL has no checksums: edit its rows in SQL, and jorb report --run <name> checks every row as it loads them'],
  ])('%j', async (args, line) => {
    const url = server().url();
    const result = await jorb(...args.map((a) => (a === 'URL' ? url : a)));
    expect(result).toEqual({ code: 2, stdout: '', stderr: `${line.replace('PORT', String(server().port))}\n` });
  });

  it('a wrong password: the user named, the password nowhere, no stack trace', async () => {
    const secret = 'wrong s3cret horse';
    for (const args of [
      ['report', server().userUrl(secret), '--run', 'x'],
      ['redrive', server().userUrl(secret), '--run', 'x', '--from', 'a', '--to', 'b'],
      ['diagram', 'test/fixtures/orders-workflow.ts', '--run', server().userUrl(secret), '--run-name', 'x'],
    ]) {
      const result = await jorb(...args);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        `jorb: PgStore: PostgreSQL at 127.0.0.1:${server().port} refused the user "${PASSWORD_USER.name}": password authentication failed for user "${PASSWORD_USER.name}" (check the user and password in the connection string, and the server's pg_hba.conf)\n`,
      );
      expect(result.stderr).not.toContain('s3cret');
      expect(result.stderr).not.toContain(encodeURIComponent(secret));
    }
  });
});

describe('jorb pause and jorb resume on a run in PostgreSQL', () => {
  it('pause a state of a shared run while a processor runs it: it starts nothing there until jorb resume; a bad state is one line, exit 2', async () => {
    const name = `paused-${runs++}`;
    const ran: string[] = [];
    const slow = workflow<object, object, JC>('orders')
      .state('fetch', { concurrency: 2 })
      .to('ship')
      .exec(async ({ jc }) => {
        ran.push(`fetch ${jc.n}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
        return { state: 'ship', jc };
      })
      .state('ship')
      .to('done')
      .exec(({ jc }) => {
        ran.push(`ship ${jc.n}`);
        return { state: 'done', jc };
      })
      .terminal('done')
      .build();
    const url = server().url();
    const writer = new PgStore<object, JC>({ exclusive: true, connectionString: url, run: name });
    await writer.load();
    const run = slow.newRun('orders', {});
    for (let n = 0; n < 6; n++) run.add({ n }, 'fetch');
    await writer.checkpoint(run);
    await writer.close();

    const paused = await jorb('pause', url, '--run', name, 'ship', '--workflow', 'test/fixtures/orders-workflow.ts'); // no job reached ship yet: the workflow names it
    expect(paused).toMatchObject({ code: 0, stderr: '' });
    expect(paused.stdout).toContain(`paused state "ship" of run "orders" (run "${name}" at`);
    expect((await server().sql<{ state: string }>('SELECT state FROM jorb.paused_states WHERE run = $1', [name])).map((r) => r.state)).toEqual(['ship']);

    const store = new PgStore<object, JC>({ connectionString: url, run: name }); // shared: as every process of the run
    const loaded = await store.load(slow);
    let shipStatus: { paused?: boolean; waiting: number } | undefined;
    const done = new Processor(slow, {}, { store, status: (s) => (shipStatus = s.find((x) => x.state === 'ship')) }).exec(loaded as NonNullable<typeof loaded>);
    await expect.poll(() => ran.filter((r) => r.startsWith('fetch')).length, { timeout: 10_000 }).toBe(6);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(ran.filter((r) => r.startsWith('ship'))).toEqual([]);
    expect(shipStatus).toMatchObject({ paused: true });

    expect(await jorb('resume', url, '--run', name, 'shipp')).toMatchObject({ code: 2, stdout: '' });
    const resumed = await jorb('resume', url, '--run', name, 'ship');
    expect(resumed).toMatchObject({ code: 0, stderr: '' });
    expect((await done).outcome).toBe('complete');
    expect(ran.filter((r) => r.startsWith('ship')).length).toBe(6);
    await store.close();
  }, 60_000);
});
