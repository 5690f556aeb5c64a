// PgStore across real processes: a second exclusive store is refused a run that one holds, and gets
// it as soon as the holder dies; a processor killed with SIGKILL mid-run is finished by another
// process (once the dead one's lease ran out) with nothing lost and nothing applied twice.
import { type ChildProcess, spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Processor, RunLockedError } from '../src/index.js';
import { PgStore } from '../src/postgres/index.js';
import { pgApplicationName } from './support/pg-harness.js';
import { type PgJC, type PgOC, pgWorkflow } from './support/pg-workflow.js';
import { usePostgresServer } from './support/postgres-server.js';

const server = usePostgresServer();

interface Worker {
  readonly child: ChildProcess;
  /** Resolves with what the child printed once it prints `line` (or a line matching it). */
  waitFor(line: RegExp): Promise<string>;
  /** Resolves with the exit code (or signal) and everything it printed. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>;
}

function worker(...args: string[]): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/pg-worker.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: { line: RegExp; resolve: (out: string) => void; reject: (error: Error) => void }[] = [];
  child.stdout?.setEncoding('utf8').on('data', (data: string) => {
    out += data;
    for (const w of waiters.splice(0)) if (w.line.test(out)) w.resolve(out);
    else waiters.push(w);
  });
  child.stderr?.setEncoding('utf8').on('data', (data: string) => (err += data));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) =>
    child.on('close', (code, signal) => {
      for (const w of waiters.splice(0)) w.reject(new Error(`the worker exited (${code ?? signal}) before printing ${w.line}: ${out}${err}`));
      resolve({ code, signal, out: out + err });
    }),
  );
  return {
    child,
    exited,
    waitFor: (line) => (line.test(out) ? Promise.resolve(out) : new Promise((resolve, reject) => waiters.push({ line, resolve, reject }))),
  };
}

async function doneCount(run: string): Promise<number> {
  const rows = await server().sql<{ n: string }>("SELECT count(*) AS n FROM jorb.jobs WHERE run = $1 AND state = 'done'", [run]);
  return Number(rows[0]?.n);
}

describe('PgStore across processes', () => {
  it('a run held by a live exclusive store is refused with a RunLockedError naming it; once that process is killed, the run is free', async () => {
    const holder = worker('hold', server().url(), 'held-run', '--exclusive');
    try {
      await holder.waitFor(/held/);
      const store = new PgStore({ connectionString: server().url(), run: 'held-run', exclusive: true });
      const error = await store.load().then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(RunLockedError);
      expect((error as Error).message).toContain(pgApplicationName('held-run', holder.child.pid));
      expect((error as Error).message).toMatch(/in use by/);
      await store.close();

      holder.child.kill('SIGKILL');
      expect((await holder.exited).signal).toBe('SIGKILL');
      // The server ends the dead process's session (and its lock) as soon as it sees the socket close.
      const again = new PgStore<PgOC, PgJC>({ connectionString: server().url(), run: 'held-run', exclusive: true });
      const deadline = Date.now() + 10_000;
      let run;
      for (;;) {
        try {
          run = await again.load(pgWorkflow);
          break;
        } catch (e) {
          if (!(e instanceof RunLockedError) || Date.now() > deadline) throw e;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      expect(run?.jobs.get('seed')?.state).toBe('seed');
      await again.close();
    } finally {
      holder.child.kill('SIGKILL');
    }
  }, 30_000);

  it('a processor killed with SIGKILL mid-run is finished by a second process: every job done once, none lost, no child twice', async () => {
    const size = 300;
    const reference = pgWorkflow.newRun('reference', { size }).add({ n: size }, 'seed', { id: 'seed' });
    expect((await new Processor(pgWorkflow, {}).exec(reference)).outcome).toBe('complete');

    const first = worker('run', server().url(), 'killed-run', String(size));
    try {
      const deadline = Date.now() + 20_000;
      while ((await doneCount('killed-run')) < size / 3) {
        if (Date.now() > deadline) throw new Error(`the first worker did not get a third of the way in 20 s: ${(await Promise.race([first.exited, Promise.resolve(undefined)]))?.out ?? ''}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      first.child.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');
    } finally {
      first.child.kill('SIGKILL');
    }
    const doneAtKill = await doneCount('killed-run');
    expect(doneAtKill).toBeGreaterThanOrEqual(size / 3);
    expect(doneAtKill).toBeLessThan(size); // killed in the middle, not after the end

    // The dead process's jobs are its own until its lease (5 s by default) runs out: then the second takes them.
    const second = worker('run', server().url(), 'killed-run');
    const result = await second.exited;
    expect(result.code, result.out).toBe(0);
    expect(JSON.parse(result.out.trim().split('\n').at(-1) as string)).toMatchObject({ outcome: 'complete' });

    const store = new PgStore<PgOC, PgJC>({ connectionString: server().url(), run: 'killed-run', readOnly: true });
    const run = await store.load(pgWorkflow);
    await store.close();
    expect(run).toBeDefined();
    const jobs = [...(run?.jobs.values() ?? [])];
    const outcome = (js: typeof jobs) => js.map((j) => `${j.id}:${j.state}:${j.jc.n}:${j.history.map((h) => h.state).join('>')}`).sort();
    expect(jobs.length).toBe(size + 1);
    expect(outcome(jobs)).toEqual(outcome([...reference.jobs.values()])); // each transition once: the histories say so
    expect(new Set(jobs.map((j) => j.key).filter((k) => k !== undefined)).size).toBe(size);
  }, 60_000);
});
