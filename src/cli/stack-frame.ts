import { resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SourceLocation } from '../model/source-location.js';
import { ownPackage } from './own-package.js';

const FRAME = /^\s*at (?:.*?\()?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?$/;

/**
 * The first frame of an error's stack in the user's code: not in node_modules, not Node.js's
 * own, not in this package's source (so the frame of the `.build()` call, not of compileGraph).
 * Stack traces are source-mapped: tsx maps them to the TypeScript the user wrote.
 */
export function userFrame(error: unknown): SourceLocation | undefined {
  const stack = typeof error === 'object' && error !== null ? (error as { stack?: unknown }).stack : undefined;
  if (typeof stack !== 'string') return undefined;
  const root = ownPackage().root;
  const own = ['src', 'dsl', 'dist', 'bin'].map((dir) => resolve(root, dir) + sep);
  for (const line of stack.split('\n')) {
    const match = FRAME.exec(line);
    if (!match) continue;
    const [, where, lineText, columnText] = match as unknown as [string, string, string, string];
    if (where.startsWith('node:')) continue;
    const file = where.startsWith('file://') ? fileURLToPath(where) : where;
    if (!file.startsWith(sep) && !/^[A-Za-z]:[\\/]/.test(file)) continue; // not a path: <anonymous>, native, eval
    if (file.includes(`${sep}node_modules${sep}`) || own.some((dir) => file.startsWith(dir))) continue;
    return { file, line: Number(lineText), column: Number(columnText) };
  }
  return undefined;
}
