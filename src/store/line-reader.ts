import { open } from 'node:fs/promises';

/** One line of a file, with its 1-based number; `terminated` is false for a last line with no newline. */
export interface Line {
  readonly text: string;
  readonly number: number;
  readonly terminated: boolean;
  /** Byte offset of the line's first byte. */
  readonly start: number;
  /** Byte offset just past this line (and its newline). */
  readonly end: number;
}

/**
 * Reads a file line by line in large chunks: a 1,000,000-job run is hundreds of megabytes, more
 * than one string may hold, and readline is several times slower. Yields each chunk's lines as one
 * array: one `await` per chunk rather than per line (a million awaits cost more than the reading).
 */
export async function* readLineBatches(path: string, chunkBytes = 4 << 20): AsyncGenerator<Line[]> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(chunkBytes);
    let carry = Buffer.alloc(0);
    let offset = 0; // bytes of the file consumed into complete lines
    let number = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, chunkBytes, null);
      if (bytesRead === 0) break;
      const data = carry.length > 0 ? Buffer.concat([carry, buffer.subarray(0, bytesRead)]) : buffer.subarray(0, bytesRead);
      const lines: Line[] = [];
      let start = 0;
      for (let nl = data.indexOf(10, start); nl !== -1; nl = data.indexOf(10, start)) {
        const lineStart = offset;
        offset += nl - start + 1;
        lines.push({ text: data.toString('utf8', start, nl), number: ++number, terminated: true, start: lineStart, end: offset });
        start = nl + 1;
      }
      carry = Buffer.from(data.subarray(start));
      if (lines.length > 0) yield lines;
    }
    if (carry.length > 0) yield [{ text: carry.toString('utf8'), number: ++number, terminated: false, start: offset, end: offset + carry.length }];
  } finally {
    await handle.close();
  }
}

/** The lines of a file one by one (see {@link readLineBatches}). */
export async function* readLines(path: string, chunkBytes = 4 << 20): AsyncGenerator<Line> {
  for await (const lines of readLineBatches(path, chunkBytes)) yield* lines;
}
