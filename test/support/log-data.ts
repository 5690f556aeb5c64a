import { existsSync, readFileSync } from 'node:fs';

/**
 * A JsonlStore log's data: its bytes up to the first zero byte. With fsync on, the store grows the
 * log with zeroed space ahead of its data (a synced write into it is cheaper), so the file's size
 * is not the data's.
 */
export function logData(file: string): Buffer {
  const bytes = readFileSync(file);
  const zero = bytes.indexOf(0);
  return zero === -1 ? bytes : bytes.subarray(0, zero);
}

/** {@link logData} as text. */
export function logText(file: string): string {
  return logData(file).toString('utf8');
}

/** The bytes of a log's data (0 when there is no log). */
export function logDataBytes(file: string): number {
  return existsSync(file) ? logData(file).length : 0;
}
