import { resolve } from 'node:path';
import type { Run } from '../model/run.js';
import type { Store } from '../model/store.js';
import type { RunLockedError } from '../store/run-locked-error.js';
import { CliError } from './cli-error.js';
import { shownPath } from './input-file.js';
import { openRunFile } from './load-run-file.js';

/** Where a command finds its run: a JSONL run file, or a run in PostgreSQL (a URL and a run name). */
export type RunSource =
  | { readonly kind: 'file'; readonly path: string; readonly shown: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly run: string; readonly schema: string | undefined; readonly shown: string };

/** The options that name a run in PostgreSQL; `runFlag` is the flag that names it (`--run`, or `--run-name` for diagram). */
export interface RunSourceOptions {
  readonly run?: string | undefined;
  readonly schema?: string | undefined;
}

/** A PostgreSQL URL rather than a path: `postgres://…` or `postgresql://…`. */
export function isPostgresUrl(text: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(text);
}

/**
 * A URL as messages show it: the password (in the user part, or a `password=` parameter) left
 * out. A text that is not a URL shows as the scheme alone, since it may hold a password anywhere.
 */
export function shownUrl(text: string): string {
  try {
    const url = new URL(text);
    url.password = '';
    url.searchParams.delete('password');
    return url.toString();
  } catch {
    return `${text.slice(0, text.indexOf('://') + 3)}… (not a valid URL)`;
  }
}

/** What the command line names: a run file (resolved), or a URL with its run. Mixing the two is bad input. */
export function runSource(argument: string, options: RunSourceOptions, runFlag: '--run' | '--run-name' = '--run'): RunSource {
  if (isPostgresUrl(argument)) {
    const shown = shownUrl(argument);
    if (options.run === undefined || options.run === '') {
      throw new CliError(`${shown}: a PostgreSQL database holds many runs: name the run with ${runFlag} <name> (and --schema <schema> when it is not in the schema "jorb")`);
    }
    return { kind: 'postgres', url: argument, run: options.run, schema: options.schema, shown: `run "${options.run}" at ${shown}` };
  }
  const path = resolve(argument);
  for (const [flag, value] of [[runFlag, options.run], ['--schema', options.schema]] as const) {
    if (value !== undefined) throw new CliError(`${flag} names a run in PostgreSQL, but ${shownPath(path)} is a run file (it holds one run): drop ${flag}, or give a postgres:// URL`);
  }
  return { kind: 'file', path, shown: shownPath(path) };
}

/**
 * Opens the run for a command. Read-only (`'read'`) takes no lock, so a running process keeps its
 * run; `'write'` takes it, and is refused while a process holds the run. Bad input becomes a CliError.
 */
export async function openRun(source: RunSource, mode: 'read' | 'write'): Promise<{ store: Store<unknown, unknown>; run: Run<unknown, unknown> }> {
  if (source.kind === 'file') return openRunFile(source.path, mode);
  // The entry point jorb-ts/postgres, loaded only when a command is given a URL (so pg is loaded only then).
  const { PgStore, PgStoreError } = await import('../postgres/index.js');
  let store: Store<unknown, unknown>;
  try {
    store = new PgStore<unknown, unknown>({ connectionString: source.url, run: source.run, ...(source.schema !== undefined ? { schema: source.schema } : {}), ...(mode === 'read' ? { readOnly: true } : { exclusive: true }) });
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error)); // a malformed URL or option: the message never shows the password
  }
  try {
    const run = await store.load();
    if (!run) throw new CliError(`${source.shown}: no such run in the schema "${source.schema ?? 'jorb'}"`);
    return { store, run };
  } catch (error) {
    await store.close().catch(() => undefined);
    if (error instanceof PgStoreError) throw new CliError(error.message);
    throw error;
  }
}

/** A run in use by a process, as the redrive command says it: who holds it, and what to do. */
export function lockedForRedrive(source: RunSource, error: RunLockedError): CliError {
  const holder = /is in use by (.+?); an exclusive store holds/.exec(error.message)?.[1];
  const who = holder === undefined ? error.message : `${source.shown} is in use by ${holder}`;
  return new CliError(`${who}: stop it before a redrive (--dry-run only reads: it may run now)`);
}
