import type { Run } from '../model/run.js';
import { JsonlStore } from '../store/jsonl-store.js';
import { RunLockedError } from '../store/run-locked-error.js';
import { StoreCorruptError } from '../store/store-corrupt-error.js';
import { CliError } from './cli-error.js';
import { checkInputFile, fileErrorLine, shownPath } from './input-file.js';

/**
 * Opens a run file for a command: read-only (no lock: a report may read a running run), or for
 * writing (taking the lock: refused while a processor holds the run). Bad input becomes a CliError.
 */
export async function openRunFile(file: string, mode: 'read' | 'write'): Promise<{ store: JsonlStore<unknown, unknown>; run: Run<unknown, unknown> }> {
  const shown = shownPath(file);
  checkInputFile(file, 'run file');
  const store = new JsonlStore<unknown, unknown>(file, { readOnly: mode === 'read', onWarning: (m) => process.stderr.write(`jorb: warning: ${m}\n`) });
  try {
    const run = await store.load();
    if (!run) throw new CliError(`${shown}: no run in the file`);
    return { store, run };
  } catch (error) {
    await store.close().catch(() => undefined);
    throw asCliError(error);
  }
}

/** A store's refusal (corrupt, locked) or a system error on the file, as bad input; anything else as it is. */
export function asCliError(error: unknown): unknown {
  if (error instanceof StoreCorruptError || error instanceof RunLockedError) return new CliError(error.message);
  const line = fileErrorLine(error);
  return line === undefined ? error : new CliError(line);
}
