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

/** The lines read from one chunk of a file, with their bytes (for checksums). */
export interface LineBatch {
  readonly lines: readonly Line[];
  /** The bytes of exactly these lines: `bytes[i - offset]` is the file's byte `i`. */
  readonly bytes: Buffer;
  /** The file offset of `bytes[0]`. */
  readonly offset: number;
}

/**
 * Reads a file line by line in large chunks: a 1,000,000-job run is hundreds of megabytes, more
 * than one string may hold, and readline is several times slower. Yields each chunk's lines as one
 * batch: one `await` per chunk rather than per line (a million awaits cost more than the reading).
 * A line longer than a chunk is carried over as a list of pieces and joined once, so very long
 * lines cost linear time. With `endAtZero`, the file ends at its first zero byte: a log grows
 * zeroed space ahead of its data, and no line holds a zero byte.
 */
export async function* readLineBatches(path: string, { chunkBytes = 4 << 20, endAtZero = false } = {}): AsyncGenerator<LineBatch> {
  const handle = await open(path, 'r');
  try {
    let carry: Buffer[] = [];
    let carryBytes = 0;
    let offset = 0; // bytes of the file consumed into complete lines
    let number = 0;
    for (let atEnd = false; !atEnd; ) {
      const buffer = Buffer.allocUnsafe(chunkBytes);
      const { bytesRead } = await handle.read(buffer, 0, chunkBytes, null);
      if (bytesRead === 0) break;
      const zero = endAtZero ? buffer.subarray(0, bytesRead).indexOf(0) : -1;
      atEnd = zero !== -1;
      const chunk = buffer.subarray(0, atEnd ? zero : bytesRead);
      const firstNewline = chunk.indexOf(10);
      if (firstNewline === -1) {
        carry.push(chunk);
        carryBytes += chunk.length;
        continue;
      }
      const data = carryBytes > 0 ? Buffer.concat([...carry, chunk]) : chunk;
      const lines: Line[] = [];
      const batchOffset = offset;
      let start = 0;
      for (let nl = carryBytes + firstNewline; nl !== -1; nl = data.indexOf(10, start)) {
        const lineStart = offset;
        offset += nl - start + 1;
        lines.push({ text: data.toString('utf8', start, nl), number: ++number, terminated: true, start: lineStart, end: offset });
        start = nl + 1;
      }
      carry = start < data.length ? [data.subarray(start)] : [];
      carryBytes = data.length - start;
      yield { lines, bytes: data.subarray(0, start), offset: batchOffset };
    }
    if (carryBytes > 0) {
      const rest = Buffer.concat(carry);
      const line: Line = { text: rest.toString('utf8'), number: ++number, terminated: false, start: offset, end: offset + rest.length };
      yield { lines: [line], bytes: rest, offset };
    }
  } finally {
    await handle.close();
  }
}
