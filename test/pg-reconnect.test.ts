// PgStore when its connection to PostgreSQL breaks while it is open: it connects again, takes the
// run's lock again, and continues only if no other store wrote the run meanwhile (the run's write
// counter says so); a write that was in flight is resolved exactly, from the counter: made once,
// never twice. Against a real server restarted (pg_ctl restart -m fast) in the middle of a real
// Processor run, and a proxy that cuts a connection on either side of a COMMIT.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Processor, workflow } from '../src/index.js';
import { PgStore, PgStoreError } from '../src/postgres/index.js';
import { killSessions, pgApplicationName } from './support/pg-harness.js';
import { type PgProxy, startPgProxy } from './support/pg-proxy.js';
import { usePostgresServer } from './support/postgres-server.js';
import { failure } from './support/failure.js';

const server = usePostgresServer();

type JC = { n: number };
const wf = workflow<object, object, JC>('reconnect')
  .state('a')
  .to('b')
  .exec(({ jc }) => ({ state: 'b', jc: { n: jc.n + 1 } }))
  .terminal('b')
  .build();

async function runRow(run: string): Promise<{ version: string; write_id: string | null }> {
  const rows = await server().sql<{ version: string; write_id: string | null }>('SELECT version, write_id FROM jorb.runs WHERE name = $1', [run]);
  if (rows[0] === undefined) throw new Error(`no run ${run}`);
  return rows[0];
}

/** A stored run of `size` jobs in state a, held by a new store (through `url`). */
async function stored(url: string, name: string, size = 3): Promise<PgStore<object, JC>> {
  const store = new PgStore<object, JC>({ exclusive: true, connectionString: url, run: name, reconnectTimeoutMs: 10_000 });
  await store.load();
  const run = wf.newRun(name, {});
  for (let n = 0; n < size; n++) run.add({ n }, 'a', { id: `j${n}` });
  await store.checkpoint(run);
  return store;
}

describe('PgStore reconnects after its sessions end', () => {
  it('an administrator ends its sessions: the next append connects again, takes the lock again and is written once', async () => {
    const store = await stored(server().url(), 'ended');
    expect((await runRow('ended')).version).toBe('1');
    await killSessions(server(), 'ended');
    await store.append([{ type: 'transition', id: 'j0', from: 'a', to: 'b', jc: { n: 1 }, at: 1 }]);
    expect((await runRow('ended')).version).toBe('2');
    // The lock is held again: another store is refused.
    const other = new PgStore({ exclusive: true, connectionString: server().url(), run: 'ended' });
    expect((await failure(() => other.load())).name).toBe('RunLockedError');
    await other.close();
    await store.close();
    const reader = new PgStore<object, JC>({ connectionString: server().url(), run: 'ended', readOnly: true });
    const run = await reader.load();
    expect(run?.jobs.get('j0')?.history.map((h) => h.state)).toEqual(['a', 'b']);
    await reader.close();
  });

  it('another store wrote the run while this one was away: this one is refused (fenced), names both versions, and writes nothing more', async () => {
    const store = await stored(server().url(), 'fenced');
    await killSessions(server(), 'fenced');
    const intruder = new PgStore<object, JC>({ exclusive: true, connectionString: server().url(), run: 'fenced' });
    await intruder.load();
    await intruder.append([{ type: 'transition', id: 'j1', from: 'a', to: 'b', jc: { n: 2 }, at: 2 }]);
    await intruder.close();
    const before = await server().sql('SELECT id, state, history FROM jorb.jobs WHERE run = $1 ORDER BY ord', ['fenced']);
    const error = await failure(() => store.append([{ type: 'transition', id: 'j0', from: 'a', to: 'b', jc: { n: 1 }, at: 1 }]));
    expect(error).toBeInstanceOf(PgStoreError);
    expect((error as PgStoreError).reason).toBe('fenced');
    expect(error.message).toBe(
      'PgStore(run "fenced"): another store wrote run "fenced" (schema "jorb", database "postgres") since this one last did: the database holds version 2, this store had version 1. ' +
        "This store writes nothing more, so nothing is applied twice and nothing of the other's is overwritten: open a new store and load the run to continue",
    );
    expect((await failure(() => store.append([{ type: 'transition', id: 'j2', from: 'a', to: 'b', jc: { n: 1 }, at: 1 }]))).message).toBe(error.message);
    await store.close();
    expect(await server().sql('SELECT id, state, history FROM jorb.jobs WHERE run = $1 ORDER BY ord', ['fenced'])).toEqual(before);
    expect((await runRow('fenced')).version).toBe('2');
  });

  it('a server that does not come back within reconnectTimeoutMs: one clear error, and nothing more is written', async () => {
    const proxy = await startPgProxy(server().port);
    const store = new PgStore<object, JC>({ exclusive: true, connectionString: proxy.url(), run: 'gone', reconnectTimeoutMs: 300 });
    await store.load();
    await store.checkpoint(wf.newRun('gone', {}).add({ n: 0 }, 'a', { id: 'j0' }));
    await proxy.close(); // nothing listens there any more
    const started = performance.now();
    const error = await failure(() => store.append([{ type: 'transition', id: 'j0', from: 'a', to: 'b', jc: { n: 1 }, at: 1 }]));
    const ms = performance.now() - started;
    expect(error).toBeInstanceOf(PgStoreError);
    expect((error as PgStoreError).reason).toBe('connection');
    expect(error.message).toMatch(
      new RegExp(`^PgStore\\(run "gone"\\): the connection to PostgreSQL at 127\\.0\\.0\\.1:${proxy.port} broke \\(.+\\) and could not be made again within \\d+ ms \\(reconnectTimeoutMs\\): PgStore: cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${proxy.port}: connection refused .*; this store writes nothing more`),
    );
    expect(ms).toBeLessThan(5_000);
    await store.close();
    expect((await runRow('gone')).version).toBe('1');
  });
});

describe('PgStore resolves the write in flight when the connection broke, from the run\'s write counter', () => {
  let proxy: PgProxy;
  beforeAll(async () => {
    proxy = await startPgProxy(server().port);
  });
  afterAll(async () => {
    await proxy.close();
  });

  it('cut after the server committed: the append resolves, and is not made again', async () => {
    const store = await stored(proxy.url(), 'committed');
    const cut = proxy.cutNextCommit('after the server committed');
    await store.append([{ type: 'transition', id: 'j0', from: 'a', to: 'b', jc: { n: 1 }, at: 1, kicks: [] }, { type: 'move', id: 'j1', from: 'a', to: 'a', at: 2, note: 'once' }]);
    await cut;
    expect((await runRow('committed')).version).toBe('2'); // one write, not two
    await store.append([{ type: 'transition', id: 'j2', from: 'a', to: 'b', jc: { n: 3 }, at: 3 }]);
    expect((await runRow('committed')).version).toBe('3');
    await store.close();
    const rows = await server().sql<{ id: string; history: { state: string }[] }>('SELECT id, history FROM jorb.jobs WHERE run = $1 ORDER BY ord', ['committed']);
    expect(rows.map((r) => [r.id, r.history.map((h) => h.state)])).toEqual([
      ['j0', ['a', 'b']],
      ['j1', ['a', 'a']],
      ['j2', ['a', 'b']],
    ]);
  });

  it('cut before the commit reached the server: the append is made again after reconnecting, once', async () => {
    const store = await stored(proxy.url(), 'rolled-back');
    const cut = proxy.cutNextCommit('before the commit reaches the server');
    await store.append([{ type: 'move', id: 'j1', from: 'a', to: 'a', at: 2, note: 'once' }]);
    await cut;
    expect((await runRow('rolled-back')).version).toBe('2');
    await store.close();
    const rows = await server().sql<{ id: string; history: { state: string; note?: string }[] }>('SELECT id, history FROM jorb.jobs WHERE run = $1 AND id = $2', ['rolled-back', 'j1']);
    expect(rows[0]?.history.map((h) => [h.state, h.note])).toEqual([['a', undefined], ['a', 'once']]);
  });
});

// The workflow of the restart case: a seed kicks `size` keyed children (and one key twice, which
// must be dropped); each child walks work (a few ms) -> check -> done. Every exec is counted.
type RJC = { n: number };
const execs = new Map<string, number>();
const count = (id: string, state: string) => execs.set(`${id} ${state}`, (execs.get(`${id} ${state}`) ?? 0) + 1);
let onWork: () => void = () => undefined;
const restartWorkflow = workflow<object, object, RJC>('restart')
  .state('seed')
  .to('done')
  .spawns('work')
  .exec(({ jc, job }) => {
    count(job.id, 'seed');
    const kicks = Array.from({ length: jc.n }, (_, i) => ({ state: 'work' as const, jc: { n: i }, key: `work-${i}` }));
    return { state: 'done', jc, kicks: [...kicks, { state: 'work' as const, jc: { n: -1 }, key: 'work-0' }] };
  })
  .state('work', { concurrency: 4 })
  .to('check')
  .exec(async ({ jc, job }) => {
    count(job.id, 'work');
    onWork();
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { state: 'check', jc: { n: jc.n * 10 } };
  })
  .state('check', { concurrency: 2 })
  .to('done')
  .exec(({ jc, job }) => {
    count(job.id, 'check');
    return { state: 'done', jc: { n: jc.n + 1 } };
  })
  .terminal('done')
  .build();

describe('PgStore across a server restart', () => {
  it('PostgreSQL restarted (pg_ctl restart -m fast) in the middle of a Processor run: the run completes, every job done exactly once, nothing lost, no kick twice', async () => {
    const size = 400;
    execs.clear();
    const store = new PgStore<object, RJC>({ exclusive: true, connectionString: server().url(), run: 'restart', reconnectTimeoutMs: 30_000 });
    const run = (await store.load(restartWorkflow)) ?? restartWorkflow.newRun('restart', {}).add({ n: size }, 'seed', { id: 'seed' });
    const lockHolder = async () =>
      (await server().sql<{ pid: number }>(
        "SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = $1",
        [pgApplicationName('restart')],
      )).map((r) => r.pid);
    const holderBefore = await lockHolder();
    expect(holderBefore).toHaveLength(1);
    // The processor's store, timed: which appends the restart caught, and how long they waited.
    const appends: { start: number; end: number }[] = [];
    const timed = {
      load: store.load.bind(store),
      checkpoint: store.checkpoint.bind(store),
      close: store.close.bind(store),
      append: async (records: Parameters<typeof store.append>[0]) => {
        const start = performance.now();
        await store.append(records);
        appends.push({ start, end: performance.now() });
      },
    } as unknown as typeof store;
    let worked = 0;
    let restart: Promise<{ start: number; end: number }> | undefined;
    onWork = () => {
      if (++worked !== 60) return;
      const start = performance.now();
      restart = server().restart().then(() => ({ start, end: performance.now() }));
    };
    const result = await new Processor(restartWorkflow, {}, { store: timed }).exec(run);
    const finished = performance.now();
    const restarted = await (restart as Promise<{ start: number; end: number }>);
    const holderAfter = await lockHolder();
    expect(holderAfter).toHaveLength(1); // the store took the run's lock again, in a new session
    expect(holderAfter).not.toEqual(holderBefore);
    await store.close();
    onWork = () => undefined;
    expect(result).toMatchObject({ outcome: 'complete' });
    expect(finished).toBeGreaterThan(restarted.end); // the run went on after the server was back
    const caught = appends.filter((a) => a.start < restarted.end && a.end > restarted.start);
    expect(caught.length).toBeGreaterThan(0); // and some append met the restart
    const firstAfter = Math.min(...appends.filter((a) => a.end > restarted.end).map((a) => a.end));
    console.log(
      `pg restart mid-run: pg_ctl restart -m fast took ${(restarted.end - restarted.start).toFixed(0)} ms; ` +
        `${caught.length} append(s) met it, the longest waited ${Math.max(...caught.map((a) => a.end - a.start)).toFixed(0)} ms; ` +
        `the first append after the server was back resolved ${(firstAfter - restarted.end).toFixed(0)} ms after it; ${size} children completed`,
    );
    // The restart did happen mid-run: it ended the sessions the store had before.
    const lines = await server().sql<{ n: string }>('SELECT count(*) AS n FROM jorb.jobs WHERE run = $1', ['restart']);
    expect(Number(lines[0]?.n)).toBe(size + 1);
    const rows = await server().sql<{ id: string; state: string; key: string | null; jc: RJC; history: { state: string }[] }>(
      'SELECT id, state, key, jc, history FROM jorb.jobs WHERE run = $1 ORDER BY ord',
      ['restart'],
    );
    const children = rows.filter((r) => r.id !== 'seed');
    expect(children.map((r) => r.key)).toEqual(Array.from({ length: size }, (_, i) => `work-${i}`)); // the repeated key was dropped
    for (const row of children) {
      expect(row.state, row.id).toBe('done');
      expect(row.history.map((h) => h.state), row.id).toEqual(['work', 'check', 'done']); // each transition applied once
      expect(row.jc.n, row.id).toBe(Number(row.key?.slice(5)) * 10 + 1);
    }
    // Nothing ran twice: the process never died, so every exec ran exactly once.
    expect([...execs.values()].every((n) => n === 1)).toBe(true);
    expect(execs.size).toBe(1 + 2 * size);
  }, 90_000);
});
