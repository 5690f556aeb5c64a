// One run, many processes (issue #18), with real child processes on a real PostgreSQL: they share
// the work, a state's concurrency and rate limit hold across them, a killed process's jobs are
// finished by the others with nothing lost and nothing applied twice, a process paused past its
// lease has its late writes refused, and a server restart mid-run loses nothing.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Processor, redrive, type Run, UnknownStatesError, workflow } from '../src/index.js';
import { PgStore } from '../src/postgres/index.js';
import { usePostgresServer } from './support/postgres-server.js';

const server = usePostgresServer();
const dir = mkdtempSync(join(tmpdir(), 'jorb-cluster-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Worker {
  readonly child: ChildProcess;
  /** Resolves once it printed a line matching `line`. */
  waitFor(line: RegExp): Promise<void>;
  /** Resolves with the exit code (or signal) and the last JSON line it printed. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; result: Record<string, unknown> | undefined }>;
}

function worker(run: string, size: number, ...flags: string[]): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/pg-cluster-worker.ts', server().url(), run, String(size), ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters: { line: RegExp; resolve: () => void }[] = [];
  child.stdout?.setEncoding('utf8').on('data', (data: string) => {
    out += data;
    for (const w of waiters.splice(0)) if (w.line.test(out)) w.resolve();
    else waiters.push(w);
  });
  child.stderr?.setEncoding('utf8').on('data', (data: string) => (out += data));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; result: Record<string, unknown> | undefined }>((resolve) =>
    child.on('close', (code, signal) => {
      const last = out.trim().split('\n').filter((l) => l.startsWith('{')).at(-1);
      resolve({ code, signal, out, result: last === undefined ? undefined : (JSON.parse(last) as Record<string, unknown>) });
    }),
  );
  return { child, exited, waitFor: (line) => (line.test(out) ? Promise.resolve() : new Promise((resolve) => waiters.push({ line, resolve }))) };
}

interface Row {
  readonly id: string;
  readonly state: string;
  readonly n: number;
  readonly history: string;
}

async function rows(run: string): Promise<Row[]> {
  return server().sql<Row>(
    `SELECT id, state, (jc->>'n')::int AS n, (SELECT string_agg(h->>'state', '>' ORDER BY o) FROM jsonb_array_elements(history) WITH ORDINALITY AS x(h, o)) AS history
     FROM jorb.jobs WHERE run = $1 ORDER BY id`,
    [run],
  );
}

async function doneCount(run: string): Promise<number> {
  // Until the first worker made the schema, nothing is done.
  const made = await server().sql<{ made: boolean }>("SELECT to_regclass('jorb.jobs') IS NOT NULL AS made");
  if (made[0]?.made !== true) return 0;
  const found = await server().sql<{ n: string }>("SELECT count(*) AS n FROM jorb.jobs WHERE run = $1 AND state = 'done'", [run]);
  return Number(found[0]?.n);
}

/** Every job done exactly once: the seed and its `size` children, each child's history work>check>done (a transition applied twice would show twice). */
async function expectEachDoneOnce(run: string, size: number): Promise<void> {
  const found = await rows(run);
  expect(found.length).toBe(size + 1);
  const seed = found.find((r) => r.id === 'seed');
  expect(seed).toMatchObject({ state: 'done', history: 'seed>done' });
  const children = found.filter((r) => r.id !== 'seed');
  expect(children.filter((r) => r.state !== 'done' || r.history !== 'work>check>done')).toEqual([]);
  expect(children.map((r) => r.n).sort((a, b) => a - b)).toEqual(Array.from({ length: size }, (_, i) => i * 10 + 1));
  const stuck = await server().sql<{ n: string }>('SELECT count(*) AS n FROM jorb.jobs WHERE run = $1 AND (NOT settled OR lease_owner IS NOT NULL)', [run]);
  expect(Number(stuck[0]?.n)).toBe(0);
}

interface Exec {
  readonly kind: 'S' | 'E';
  readonly pid: number;
  readonly id: string;
  readonly at: number;
  readonly state: string;
}

/** The execs of `work` (the state the tests limit) in the log. */
function execLog(file: string): Exec[] {
  return fullLog(file).filter((e) => e.state === 'work');
}

function fullLog(file: string): Exec[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [kind, pid, id, at, state] = l.split(' ');
      return { kind: kind as 'S' | 'E', pid: Number(pid), id: id as string, at: Number(at), state: state as string };
    });
}

/** The most execs running at once, across processes (an end at the same moment as a start comes first). */
function maxOverlap(log: readonly Exec[]): number {
  const events = [...log].sort((a, b) => a.at - b.at || (a.kind === 'E' ? -1 : 1));
  let running = 0;
  let most = 0;
  for (const e of events) {
    running += e.kind === 'S' ? 1 : -1;
    most = Math.max(most, running);
  }
  return most;
}

describe('a shared run across processes', () => {
  it('two processes started at the same moment share it: the seed is added once, each does part, both resolve complete, every job done once, and the concurrency of 3 is never exceeded across them', async () => {
    const log = join(dir, 'overlap.log');
    const size = 300;
    const [a, b] = [worker('shared', size, `--log=${log}`, '--conc=3', '--ms=4'), worker('shared', size, `--log=${log}`, '--conc=3', '--ms=4')];
    const [ra, rb] = await Promise.all([a.exited, b.exited]);
    expect(ra.code, ra.out).toBe(0);
    expect(rb.code, rb.out).toBe(0);
    expect(ra.result).toMatchObject({ outcome: 'complete', failed: 0 });
    expect(rb.result).toMatchObject({ outcome: 'complete', failed: 0 });
    expect((ra.result?.transitions as number) + (rb.result?.transitions as number)).toBe(1 + 2 * size);
    await expectEachDoneOnce('shared', size);
    const execs = execLog(log);
    expect(execs.filter((e) => e.kind === 'S').length).toBe(size); // no exec ran twice
    expect(new Set(execs.map((e) => e.pid)).size).toBe(2); // both processes worked
    expect(maxOverlap(execs)).toBeLessThanOrEqual(3);
    expect(maxOverlap(execs)).toBeGreaterThanOrEqual(2);
    // `check` (concurrency 2) is fed by the jobs each process keeps as they leave `work`.
    const checks = fullLog(log).filter((e) => e.state === 'check');
    expect(checks.filter((e) => e.kind === 'S').length).toBe(size);
    expect(maxOverlap(checks)).toBeLessThanOrEqual(2);
  }, 60_000);

  it('a process that joins a busy run gets its share of the slots: the first gives back what the second wants', async () => {
    const log = join(dir, 'fair.log');
    const size = 300;
    const first = worker('fair', size, `--log=${log}`, '--conc=4', '--ms=20');
    await first.waitFor(/started/);
    const deadline = Date.now() + 20_000;
    while (execLog(log).length < 40) {
      if (Date.now() > deadline) throw new Error('the first worker made no progress');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const second = worker('fair', size, `--log=${log}`, '--conc=4', '--ms=20');
    const [ra, rb] = await Promise.all([first.exited, second.exited]);
    expect(ra.result, ra.out).toMatchObject({ outcome: 'complete' });
    expect(rb.result, rb.out).toMatchObject({ outcome: 'complete' });
    await expectEachDoneOnce('fair', size);
    // From the second's first start on, the two share the slots: the second runs about half of what
    // is left (how much is left depends on how long the second process takes to start on this machine).
    const starts = execLog(log).filter((e) => e.kind === 'S');
    const joinedAt = Math.min(...starts.filter((e) => e.pid === second.child.pid).map((e) => e.at));
    const after = starts.filter((e) => e.at >= joinedAt);
    const bySecond = after.filter((e) => e.pid === second.child.pid).length;
    expect(after.length, `the second joined with ${after.length} of ${size} left`).toBeGreaterThan(size * 0.2);
    expect(bySecond / after.length, `the second ran ${bySecond} of the ${after.length} started after it joined`).toBeGreaterThan(0.35);
    expect(maxOverlap(execLog(log))).toBeLessThanOrEqual(4);
  }, 60_000);

  it('processConcurrency caps one process: two processes capped at 1 slot of a state of concurrency 3 run at most 1 each', async () => {
    const log = join(dir, 'capped.log');
    const size = 60;
    const [a, b] = [worker('capped', size, `--log=${log}`, '--conc=3', '--ms=5', '--cap=1'), worker('capped', size, `--log=${log}`, '--conc=3', '--ms=5', '--cap=1')];
    const [ra, rb] = await Promise.all([a.exited, b.exited]);
    expect(ra.result, ra.out).toMatchObject({ outcome: 'complete' });
    expect(rb.result, rb.out).toMatchObject({ outcome: 'complete' });
    await expectEachDoneOnce('capped', size);
    const execs = execLog(log);
    for (const pid of new Set(execs.map((e) => e.pid))) expect(maxOverlap(execs.filter((e) => e.pid === pid))).toBe(1);
    expect(maxOverlap(execs)).toBeLessThanOrEqual(2);
  }, 60_000);

  it('a rate limit holds across processes: two processes at 40 starts per second start no more than 40 (plus a burst of 4) in any second', async () => {
    const log = join(dir, 'rate.log');
    const size = 100;
    const started = Date.now();
    const [a, b] = [worker('rated', size, `--log=${log}`, '--rate=40', '--conc=8', '--ms=1'), worker('rated', size, `--log=${log}`, '--rate=40', '--conc=8', '--ms=1')];
    const [ra, rb] = await Promise.all([a.exited, b.exited]);
    expect(ra.code, ra.out).toBe(0);
    expect(rb.code, rb.out).toBe(0);
    await expectEachDoneOnce('rated', size);
    const starts = execLog(log)
      .filter((e) => e.kind === 'S')
      .map((e) => e.at)
      .sort((x, y) => x - y);
    expect(new Set(execLog(log).map((e) => e.pid)).size).toBe(2);
    let most = 0;
    for (let i = 0, j = 0; i < starts.length; i++) {
      while ((starts[i] as number) - (starts[j] as number) >= 1000) j++;
      most = Math.max(most, i - j + 1);
    }
    expect(most).toBeLessThanOrEqual(44);
    expect(Date.now() - started).toBeGreaterThan(((size - 8) / 40) * 1000); // a limit per process would have taken half as long
  }, 60_000);

  it('a kill -9 campaign: ten kills of one of two processes, each replaced; the run completes with no job lost and no transition applied twice', async () => {
    const size = 600;
    const run = 'campaign';
    const flags = ['--lease=1500', '--conc=3', '--ms=6']; // a lease long enough that a process starved of CPU on a loaded machine keeps it
    const live: Worker[] = [worker(run, size, ...flags), worker(run, size, ...flags)];
    const finished: Promise<unknown>[] = [];
    let kills = 0;
    // Seeded pauses between kills (a fixed sequence): the campaign is the same every run.
    const pauses = [300, 450, 250, 500, 350, 400, 280, 520, 330, 470];
    try {
      while (kills < 10) {
        const before = await doneCount(run);
        await new Promise((resolve) => setTimeout(resolve, pauses[kills]));
        if ((await doneCount(run)) >= size) break;
        const victim = live[kills % 2] as Worker;
        victim.child.kill('SIGKILL');
        finished.push(victim.exited);
        const gone = await victim.exited;
        expect(gone.signal, `the victim exited by itself before its kill: ${gone.out}`).toBe('SIGKILL');
        kills++;
        live[(kills + 1) % 2] = worker(run, size, ...flags);
        expect(await doneCount(run)).toBeGreaterThanOrEqual(before);
      }
      expect(kills).toBe(10);
      const results = await Promise.all(live.map((w) => w.exited));
      for (const r of results) expect(r.result, r.out).toMatchObject({ outcome: 'complete' });
    } finally {
      for (const w of live) w.child.kill('SIGKILL');
    }
    await expectEachDoneOnce(run, size);
  }, 180_000);

  it('a process paused past its lease (SIGSTOP) loses its jobs to another; when it wakes its late writes are refused (fenced) and nothing is applied twice', async () => {
    const size = 200;
    const run = 'paused';
    const sleeper = worker(run, size, '--lease=1000', '--conc=2', '--ms=10');
    try {
      const deadline = Date.now() + 20_000;
      while ((await doneCount(run)) < 20) {
        if (Date.now() > deadline) throw new Error('the first worker made no progress');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      sleeper.child.kill('SIGSTOP');
      const other = worker(run, size, '--lease=1000', '--conc=2', '--ms=10');
      const result = await other.exited;
      expect(result.result, result.out).toMatchObject({ outcome: 'complete' });
      sleeper.child.kill('SIGCONT');
      const woke = await sleeper.exited;
      expect(woke.code, woke.out).toBe(3);
      expect(woke.result).toMatchObject({ reason: 'fenced' });
      expect(String(woke.result?.error)).toMatch(/lease .*ran out|belongs to another process/);
    } finally {
      sleeper.child.kill('SIGKILL');
    }
    await expectEachDoneOnce(run, size);
  }, 60_000);

  it('a server restart mid-run: both processes reconnect and complete, nothing lost, nothing applied twice', async () => {
    const size = 400;
    const run = 'restarted';
    const [a, b] = [worker(run, size, '--conc=3', '--ms=5'), worker(run, size, '--conc=3', '--ms=5')];
    try {
      const deadline = Date.now() + 20_000;
      while ((await doneCount(run)) < size / 4) {
        if (Date.now() > deadline) throw new Error('no progress before the restart');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await server().restart();
      const [ra, rb] = await Promise.all([a.exited, b.exited]);
      expect(ra.result, ra.out).toMatchObject({ outcome: 'complete' });
      expect(rb.result, rb.out).toMatchObject({ outcome: 'complete' });
    } finally {
      a.child.kill('SIGKILL');
      b.child.kill('SIGKILL');
    }
    await expectEachDoneOnce(run, size);
  }, 90_000);

  it('load() of a shared run holds none of its jobs; an exclusive store waits for every sharing process to let go', async () => {
    const store = new PgStore({ connectionString: server().url(), run: 'shared' });
    const run = await store.load();
    expect(run?.jobs.size).toBe(0);
    const exclusive = new PgStore({ connectionString: server().url(), run: 'shared', exclusive: true });
    await expect(exclusive.load()).rejects.toThrow(/in use by .*an exclusive store holds the run alone/);
    await exclusive.close();
    await store.close();
    const again = new PgStore({ connectionString: server().url(), run: 'shared', exclusive: true });
    expect((await again.load())?.jobs.size).toBe(301);
    await again.close();
  });

  it('two stores in one process are two members: retries wait here, failures settle, kicks whose keys collide across them make one job per key', async () => {
    type JC = { n: number };
    const tries = new Map<number, number>();
    const wf = workflow<object, object, JC>('members')
      .state('seed')
      .to('done')
      .spawns('a')
      .exec(({ jc }) => ({ state: 'done', jc, kicks: Array.from({ length: 100 }, (_, n) => ({ state: 'a' as const, jc: { n } })) }))
      .state('a', { concurrency: 4, retry: { attempts: 3, backoff: { initialMs: 1, maxMs: 2 } } })
      .to('done')
      .spawns('b')
      .exec(({ jc }) => {
        const attempt = (tries.get(jc.n) ?? 0) + 1;
        tries.set(jc.n, attempt);
        if (jc.n % 25 === 3) throw new Error(`a ${jc.n} always fails`);
        if (jc.n % 7 === 0 && attempt === 1) throw new Error(`a ${jc.n} fails once`);
        return { state: 'done', jc, kicks: [{ state: 'b' as const, jc: { n: jc.n }, key: `b-${jc.n % 30}` }] };
      })
      .state('b', { concurrency: 2 })
      .to('done')
      .exec(({ jc }) => ({ state: 'done', jc: { n: jc.n + 1000 } }))
      .terminal('done')
      .build();
    const open = () => new PgStore<object, JC>({ connectionString: server().url(), run: 'members' });
    const [s1, s2] = [open(), open()];
    const [r1, r2] = [(await s1.load(wf)) ?? wf.newRun('members', {}).add({ n: 0 }, 'seed', { id: 'seed' }), (await s2.load(wf)) ?? wf.newRun('members', {}).add({ n: 0 }, 'seed', { id: 'seed' })];
    const [x1, x2] = await Promise.all([new Processor(wf, {}, { store: s1 }).exec(r1), new Processor(wf, {}, { store: s2 }).exec(r2)]);
    await Promise.all([s1.close(), s2.close()]);
    expect([x1.outcome, x2.outcome]).toEqual(['complete', 'complete']);
    expect(x1.failed + x2.failed).toBe(4);
    const found = await server().sql<{ id: string; state: string; failed: boolean; key: string | null; n: number; errors: Record<string, string[]> }>(
      "SELECT id, state, failed, key, (jc->>'n')::int AS n, errors FROM jorb.jobs WHERE run = 'members'",
    );
    const as = found.filter((r) => /^seed->\d+$/.test(r.id));
    expect(as.length).toBe(100);
    expect(as.filter((r) => r.failed).map((r) => r.n).sort((p, q) => p - q)).toEqual([3, 28, 53, 78]);
    expect(as.filter((r) => r.failed).every((r) => r.state === 'a' && r.errors.a?.length === 3)).toBe(true);
    expect(as.filter((r) => !r.failed).every((r) => r.state === 'done')).toBe(true);
    expect(as.filter((r) => r.n % 7 === 0 && r.n % 25 !== 3).every((r) => r.errors.a?.length === 1)).toBe(true);
    const bs = found.filter((r) => r.key !== null);
    expect(bs.map((r) => r.key).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `b-${i}`).sort());
    expect(bs.every((r) => r.state === 'done' && r.n >= 1000)).toBe(true);
    expect([...tries.values()].reduce((p, q) => p + q, 0)).toBe(100 + 14 + 4 * 2); // each attempt once: 100 first, 14 retries of the flaky ones, 2 more for each that always fails
    expect(x1.transitions + x2.transitions).toBe(1 + 100 + 14 + 4 * 2 + 30);
  }, 60_000);

  it('a redrive by an exclusive store between shared execs: the failed jobs it moves run again; jobs added during a shared exec move the run\'s next id on', async () => {
    type JC = { n: number; ok?: boolean };
    let added = false;
    const holder: { run?: Run<object, JC> } = {}; // the exec adds to the run it runs
    const wf = workflow<object, object, JC>('redriven')
      .state('work', { concurrency: 2 })
      .to('done')
      .exec(({ jc }) => {
        if (!added && holder.run) {
          added = true;
          holder.run.add({ n: 100, ok: true }, 'work'); // an automatic id, added during the exec
        }
        if (jc.ok !== true) throw new Error(`job ${jc.n} is not ok yet`);
        return { state: 'done', jc };
      })
      .terminal('done')
      .build();
    const url = server().url();
    const first = new PgStore<object, JC>({ connectionString: url, run: 'redriven' });
    const shared = (await first.load(wf)) ?? wf.newRun('redriven', {});
    holder.run = shared;
    for (let n = 0; n < 6; n++) shared.add({ n, ok: n % 2 === 0 }, 'work');
    const one = await new Processor(wf, {}, { store: first }).exec(shared);
    await first.close();
    expect(one).toMatchObject({ outcome: 'complete', failed: 3 });

    // The failed jobs are fixed and moved back by an exclusive store (as jorb redrive does).
    const exclusive = new PgStore<object, JC>({ connectionString: url, run: 'redriven', exclusive: true });
    const whole = await exclusive.load(wf);
    expect(whole?.jobs.size).toBe(7);
    expect(whole?.jobs.get('6')?.state).toBe('done'); // the job added during the exec got the next id
    expect(redrive(whole as NonNullable<typeof whole>, { from: 'work', to: 'work' })).toHaveLength(3);
    await exclusive.close();
    await server().sql("UPDATE jorb.jobs SET jc = jsonb_set(jc, '{ok}', 'true') WHERE run = 'redriven' AND state = 'work'");

    const second = new PgStore<object, JC>({ connectionString: url, run: 'redriven' });
    const again = (await second.load(wf)) as NonNullable<typeof whole>;
    again.add({ n: 200, ok: true }, 'work'); // an automatic id after the run's stored next one: "7"
    const two = await new Processor(wf, {}, { store: second }).exec(again);
    await second.close();
    expect(two).toMatchObject({ outcome: 'complete', failed: 0, transitions: 4 });
    const states = await server().sql<{ id: string; state: string }>("SELECT id, state FROM jorb.jobs WHERE run = 'redriven' ORDER BY id");
    expect(states).toEqual(['0', '1', '2', '3', '4', '5', '6', '7'].map((id) => ({ id, state: 'done' })));
  }, 60_000);

  it('jobs waiting in a state the workflow does not declare are reported when the shared run is loaded or executed, and nothing runs', async () => {
    type JC = { n: number };
    const old = workflow<object, object, JC>('old').state('gone').to('done').exec(({ jc }) => ({ state: 'done', jc })).terminal('done').build();
    const current = workflow<object, object, JC>('current').state('work').to('done').exec(({ jc }) => ({ state: 'done', jc })).terminal('done').build();
    const url = server().url();
    const writer = new PgStore<object, JC>({ connectionString: url, run: 'renamed', exclusive: true });
    await writer.load();
    await writer.checkpoint(old.newRun('renamed', {}).add({ n: 1 }, 'gone', { id: 'g' }).add({ n: 2 }, 'done', { id: 'd' }));
    await writer.close();
    const loading = new PgStore<object, JC>({ connectionString: url, run: 'renamed' });
    const error = await loading.load(current).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownStatesError);
    expect((error as UnknownStatesError).jobs).toEqual([{ id: 'g', state: 'gone' }]);
    await loading.close();
    const executing = new PgStore<object, JC>({ connectionString: url, run: 'renamed' });
    const run = (await executing.load()) as Run<object, JC>;
    await expect(new Processor(current, {}, { store: executing }).exec(run)).rejects.toThrow(/state "gone": job "g"/);
    await executing.close();
    expect(await server().sql("SELECT id, state FROM jorb.jobs WHERE run = 'renamed' ORDER BY id")).toEqual([{ id: 'd', state: 'done' }, { id: 'g', state: 'gone' }]);
  });
});
