/**
 * UTF-8 bytes built up in one growing buffer. Appending a hundred thousand encoded lines to a string
 * builds a rope that the write then flattens and encodes again, and most of the time goes to the
 * garbage collector; writing each line straight into a buffer costs about half.
 */
export class ByteSink {
  #buffer: Buffer;
  #length = 0;

  constructor(initialBytes = 1 << 16) {
    this.#buffer = Buffer.allocUnsafe(initialBytes);
  }

  get length(): number {
    return this.#length;
  }

  write(text: string): void {
    const room = this.#length + 3 * text.length; // a UTF-16 code unit is at most 3 UTF-8 bytes
    if (room > this.#buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(room, 2 * this.#buffer.length));
      this.#buffer.copy(grown, 0, 0, this.#length);
      this.#buffer = grown;
    }
    this.#length += this.#buffer.write(text, this.#length, 'utf8');
  }

  /** The bytes so far, and a fresh start. The view shares the buffer: write it out before the next `write`. */
  take(): Buffer {
    const bytes = this.#buffer.subarray(0, this.#length);
    this.#length = 0;
    return bytes;
  }
}
