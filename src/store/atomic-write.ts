import { open, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces `path` with the chunks as one atomic step: write a temporary file beside it, fsync it,
 * rename it over `path`, fsync the directory. A crash at any moment leaves the old file or the new
 * one, never a mix.
 */
export async function writeFileAtomic(path: string, chunks: Iterable<string | Uint8Array>, sync: boolean): Promise<number> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const handle = await open(temp, 'w');
  let bytes = 0;
  try {
    for (const chunk of chunks) {
      const { bytesWritten } = typeof chunk === 'string' ? await handle.write(chunk) : await handle.write(chunk, 0, chunk.length);
      bytes += bytesWritten;
    }
    if (sync) await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  if (sync) await syncDirectory(dirname(path));
  return bytes;
}

/** Makes a rename or a new file in `dir` durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
