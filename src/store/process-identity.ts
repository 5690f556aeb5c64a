import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Who a process is, precisely enough to tell it from a later process that got the same pid: the
 * host, the kernel's boot id and the process's start time (Linux `/proc`; elsewhere the pid alone).
 * A container restarted after a crash gets pid 1 and the same host name again, with a new start.
 */
export interface ProcessIdentity {
  readonly pid: number;
  readonly host: string;
  /** `/proc/sys/kernel/random/boot_id`, when the system has one. */
  readonly boot?: string;
  /** The process's start time in clock ticks since boot (`/proc/<pid>/stat`, field 22). */
  readonly start?: number;
}

/** This process. */
export function currentProcess(): ProcessIdentity {
  return withOptional({ pid: process.pid, host: hostname() }, bootId(), startTime(process.pid));
}

/**
 * Whether the process a lock names may still be running: `false` only when that is certain (same
 * host, and its pid is gone, or a reboot happened, or the pid now belongs to a process that started
 * at another time). Another host cannot be checked from here, so it counts as alive.
 */
export function mayBeAlive(owner: ProcessIdentity): boolean {
  if (owner.host !== hostname()) return true;
  const boot = bootId();
  if (owner.boot !== undefined && boot !== undefined && owner.boot !== boot) return false;
  if (!pidExists(owner.pid)) return false;
  if (owner.start === undefined) return true;
  const start = startTime(owner.pid);
  return start === undefined || start === owner.start;
}

/** Whether two identities are the same process. */
export function sameProcess(a: ProcessIdentity, b: ProcessIdentity): boolean {
  return a.pid === b.pid && a.host === b.host && a.boot === b.boot && a.start === b.start;
}

function pidExists(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function startTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = Number(fields[19]);
    return Number.isSafeInteger(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

function withOptional(base: { pid: number; host: string }, boot: string | undefined, start: number | undefined): ProcessIdentity {
  return { ...base, ...(boot === undefined ? {} : { boot }), ...(start === undefined ? {} : { start }) };
}
