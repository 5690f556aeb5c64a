import type { FileHandle } from 'node:fs/promises';
import { writeAll } from './write-all.js';

/**
 * The most zeroed space the log grows by at a time. A synced write into space the file already has
 * needs no metadata update (its size and blocks are on disk already), which makes it about a third
 * faster here than a synced append (0.10 against 0.15 ms). The log grows by what this store has
 * written to it so far (at most this): the first batch is a plain append, and a store that writes
 * little writes few zeroes, whatever the log's size.
 */
export const LOG_GROWTH_BYTES = 4 << 20;

/**
 * Where a log's data ends: at its first zero byte (or its end). Records never contain a zero byte
 * (JSON escapes U+0000, and UTF-8 encodes no other character with one), so zeroes are space grown
 * ahead of the data, never data; the reader stops at the same byte. Found reading forward, not
 * back from the end: after a power loss, a batch written into the zeroed space may have landed in
 * part, with zeroes before bytes that did land, and everything from the first zero on is not data.
 */
export async function dataEnd(handle: FileHandle, size: number): Promise<number> {
  const step = 1 << 20;
  const buffer = Buffer.allocUnsafe(step);
  for (let start = 0; start < size; start += step) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(step, size - start), start);
    const zero = buffer.subarray(0, bytesRead).indexOf(0);
    if (zero !== -1) return start + zero;
    if (bytesRead === 0) return start;
  }
  return size;
}

/**
 * Grows the file from `size` with zeroes so that `needed` bytes fit; returns the new size. Where
 * the zeroes do not fit (a nearly full disk), the file is cut back to `size` and stays there: the
 * batch is then written past its end as an append, and fails (or not) on its own bytes alone.
 */
export async function growZeroed(handle: FileHandle, size: number, needed: number, written: number): Promise<number> {
  if (needed <= size) return size;
  const grown = Math.max(needed, size + Math.min(LOG_GROWTH_BYTES, written));
  try {
    await writeAll(handle, Buffer.alloc(grown - size), size);
    return grown;
  } catch (error) {
    // Where even that fails (a device that is always full), the write's own error is the one to report.
    try {
      await handle.truncate(size);
    } catch {
      throw error;
    }
    return size;
  }
}
