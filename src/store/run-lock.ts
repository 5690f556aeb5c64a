import { readFileSync } from 'node:fs';
import { link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { currentProcess, mayBeAlive, type ProcessIdentity, sameProcess } from './process-identity.js';
import { RunLockedError } from './run-locked-error.js';

/** What a lock file holds: the owner, and since when. */
interface LockInfo extends ProcessIdentity {
  readonly since: string;
}

/** Lock files held by stores of this process: a lock naming this pid but not in here is a dead namesake's. */
const heldHere = new Set<string>();

/** How often a process waits for another one's takeover of a dead owner's lock to finish. */
const TAKEOVER_RETRIES = 200;
const TAKEOVER_WAIT_MS = 5;

/**
 * An advisory lock on a run file: `<run file>.lock`, naming its owner by pid, host, boot id and
 * start time. It is written whole to a temporary file and hard-linked into place, so no process
 * ever sees it empty or half-written, and two processes racing for a free lock cannot both get it
 * (`link` fails when the name exists). A lock is never taken from a process that may be alive; one
 * whose owner is provably gone (no such pid, a reboot since, or the pid reused by a later process —
 * a restarted container's pid 1) is taken over, one process at a time: the taker first links a
 * `<lock>.takeover` token, checks that the lock still names the dead owner, then renames its own
 * lock over it.
 */
export class RunLock {
  readonly path: string;
  readonly #takeover: string;
  #held: LockInfo | undefined;

  constructor(runFile: string) {
    this.path = `${runFile}.lock`;
    this.#takeover = `${this.path}.takeover`;
  }

  get held(): boolean {
    return this.#held !== undefined;
  }

  async acquire(runFile: string): Promise<void> {
    if (this.#held) return;
    await mkdir(dirname(this.path), { recursive: true });
    const me: LockInfo = { ...currentProcess(), since: new Date().toISOString() };
    const text = `${JSON.stringify(me)}\n`;
    // Not `.tmp`: the lock holder removes snapshot temp files, never another process's lock candidate.
    const temp = join(dirname(this.path), `.${basename(this.path)}.${me.pid}.${Math.random().toString(36).slice(2)}.candidate`);
    await writeWhole(temp, text);
    try {
      for (let attempt = 0; attempt < TAKEOVER_RETRIES; attempt++) {
        if (await tryLink(temp, this.path)) {
          this.#held = me;
          heldHere.add(this.path);
          return;
        }
        const owner = await readLock(this.path);
        if (owner === 'gone') continue; // released meanwhile: try again
        if (owner === 'unreadable' || this.#mayHold(owner, me)) throw lockedError(runFile, this.path, owner, me);
        if (await this.#takeOver(temp, owner, text)) {
          this.#held = me;
          heldHere.add(this.path);
          return;
        }
        await sleep(TAKEOVER_WAIT_MS);
      }
      throw new RunLockedError(`${runFile}: could not take the lock ${this.path}: other processes kept taking it over`);
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  /** Releases the lock if this store holds it, and only if the file still names this store's owner. */
  async release(): Promise<void> {
    const held = this.#held;
    if (!held) return;
    this.#held = undefined;
    heldHere.delete(this.path);
    const owner = await readLock(this.path);
    if (typeof owner === 'object' && sameProcess(owner, held) && owner.since === held.since) await unlink(this.path).catch(() => undefined);
  }

  /**
   * Whether the owner a lock names may hold it: a lock naming this very process holds only if a
   * store here took it (else it is a former process's that got the same pid, as a restarted
   * container's pid 1 does); any other owner, unless provably gone.
   */
  #mayHold(owner: LockInfo, me: ProcessIdentity): boolean {
    if (owner.pid === me.pid && owner.host === me.host && (owner.boot === undefined || owner.boot === me.boot)) return heldHere.has(this.path);
    return mayBeAlive(owner);
  }

  /** Replaces a dead owner's lock with ours, unless another process is doing the same right now. */
  async #takeOver(temp: string, dead: LockInfo, text: string): Promise<boolean> {
    if (!(await tryLink(temp, this.#takeover))) {
      const other = await readLock(this.#takeover);
      // A taker that died mid-takeover leaves its token: clear it, then try again.
      if (typeof other === 'object' && !mayBeAlive(other)) await unlinkIfUnchanged(this.#takeover, other);
      return false;
    }
    try {
      const now = await readLock(this.path);
      if (typeof now !== 'object' || !sameProcess(now, dead) || now.since !== dead.since) return false;
      const staged = `${temp}.takeover`;
      await writeWhole(staged, text);
      await rename(staged, this.path);
      return true;
    } finally {
      await unlink(this.#takeover).catch(() => undefined);
    }
  }
}

/** The live process holding a run file's lock, if any: for tools that must not write under it. */
export function lockOwner(runFile: string): LockInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(`${runFile}.lock`, 'utf8')) as LockInfo;
    return mayBeAlive(info) ? info : undefined;
  } catch {
    return undefined;
  }
}

function lockedError(runFile: string, lockPath: string, owner: LockInfo | 'unreadable', me: ProcessIdentity): RunLockedError {
  if (owner === 'unreadable') return new RunLockedError(`${runFile}: its lock ${lockPath} is not a jorb-ts lock file; if no process uses the run, delete it`);
  if (owner.pid === me.pid && owner.host === me.host) return new RunLockedError(`${runFile} is already open in this process (since ${owner.since}): close that store first`);
  return new RunLockedError(`${runFile} is in use by process ${owner.pid} on ${owner.host} (since ${owner.since}); if that process is gone, delete ${lockPath}`);
}

async function writeWhole(path: string, text: string): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function tryLink(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function readLock(path: string): Promise<LockInfo | 'gone' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  try {
    const info = JSON.parse(text) as LockInfo;
    return typeof info === 'object' && info !== null && Number.isSafeInteger(info.pid) && typeof info.host === 'string' ? info : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

async function unlinkIfUnchanged(path: string, seen: LockInfo): Promise<void> {
  const now = await readLock(path);
  if (typeof now === 'object' && sameProcess(now, seen) && now.since === seen.since) await unlink(path).catch(() => undefined);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
