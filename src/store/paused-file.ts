import { readFile, unlink } from 'node:fs/promises';
import { unwatchFile, watchFile } from 'node:fs';
import type { PausedStates } from '../model/paused-states.js';
import { renderValue } from '../model/render-value.js';
import { writeFileAtomic } from './atomic-write.js';

/** How often a watching processor looks at the file (a stat: cheap). */
const WATCH_INTERVAL_MS = 250;

/**
 * A JSONL run's paused states, in a small file beside the run's (`{ "paused": ["fetch"] }`),
 * written whole and atomically: another process (`jorb pause`, the dashboard) writes it while the
 * running processor holds the run's lock, and the processor watches it. No file: nothing paused.
 */
export class PausedFile implements PausedStates {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  async read(): Promise<ReadonlySet<string>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
      throw error;
    }
    return new Set(parsePaused(this.path, text));
  }

  async set(state: string, paused: boolean): Promise<void> {
    if (typeof state !== 'string' || state === '') throw new TypeError(`${this.path}: a paused state is a state's name, got ${renderValue(state)}`);
    const now = new Set(await this.read());
    if (paused === now.has(state)) return;
    if (paused) now.add(state);
    else now.delete(state);
    if (now.size === 0) return unlinkIfThere(this.path);
    const text = `${JSON.stringify({ paused: [...now].sort() })}\n`;
    await writeFileAtomic(this.path, [Buffer.from(text)], true);
  }

  watch(onChange: () => void): () => void {
    const listener = (now: { mtimeMs: number; ino: number }, before: { mtimeMs: number; ino: number }) => {
      if (now.mtimeMs !== before.mtimeMs || now.ino !== before.ino) onChange();
    };
    watchFile(this.path, { interval: WATCH_INTERVAL_MS, persistent: false }, listener);
    return () => unwatchFile(this.path, listener);
  }
}

function parsePaused(path: string, text: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: the run's paused states are not JSON (${(error as Error).message}); fix it, or delete it to resume every state`);
  }
  const paused = (value as { paused?: unknown } | null)?.paused;
  if (!Array.isArray(paused) || !paused.every((s) => typeof s === 'string')) {
    throw new Error(`${path}: the run's paused states should be { "paused": ["<state>", …] }, got ${renderValue(value)}`);
  }
  return paused;
}

async function unlinkIfThere(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
