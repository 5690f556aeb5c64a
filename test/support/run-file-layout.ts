// Where the lines and batches of a JSONL run's files are, worked out from the bytes alone (not with
// the store's reader), so a test can say which line a damage is on and which batch holds it.

/** One line of a file: 1-based number, byte offsets of its first byte and just past its newline. */
export interface FileLine {
  readonly number: number;
  readonly start: number;
  readonly end: number;
}

/** One batch of a version 2 log: its record lines and the line that closes it. */
export interface LogBatch {
  /** 0-based index of the batch in the log. */
  readonly index: number;
  /** Line number of its first record line. */
  readonly firstLine: number;
  /** Line number of its batch line. */
  readonly batchLine: number;
  /** Byte offset of its first byte. */
  readonly start: number;
  /** Byte offset just past its batch line. */
  readonly end: number;
  /** How many records it holds. */
  readonly records: number;
  /** How many records come before it in the log. */
  readonly recordsBefore: number;
}

/** The lines of a file whose every line ends with a newline. */
export function fileLines(bytes: Buffer): FileLine[] {
  const lines: FileLine[] = [];
  let start = 0;
  for (let nl = bytes.indexOf(10); nl !== -1; nl = bytes.indexOf(10, start)) {
    lines.push({ number: lines.length + 1, start, end: nl + 1 });
    start = nl + 1;
  }
  if (start !== bytes.length) throw new Error(`run-file-layout: the file does not end with a newline (${bytes.length - start} bytes after the last one)`);
  return lines;
}

/** The 1-based line holding byte `offset` of `bytes`: one more than the newlines before it. */
export function lineAt(bytes: Buffer, offset: number): number {
  let line = 1;
  for (let i = bytes.indexOf(10); i !== -1 && i < offset; i = bytes.indexOf(10, i + 1)) line++;
  return line;
}

/** A version 2 log as the writer left it: every line terminated, each batch closed by its `{"batch":…}` line. */
export interface LogLayout {
  readonly lines: readonly FileLine[];
  readonly batches: readonly LogBatch[];
  /** The batch of each line: `batchOf[number - 1]`. */
  readonly batchOf: readonly LogBatch[];
}

export function logLayout(log: Buffer): LogLayout {
  const lines = fileLines(log);
  const batches: LogBatch[] = [];
  const batchOf: LogBatch[] = [];
  let open: FileLine[] = [];
  let recordsBefore = 0;
  for (const line of lines) {
    const value = JSON.parse(log.toString('utf8', line.start, line.end)) as Record<string, unknown>;
    if (!('batch' in value)) {
      open.push(line);
      continue;
    }
    const first = open[0];
    if (first === undefined) throw new Error(`run-file-layout: line ${line.number} closes no records`);
    const batch: LogBatch = { index: batches.length, firstLine: first.number, batchLine: line.number, start: first.start, end: line.end, records: open.length, recordsBefore };
    batches.push(batch);
    for (let i = 0; i <= open.length; i++) batchOf.push(batch);
    recordsBefore += open.length;
    open = [];
  }
  if (open.length > 0) throw new Error(`run-file-layout: ${open.length} records after the last batch line`);
  return { lines, batches, batchOf };
}
