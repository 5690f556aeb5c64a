import { fileURLToPath } from 'node:url';

/**
 * Where a state was declared in source: file path, 1-based line and column. Lint findings and
 * `jorb check` point here, so CI annotations land on the `.state(...)` call.
 *
 * @example
 * ```ts
 * const { file, line, column } = crawl.graph.state('fetch')?.source ?? { file: '?', line: 0, column: 0 };
 * ```
 * @public
 */
export interface SourceLocation {
  /** Absolute path of the file. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
}

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
