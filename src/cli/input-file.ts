import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { relative } from 'node:path';
import { CliError } from './cli-error.js';

/** What a command is given: a module to import or a run file to open. */
export type InputKind = 'module' | 'run file';

/** A path as the user reads it: relative to where they ran the command. */
export function shownPath(path: string): string {
  return relative(process.cwd(), path) || path;
}

/**
 * Checks a file named on the command line before it is opened, so that a missing file, a
 * directory or a file the user may not read is one clear line rather than an errno.
 */
export function checkInputFile(path: string, kind: InputKind): void {
  const shown = shownPath(path);
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (error) {
    if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') throw new CliError(`${shown}: no such ${kind === 'module' ? 'file' : kind}`);
    throw new CliError(`${shown}: cannot be read: ${describeErrno(error)}`);
  }
  if (isDirectory) throw new CliError(`${shown}: is a directory, not a ${kind}${directoryHint(path, kind)}`);
  try {
    accessSync(path, constants.R_OK);
  } catch (error) {
    throw new CliError(`${shown}: cannot be read: ${describeErrno(error)}`);
  }
}

/** Names a few files of the directory that could be what was meant. */
function directoryHint(path: string, kind: InputKind): string {
  const wanted = kind === 'module' ? /\.(?:[cm]?[jt]s|tsx|jsx)$/ : /\.jsonl$/;
  let names: string[];
  try {
    names = readdirSync(path).filter((name) => wanted.test(name)).sort();
  } catch {
    return '';
  }
  if (names.length === 0) return kind === 'module' ? ': name a .ts or .js file' : ' (it holds no .jsonl file)';
  const listed = names.slice(0, 5).join(', ') + (names.length > 5 ? `, … (${names.length - 5} more)` : '');
  return `: name one of its files (${listed})`;
}

const ERRNO_WORDS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a directory',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  ENOSPC: 'no space left on the device',
  EROFS: 'the file system is read-only',
  EMFILE: 'too many open files',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'the name is too long',
};

/** The errno code of a Node.js system error, if it is one. */
export function errnoOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : undefined;
}

/** A system error in words: `permission denied`, or its own message for a code without words. */
export function describeErrno(error: unknown): string {
  const code = errnoOf(error);
  const words = code === undefined ? undefined : ERRNO_WORDS[code];
  if (words !== undefined) return words;
  return error instanceof Error ? error.message : String(error);
}

/** A system error met while working on a file, as one line naming the file: `runs/x.jsonl: permission denied (open)`. */
export function fileErrorLine(error: unknown): string | undefined {
  const code = errnoOf(error);
  if (code === undefined) return undefined;
  const { path, syscall } = error as { path?: unknown; syscall?: unknown };
  const where = typeof path === 'string' ? `${shownPath(path)}: ` : '';
  return `${where}${describeErrno(error)}${typeof syscall === 'string' ? ` (${syscall})` : ''}`;
}
