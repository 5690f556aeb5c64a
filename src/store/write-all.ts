import { writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/**
 * Writes every byte or throws. `write` may write fewer bytes than asked (a nearly full disk does
 * exactly that before it answers ENOSPC); a short count is not success, so write the rest, and a
 * write that makes no progress is an error naming how far it got.
 */
export async function writeAll(handle: FileHandle, bytes: Uint8Array, position?: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const at = position === undefined ? null : position + done;
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, at);
    done = progress(done, bytesWritten, bytes.length);
  }
}

/** {@link writeAll} in this thread: for writes known to take less than the thread pool's round trip. */
export function writeAllSync(handle: FileHandle, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) done = progress(done, writeSync(handle.fd, bytes, done, bytes.length - done, position + done), bytes.length);
}

function progress(done: number, bytesWritten: number, length: number): number {
  if (bytesWritten <= 0) throw Object.assign(new Error(`ENOSPC: no space left on device, write (${done} of ${length} bytes written)`), { code: 'ENOSPC' });
  return done + bytesWritten;
}
