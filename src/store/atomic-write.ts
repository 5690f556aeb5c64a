import { crc32 } from 'node:zlib';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { writeAll } from './write-all.js';

/** What an atomic write put on disk. */
export interface WrittenFile {
  readonly bytes: number;
  readonly crc32: number;
}

/**
 * Replaces `path` with the chunks as one atomic step: write a temporary file beside it (every
 * byte, or an error), fsync it, read it back and compare its size and CRC-32 with what was
 * written, rename it over `path`, fsync the directory. A crash at any moment leaves the old file or
 * the new one, never a mix; any failure (a full disk, a short write, a file that does not read
 * back as written) removes the temporary file and leaves `path` as it was.
 */
export async function writeFileAtomic(path: string, chunks: Iterable<Uint8Array>, sync: boolean): Promise<WrittenFile> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    const written = await writeTemp(temp, chunks, sync);
    const read = await checksumOf(temp);
    if (read.bytes !== written.bytes || read.crc32 !== written.crc32) {
      throw new Error(`${temp}: the snapshot does not read back as written (${read.bytes} of ${written.bytes} bytes, CRC-32 ${hex(read.crc32)} for ${hex(written.crc32)}): kept the previous one`);
    }
    await rename(temp, path);
    if (sync) await syncDirectory(dirname(path));
    return written;
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

async function writeTemp(temp: string, chunks: Iterable<Uint8Array>, sync: boolean): Promise<WrittenFile> {
  const handle = await open(temp, 'w');
  let bytes = 0;
  let crc = 0;
  try {
    for (const chunk of chunks) {
      await writeAll(handle, chunk);
      bytes += chunk.length;
      crc = crc32(chunk, crc);
    }
    if (sync) await handle.sync();
  } finally {
    await handle.close();
  }
  return { bytes, crc32: crc };
}

/** The size and CRC-32 of a file, read in large chunks. */
export async function checksumOf(path: string): Promise<WrittenFile> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(4 << 20);
    let bytes = 0;
    let crc = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return { bytes, crc32: crc };
      crc = crc32(buffer.subarray(0, bytesRead), crc);
      bytes += bytesRead;
    }
  } finally {
    await handle.close();
  }
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

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}
