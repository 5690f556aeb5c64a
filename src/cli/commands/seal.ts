import { resolve } from 'node:path';
import { JsonlStore } from '../../store/jsonl-store.js';
import { CliError } from '../cli-error.js';
import { checkInputFile, shownPath } from '../input-file.js';
import { asCliError } from '../load-run-file.js';
import { isPostgresUrl, shownUrl } from '../run-source.js';

/**
 * `jorb seal`: accepts a run file edited by hand. Loads it trusting its checksums and counts (its
 * structure, fields and sequence numbers are still checked), then writes it back with fresh ones.
 */
export async function seal(file: string, out: (line: string) => void): Promise<void> {
  if (isPostgresUrl(file)) {
    throw new CliError(
      `${shownUrl(file)}: jorb seal is for run files edited by hand (it writes fresh checksums); a run in PostgreSQL has no checksums: edit its rows in SQL, and jorb report --run <name> checks every row as it loads them`,
    );
  }
  const path = resolve(file);
  const shown = shownPath(path);
  checkInputFile(path, 'run file');
  const accepted: string[] = [];
  const store = new JsonlStore<unknown, unknown>(path, { trustEdits: true, onWarning: (message) => accepted.push(message) });
  try {
    const run = await store.load();
    if (!run) throw new CliError(`${shown}: no run in the file`);
    await store.close();
    for (const message of accepted) out(`accepted: ${message}`);
    out(`${shown}: sealed, ${run.jobs.size} jobs${accepted.length === 0 ? ' (it verified as it was)' : ''}`);
  } catch (error) {
    await store.close().catch(() => undefined);
    throw asCliError(error);
  }
}
