// One writer, always: the run file's lock is atomic, never taken from a process that may be alive,
// and taken over when its owner is provably gone (including a pid that a later process got).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonlStore, RunLockedError } from '../src/index.js';
import { useTempDir } from './support/temp-dir.js';

const tempDir = useTempDir();

function ownStartTime(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

function bootId(): string {
  return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
}

/** The pid of a process that ran and is gone. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

function writeLock(path: string, owner: Record<string, unknown>): void {
  writeFileSync(`${path}.lock`, `${JSON.stringify({ since: '2026-01-01T00:00:00.000Z', ...owner })}\n`);
}

function racer(dir: string, trials: number, name: string): { child: ChildProcess; results: Promise<{ trial: number; held: boolean }[]> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/lock-racer.ts', dir, String(trials), name], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (data: string) => (out += data));
  const results = new Promise<{ trial: number; held: boolean }[]>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`lock racer ${name} exited with ${code}: ${out}`));
      else resolve(out.trim().split('\n').map((line) => JSON.parse(line) as { trial: number; held: boolean }));
    });
  });
  return { child, results };
}

/** Two racer processes; every trial released to both at once, once they have started (a second or so for tsx). */
async function race(dir: string, trials: number): Promise<[{ trial: number; held: boolean }[], { trial: number; held: boolean }[]]> {
  const a = racer(dir, trials, 'a');
  const b = racer(dir, trials, 'b');
  await new Promise((resolve) => setTimeout(resolve, 100));
  for (let trial = 0; trial < trials; trial++) {
    writeFileSync(join(dir, `go-${trial}`), '');
    await new Promise((resolve) => setTimeout(resolve, trial === 0 ? 2500 : 25));
  }
  return Promise.all([a.results, b.results]);
}

/** Holds may follow each other (one released, then the other took it), never overlap. */
function expectHoldsNeverOverlap(dir: string, trial: number): void {
  const events = readFileSync(join(dir, `holders-${trial}`), 'utf8').trim().split('\n');
  for (let i = 0; i < events.length; i += 2) {
    expect([events[i]?.[0], events[i + 1]?.[0], events[i]?.slice(1)]).toEqual(['+', '-', events[i + 1]?.slice(1)]);
  }
}

describe('the run lock', () => {
  it('two processes opening one run at the same moment never both hold it', async () => {
    const dir = tempDir();
    const trials = 60;
    const [ra, rb] = await race(dir, trials);
    for (let trial = 0; trial < trials; trial++) {
      expectHoldsNeverOverlap(dir, trial);
      expect(ra[trial]?.held || rb[trial]?.held).toBe(true);
    }
    // The race was real: in some trials the second process found the run held.
    expect([...ra, ...rb].some((r) => !r.held)).toBe(true);
  }, 60_000);

  it('refuses a run held by a live process, naming it', async () => {
    const path = join(tempDir(), 'run.jsonl');
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      writeLock(path, { pid: sleeper.pid, host: hostname() });
      await expect(new JsonlStore(path).load()).rejects.toThrow(new RunLockedError(`${path} is in use by process ${sleeper.pid} on ${hostname()} (since 2026-01-01T00:00:00.000Z); if that process is gone, delete ${path}.lock`));
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('refuses a run held by a process on another host (it cannot tell whether that one is alive)', async () => {
    const path = join(tempDir(), 'run.jsonl');
    writeLock(path, { pid: 12345, host: 'some-other-host' });
    await expect(new JsonlStore(path).load()).rejects.toThrow(RunLockedError);
  });

  it('refuses a second store on the same run in this process, and lets it in once the first is closed', async () => {
    const path = join(tempDir(), 'run.jsonl');
    const first = new JsonlStore(path);
    await first.load();
    await expect(new JsonlStore(path).load()).rejects.toThrow(`${path} is already open in this process`);
    await first.close();
    const second = new JsonlStore(path);
    expect(await second.load()).toBeUndefined();
    await second.close();
  });

  it('takes over the lock of a process that is gone', async () => {
    const path = join(tempDir(), 'run.jsonl');
    writeLock(path, { pid: deadPid(), host: hostname(), boot: bootId(), start: 1 });
    const store = new JsonlStore(path);
    expect(await store.load()).toBeUndefined();
    expect(JSON.parse(readFileSync(`${path}.lock`, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname(), boot: bootId(), start: ownStartTime() });
    await store.close();
  });

  it("takes over a lock naming this process's pid from an earlier process (a restarted container's pid 1)", async () => {
    const path = join(tempDir(), 'run.jsonl');
    writeLock(path, { pid: process.pid, host: hostname(), boot: bootId(), start: ownStartTime() - 1 });
    const store = new JsonlStore(path);
    expect(await store.load()).toBeUndefined();
    await store.close();
  });

  it("takes over an old-format lock naming this process's pid that no store here holds", async () => {
    const path = join(tempDir(), 'run.jsonl');
    writeLock(path, { pid: process.pid, host: hostname() });
    const store = new JsonlStore(path);
    expect(await store.load()).toBeUndefined();
    await store.close();
  });

  it('takes over the lock of a process from before a reboot, even if its pid is alive now', async () => {
    const path = join(tempDir(), 'run.jsonl');
    writeLock(path, { pid: 1, host: hostname(), boot: 'another-boot', start: 1 });
    const store = new JsonlStore(path);
    expect(await store.load()).toBeUndefined();
    await store.close();
  });

  it('refuses a lock file that is not one, saying what to do, and leaves it', async () => {
    const path = join(tempDir(), 'run.jsonl');
    writeFileSync(`${path}.lock`, 'garbage');
    await expect(new JsonlStore(path).load()).rejects.toThrow(`${path}: its lock ${path}.lock is not a jorb-ts lock file; if no process uses the run, delete it`);
    expect(readFileSync(`${path}.lock`, 'utf8')).toBe('garbage');
  });

  it('two processes taking over one dead owner\'s lock at the same moment: one gets it', async () => {
    const dir = tempDir();
    const trials = 30;
    const dead = deadPid();
    for (let trial = 0; trial < trials; trial++) writeLock(join(dir, `run-${trial}.jsonl`), { pid: dead, host: hostname(), boot: bootId(), start: 1 });
    await race(dir, trials);
    for (let trial = 0; trial < trials; trial++) expectHoldsNeverOverlap(dir, trial);
  }, 60_000);
});
