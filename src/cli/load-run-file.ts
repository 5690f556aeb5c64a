import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import type { Run } from '../model/run.js';
import { JsonlStore } from '../store/jsonl-store.js';
import { RunLockedError } from '../store/run-locked-error.js';
import { StoreCorruptError } from '../store/store-corrupt-error.js';
import { CliError } from './cli-error.js';

/**
 * Opens a run file for a command: read-only (no lock: a report may read a running run), or for
 * writing (taking the lock: refused while a processor holds the run). Bad input becomes a CliError.
 */
export async function openRunFile(file: string, mode: 'read' | 'write'): Promise<{ store: JsonlStore<unknown, unknown>; run: Run<unknown, unknown> }> {
  const shown = relative(process.cwd(), file) || file;
  if (!existsSync(file)) throw new CliError(`${shown}: no such run file`);
  const store = new JsonlStore<unknown, unknown>(file, { readOnly: mode === 'read', onWarning: (m) => process.stderr.write(`jorb: warning: ${m}\n`) });
  try {
    const run = await store.load();
    if (!run) throw new CliError(`${shown}: no run in the file`);
    return { store, run };
  } catch (error) {
    await store.close().catch(() => undefined);
    if (error instanceof StoreCorruptError || error instanceof RunLockedError) throw new CliError(error.message);
    throw error;
  }
}
