import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Run } from '../model/run.js';
import type { StoreRecord } from '../model/store-record.js';
import { asBatchEnd } from '../store/jsonl-format.js';
import { readRunFiles } from '../store/jsonl-reader.js';
import { lockOwner } from '../store/run-lock.js';
import { StoreCorruptError } from '../store/store-corrupt-error.js';

/** What a run feed tells its listener: records the log gained (applied by the listener), or a run read again whole. */
export interface FeedListener {
  /** New records, in order; the listener applies them to the run it holds. */
  records(records: readonly StoreRecord<unknown>[]): void;
  /** The run read again from scratch (the tail lost its place: a compaction it did not follow). */
  reloaded(run: Run<unknown, unknown>): void;
}

/** The most bytes of log read per look (more are read at the next). */
const READ_BYTES = 8 << 20;
/** The longest batch the tail can read (65,536 records of 2 KiB). */
const MAX_BATCH_BYTES = 128 << 20;

/**
 * Follows a JSONL run a processor may be writing, without its lock: the snapshot read once (as a
 * read-only JsonlStore reads it, again while it meets the writer mid-write), then the log's new
 * whole batches read as they are written (each look reads only the bytes added since, at most
 * every `intervalMs`). A compaction (a new snapshot renamed in, the log emptied) is followed
 * when the new snapshot holds nothing past what was read; else the run is read again whole.
 */
export class JsonlTail {
  readonly path: string;
  readonly logPath: string;
  #seq = 0;
  #offset = 0;
  #snapshot = '';
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #listener: FeedListener | undefined;
  /** Where the log is read into (grown for a batch longer than it). */
  #buffer = Buffer.allocUnsafe(256 << 10);

  constructor(path: string) {
    this.path = path;
    this.logPath = `${path}.log`;
  }

  /** Reads the run (undefined when the file holds none). */
  async load(): Promise<Run<unknown, unknown> | undefined> {
    for (let attempt = 1; ; attempt++) {
      const live = lockOwner(this.path) !== undefined;
      const before = snapshotIdentity(this.path);
      try {
        const read = await readRunFiles<unknown, unknown>(this.path, this.logPath, { trustEdits: false, warn: () => undefined });
        if (read === undefined) return undefined;
        if (live && snapshotIdentity(this.path) !== before && attempt < 20) continue;
        this.#seq = read.seq;
        this.#snapshot = before;
        this.#offset = 0; // records up to seq are skipped as the log is read from its start
        return read.run;
      } catch (error) {
        const theWriters = error instanceof StoreCorruptError || (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
        if (!theWriters || !live || attempt >= 20) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Starts looking for new records every `intervalMs` (never two looks at once). */
  follow(listener: FeedListener, intervalMs: number): void {
    this.#listener = listener;
    const look = async () => {
      if (this.#closed) return;
      try {
        await this.look();
      } catch {
        // A look that meets the writer mid-compaction is made again at the next tick.
      }
      if (!this.#closed) this.#timer = setTimeout(() => void look(), intervalMs);
    };
    this.#timer = setTimeout(() => void look(), 0);
  }

  /** One look at the files: the new whole batches of the log, or a reload. */
  async look(): Promise<void> {
    const listener = this.#listener;
    if (listener === undefined) return;
    const identity = snapshotIdentity(this.path);
    if (identity !== this.#snapshot) {
      const headerSeq = snapshotSeq(this.path);
      if (headerSeq === undefined) return; // gone or mid-rename: look again later
      if (headerSeq > this.#seq) return this.#reload(listener);
      this.#snapshot = identity;
      this.#offset = 0;
    }
    const size = statSync(this.logPath, { throwIfNoEntry: false })?.size ?? 0;
    if (size < this.#offset) this.#offset = 0; // emptied by a compaction
    if (size <= this.#offset) return;
    const handle = await open(this.logPath, 'r').catch(() => undefined);
    if (handle === undefined) return;
    const found: StoreRecord<unknown>[] = [];
    let seq = this.#seq;
    let offset = this.#offset;
    try {
      // The log grows zeroed space ahead of its data (megabytes with fsync on): read it a chunk at
      // a time up to the first zero byte, not up to its size.
      for (let total = 0; total < READ_BYTES; ) {
        const want = Math.min(size - offset, this.#buffer.length);
        if (want <= 0) break;
        const { bytesRead } = await handle.read(this.#buffer, 0, want, offset);
        let bytes = this.#buffer.subarray(0, bytesRead);
        const zero = bytes.indexOf(0);
        if (zero >= 0) bytes = bytes.subarray(0, zero);
        const read = wholeBatches(bytes, seq);
        if (read === 'gap') return await this.#reload(listener); // records this tail never saw
        for (const record of read.records) found.push(record);
        seq = read.seq;
        offset += read.consumed;
        total += read.consumed;
        if (read.consumed === 0) {
          // A batch longer than the buffer: a bigger one, up to the most read per look.
          if (zero < 0 && bytesRead === this.#buffer.length && this.#buffer.length < MAX_BATCH_BYTES) {
            this.#buffer = Buffer.allocUnsafe(this.#buffer.length * 2);
            continue;
          }
          break;
        }
        if (zero >= 0 || bytesRead < want) break; // the end of the data
      }
    } finally {
      await handle.close();
    }
    // Only what was read whole moves the tail on: a look that failed part way is made again.
    this.#seq = seq;
    this.#offset = offset;
    if (found.length > 0) listener.records(found);
  }

  async #reload(listener: FeedListener): Promise<void> {
    const run = await this.load();
    if (run) listener.reloaded(run);
  }

  /** The last sequence number read. */
  get seq(): number {
    return this.#seq;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }
}

/** The records after `seq` of the whole batches in `bytes`, and how many bytes those batches take; 'gap' when one is missing. */
function wholeBatches(bytes: Buffer, after: number): { records: StoreRecord<unknown>[]; seq: number; consumed: number } | 'gap' {
  const records: StoreRecord<unknown>[] = [];
  let pending: (StoreRecord<unknown> & { seq: number })[] = [];
  let start = 0;
  let consumed = 0;
  let seq = after;
  for (let nl = bytes.indexOf(10); nl !== -1; nl = bytes.indexOf(10, start)) {
    const value: unknown = JSON.parse(bytes.toString('utf8', start, nl));
    start = nl + 1;
    const end = asBatchEnd(value);
    if (end === undefined) {
      pending.push(value as StoreRecord<unknown> & { seq: number });
      continue;
    }
    if ('problem' in end) throw new Error(end.problem);
    for (const record of pending) {
      if (record.seq <= seq) continue;
      if (record.seq !== seq + 1) return 'gap';
      seq = record.seq;
      records.push(record);
    }
    pending = [];
    consumed = start;
  }
  return { records, seq, consumed };
}

/** Which snapshot file is at `path` now: a compaction renames a new one into place, a close rewrites its log line. */
function snapshotIdentity(path: string): string {
  const stat = statSync(path, { throwIfNoEntry: false });
  return stat === undefined ? 'none' : `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
}

/** The `seq` of the snapshot's header line: the last log record it holds. */
function snapshotSeq(path: string): number | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buffer = Buffer.alloc(64 << 10);
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    const nl = buffer.subarray(0, n).indexOf(10);
    if (nl < 0) return undefined;
    const header = JSON.parse(buffer.toString('utf8', 0, nl)) as { seq?: unknown };
    return typeof header.seq === 'number' ? header.seq : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
