import { fileURLToPath } from 'node:url';

import type { SourceLocation } from '../model/source-location.js';

const FRAME = /(?:\()?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?$/;

/**
 * The location of the code that called `fn`, read from a stack trace (source-mapped when the
 * loader maps, as tsx and vitest do); undefined when the runtime gives no usable frame.
 */
export function callerLocation(fn: (...args: never[]) => unknown): SourceLocation | undefined {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 2;
  Error.captureStackTrace(holder, fn);
  Error.stackTraceLimit = limit;
  const frame = holder.stack?.split('\n')[1]?.trim();
  const match = frame === undefined ? null : FRAME.exec(frame);
  if (!match) return undefined;
  const [, where, line, column] = match as unknown as [string, string, string, string];
  if (where.startsWith('node:')) return undefined;
  const file = where.startsWith('file://') ? fileURLToPath(where) : where;
  return { file, line: Number(line), column: Number(column) };
}
