// A kill -9 during a threaded attempt (issue #21, part 3): the process running a worker-thread
// state on a JsonlStore is killed while one job's exec runs in a thread; started again, it runs
// that job again and completes the run, and it ends by itself (its thread pool keeps nothing alive).
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonlStore } from '../src/index.js';
import { useTempDir } from './support/temp-dir.js';

const worker = resolve(import.meta.dirname, 'support/threads-kill-worker.ts');
const tempDir = useTempDir();

interface Life {
  readonly child: ChildProcess;
  readonly events: Record<string, unknown>[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(file: string, marks: string, env: Record<string, string> = {}): Life {
  const child = spawn(process.execPath, ['--import', 'tsx', worker, file, marks], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const events: Record<string, unknown>[] = [];
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') events.push(JSON.parse(line) as Record<string, unknown>);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, events, exited };
}

/** Resolves once `test` holds, polling every 20 ms; rejects after `ms`. */
async function until(what: string, test: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** What slow-hash.ts computes for job n: sha256 applied 1,000 times to its number. */
function hashOf(n: number): string {
  let digest = String(n);
  for (let i = 0; i < 1000; i++) digest = createHash('sha256').update(digest).digest('hex');
  return digest;
}

const attemptsIn = (marks: string) => (existsSync(marks) ? readFileSync(marks, 'utf8').trim().split('\n').map((line) => line.split(' ') as [string, string]) : []);

describe('a kill -9 during a threaded attempt', () => {
  it('runs the attempt again after the restart, and the run completes', async () => {
    const file = join(tempDir(), 'run.jsonl');
    const marks = join(tempDir(), 'marks.txt');

    // First life: job 3's exec spins for ever in its thread; kill the process there.
    const first = start(file, marks, { THREADS_HANG: '1' });
    await until('job 3 to start in a thread', () => attemptsIn(marks).some(([id]) => id === '3'));
    first.child.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(first.events).toContainEqual({ e: 'loaded', resumed: false });
    expect(first.events.some((e) => e['e'] === 'completed')).toBe(false);

    // Second life: it resumes the run, runs job 3 again and completes, then ends by itself.
    const second = start(file, marks);
    const exit = await Promise.race([second.exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 30_000))]);
    if (exit === 'still running') second.child.kill('SIGKILL');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(second.events[0]).toEqual({ e: 'loaded', resumed: true });
    expect(second.events[1]).toMatchObject({ e: 'completed', outcome: 'complete', failed: 0 });

    const attempts = attemptsIn(marks);
    const pids = (id: string) => new Set(attempts.filter(([job]) => job === id).map(([, pid]) => pid));
    expect(pids('3')).toEqual(new Set([String(first.child.pid), String(second.child.pid)]));

    const store = new JsonlStore<{ marks: string }, { n: number; digest?: string }>(file);
    const run = await store.load();
    await store.close();
    expect([...(run?.jobs.values() ?? [])].map((j) => [j.id, j.state, j.jc.digest])).toEqual(
      Array.from({ length: 8 }, (_, n) => [String(n), 'done', hashOf(n)]),
    );
  });
});
