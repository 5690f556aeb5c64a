import type { StateStatus, StatusListener } from '../../src/index.js';

/** A status listener that keeps every update it receives, for assertions. */
export function statusRecorder(): { listener: StatusListener; updates: (readonly StateStatus[])[] } {
  const updates: (readonly StateStatus[])[] = [];
  return { listener: (s) => updates.push(s), updates };
}

/** The counts of one state in one update, without the name, flag and committing (0 without a store), for compact assertions. */
export function countsOf(update: readonly StateStatus[] | undefined, state: string): Omit<StateStatus, 'state' | 'terminal' | 'committing'> {
  const s = update?.find((u) => u.state === state);
  if (!s) throw new Error(`no status for state ${state}`);
  return { waiting: s.waiting, executing: s.executing, completed: s.completed, failed: s.failed };
}
