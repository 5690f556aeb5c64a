/**
 * A run file that cannot be read as it is: names the file, the 1-based line and what is wrong.
 * Nothing is rewritten when it is thrown; fix the line (or remove it) and load again.
 *
 * @example
 * ```ts
 * try { await store.load(); }
 * catch (e) { if (e instanceof StoreCorruptError) console.error(`${e.file}:${e.line}: ${e.problem}`); }
 * ```
 * @public
 */
export class StoreCorruptError extends Error {
  /** Always `'StoreCorruptError'`. */
  override readonly name = 'StoreCorruptError';
  /** The file. */
  readonly file: string;
  /** The 1-based line number, 0 when the problem is the file as a whole. */
  readonly line: number;
  /** What is wrong with it. */
  readonly problem: string;

  constructor(file: string, line: number, problem: string) {
    super(`${file}${line > 0 ? `:${line}` : ''}: ${problem}`);
    this.file = file;
    this.line = line;
    this.problem = problem;
  }
}
