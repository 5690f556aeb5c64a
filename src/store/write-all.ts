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
    if (bytesWritten <= 0) throw Object.assign(new Error(`ENOSPC: no space left on device, write (${done} of ${bytes.length} bytes written)`), { code: 'ENOSPC' });
    done += bytesWritten;
  }
}
