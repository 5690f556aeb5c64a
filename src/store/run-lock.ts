import { readFileSync } from 'node:fs';
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';

/**
 * Thrown when a run file is held by another live process (its lock file names the process).
 *
 * @example
 * ```ts
 * try { await store.load(); } catch (e) { if (e instanceof RunLockedError) console.error(e.message); }
 * ```
 * @public
 */
export class RunLockedError extends Error {
  /** Always `'RunLockedError'`. */
  override readonly name = 'RunLockedError';
}

interface LockInfo {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

/**
 * An advisory lock on a run file: `<run file>.lock`, created exclusively, holding the owner's pid.
 * A lock left by a process that is gone (same host, pid not alive) is taken over.
 */
export class RunLock {
  readonly path: string;
  #held = false;

  constructor(runFile: string) {
    this.path = `${runFile}.lock`;
  }

  async acquire(runFile: string): Promise<void> {
    if (this.#held) return;
    await mkdir(dirname(this.path), { recursive: true });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await open(this.path, 'wx');
        const info: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
        await handle.writeFile(`${JSON.stringify(info)}\n`);
        await handle.close();
        this.#held = true;
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const owner = await readLock(this.path);
        if (owner && isAlive(owner)) {
          throw new RunLockedError(`${runFile} is in use by process ${owner.pid} on ${owner.host} (since ${owner.since}); if that process is gone, delete ${this.path}`);
        }
        await unlink(this.path).catch(() => undefined); // stale: its owner is gone
      }
    }
    throw new RunLockedError(`${runFile}: could not take the lock ${this.path}`);
  }

  async release(): Promise<void> {
    if (!this.#held) return;
    this.#held = false;
    await unlink(this.path).catch(() => undefined);
  }
}

/** The live process holding a run file's lock, if any: for tools that must not write under it. */
export function lockOwner(runFile: string): LockInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(`${runFile}.lock`, 'utf8')) as LockInfo;
    return isAlive(info) ? info : undefined;
  } catch {
    return undefined;
  }
}

async function readLock(path: string): Promise<LockInfo | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}

function isAlive(info: LockInfo): boolean {
  if (info.host !== hostname()) return true; // cannot tell: assume it is
  try {
    process.kill(info.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
