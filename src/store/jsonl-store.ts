import { constants, existsSync, statSync } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { bindRun, flushUnsavedRecords, type Run } from '../model/run.js';
import { RunError } from '../model/run-error.js';
import { toSnapshot } from '../model/run-snapshot.js';
import type { PausedStates } from '../model/paused-states.js';
import { PausedFile } from './paused-file.js';
import type { Store } from '../model/store.js';
import type { StoreRecord } from '../model/store-record.js';
import type { WorkflowStates } from '../model/workflow-states.js';
import { writeFileAtomic } from './atomic-write.js';
import { ByteSink } from './byte-sink.js';
import { encodeBatchEnd, encodeHeader, encodeJob, encodeLogState, encodeRecord, encodeSnapshotEnd, type LogState } from './jsonl-format.js';
import { type ReadRun, readRunFiles } from './jsonl-reader.js';
import { lockOwner, RunLock } from './run-lock.js';
import { StoreCorruptError } from './store-corrupt-error.js';
import { dataEnd, growZeroed } from './log-space.js';
import { LogWriter } from './log-writer.js';
import { writeAll } from './write-all.js';
import { renderValue } from '../model/render-value.js';
import { checkOptions, optionKeys } from '../model/check-option.js';

/**
 * Options of a {@link JsonlStore}.
 *
 * @example
 * ```ts
 * new JsonlStore<OC, JC>('runs/crawl.jsonl', { compactAfterBytes: 16 << 20 });
 * ```
 * @public
 */
export interface JsonlStoreOptions {
  /**
   * fsync every batch before acknowledging it (and every snapshot before renaming it). Turning it
   * off trades the `kill -9`/power-loss guarantee for speed: a process crash still loses nothing
   * the OS accepted, a machine crash may.
   * @defaultValue true
   */
  readonly fsync?: boolean;
  /**
   * Compact the log into a new snapshot once it holds this many bytes and is larger than the
   * snapshot, so restart time stays proportional to the run, not to its history.
   * Minimum: 1.
   * @defaultValue 64 MiB
   */
  readonly compactAfterBytes?: number;
  /**
   * Most records written (and fsynced) as one batch; a larger append is split.
   * Minimum: 1.
   * @defaultValue 65,536
   */
  readonly maxBatchRecords?: number;
  /** Receives warnings, such as a torn last batch dropped on load. @defaultValue `process.emitWarning` */
  readonly onWarning?: (message: string) => void;
  /**
   * Only read: `load()` takes no lock (so a report can read a run a processor is writing; a read
   * that meets the writer mid-write or mid-compaction is retried) and every write throws.
   * @defaultValue false
   */
  readonly readOnly?: boolean;
  /**
   * Accept files edited by hand: checksums and counts that do not match, and a missing log, load
   * with a warning instead of an error; `close()` writes the run back with fresh checksums. This is
   * what `jorb seal <file>` does. Structure is still checked: bad JSON, unknown fields, gaps in the
   * log's sequence numbers and records naming missing jobs are errors.
   * @defaultValue false
   */
  readonly trustEdits?: boolean;
}

const JSONL_STORE_OPTION_KEYS = optionKeys<JsonlStoreOptions>({ fsync: true, compactAfterBytes: true, maxBatchRecords: true, onWarning: true, readOnly: true, trustEdits: true });

/**
 * The log's flags. Batches are written at their offset (the log grows zeroed space ahead of its
 * data), so not O_APPEND. With fsync on, O_DSYNC: a write returns once its data is durable. Where
 * the system has no O_DSYNC (Windows), each batch is fdatasynced instead.
 */
const DSYNC: number | undefined = (constants as { O_DSYNC?: number }).O_DSYNC;
const LOG_FLAGS = constants.O_RDWR | constants.O_CREAT;
const LOG_SYNC_FLAGS = DSYNC === undefined ? LOG_FLAGS : LOG_FLAGS | DSYNC;

/** How often a read-only load retries a live run's files that changed while it read them. */
const LIVE_READ_TRIES = 20;
const LIVE_READ_WAIT_MS = 25;

/**
 * The embedded default store: a run in a JSONL snapshot file (`path`: a header line, one line per
 * job, an end line with a count and a checksum) plus an append-only log beside it (`path + '.log'`:
 * batches of records, each closed by a line with its checksum). Appends are group-committed (one
 * write and one fsync per batch), every byte written or an error; the log is compacted into a new
 * snapshot (temp file, fsync, read back and verified, rename, fsync the directory) as it grows;
 * loading verifies every checksum and sequence number. A lock file (`path + '.lock'`) keeps a
 * second process off the run. Format: docs/format.md.
 * It compacts from the run it loaded or was last given to `checkpoint`: records appended through
 * it must also be applied to that run (the processor does both).
 *
 * @example
 * ```ts
 * const store = new JsonlStore<OC, JC>('runs/crawl.jsonl');
 * const run = (await store.load(crawl)) ?? crawl.newRun('crawl', oc).add({ url: seed }, 'fetch');
 * await new Processor(crawl, ac, { store }).exec(run);
 * await store.close();
 * ```
 * @public
 */
export class JsonlStore<OC, JC> implements Store<OC, JC> {
  /** The snapshot file. */
  readonly path: string;
  /** The log file. */
  readonly logPath: string;
  readonly #fsync: boolean;
  readonly #compactAfterBytes: number;
  readonly #maxBatch: number;
  readonly #warn: (message: string) => void;
  readonly #lock: RunLock;
  readonly #readOnly: boolean;
  readonly #trustEdits: boolean;
  #seq = 0;
  #loaded = false;
  #log: FileHandle | undefined;
  /** Where the log's last good batch ends, when load dropped a torn one after it. */
  #truncateLogTo: number | undefined;
  /** Where the log's data ends (the next batch's offset). */
  #logBytes = 0;
  /** The log file's size: its data, then zeroed space grown ahead of it (with fsync on). */
  #logSize = 0;
  /** Bytes of batches this store has written (how far ahead the log grows). */
  #logWritten = 0;
  #snapshotBytes = 0;
  /** What the snapshot's log line says, and where it is (version 2): flipped to `active` before the first append. */
  #logState: { state: LogState; offset: number } | undefined;
  #run: Run<OC, JC> | undefined;
  /** Records exist that the snapshot does not hold yet (appended, or replayed from the log on load). */
  #dirty = false;
  /** A write failed and its bytes could not be taken back: the log must not grow behind them. */
  #broken: Error | undefined;
  /** Where a batch is encoded (reused: one append runs at a time). */
  readonly #sink = new ByteSink();
  readonly #logWriter = new LogWriter();
  #closed = false;

  constructor(path: string, options: JsonlStoreOptions = {}) {
    if (typeof path !== 'string' || path.length === 0) throw new TypeError(`JsonlStore: path must be a non-empty string, got ${renderValue(path)}`);
    checkOptions('JsonlStore', options, JSONL_STORE_OPTION_KEYS, '{ fsync: false }');
    this.path = path;
    this.logPath = `${path}.log`;
    this.#fsync = options.fsync ?? true;
    this.#compactAfterBytes = positive('compactAfterBytes', options.compactAfterBytes ?? 64 << 20);
    this.#maxBatch = positive('maxBatchRecords', options.maxBatchRecords ?? 65_536);
    this.#warn = options.onWarning ?? ((message) => process.emitWarning(message, 'JsonlStoreWarning'));
    this.#lock = new RunLock(path);
    this.#readOnly = options.readOnly === true;
    this.#trustEdits = options.trustEdits === true;
  }

  /**
   * The stored run: the snapshot with the log replayed on it, or `undefined` when there is no file
   * yet; bound to `workflow` when given. A torn last batch (a crash mid-write, never acknowledged)
   * is dropped with a warning; anything else that does not verify throws a
   * {@link StoreCorruptError} naming the file, line and problem, and nothing is rewritten.
   */
  async load<S extends string = string>(workflow?: WorkflowStates<S>): Promise<Run<OC, JC, S> | undefined> {
    this.#checkOpen('load');
    if (!this.#readOnly) {
      await this.#lock.acquire(this.path);
      await removeDeadTemps(this.path);
    }
    const read = this.#readOnly ? await this.#readLive() : await this.#read(this.#warn);
    if (read === undefined) {
      this.#loaded = true;
      return undefined;
    }
    this.#seq = read.seq;
    this.#snapshotBytes = read.snapshotBytes;
    this.#logState = read.logState;
    this.#truncateLogTo = read.truncateLogTo;
    this.#dirty = read.replayed || read.edited || (read.version === 1 && existsSync(this.logPath));
    const bound = workflow ? bindRun(read.run, workflow) : (read.run as Run<OC, JC, S>);
    // Only a load that succeeded lets this store replace the run: what it could not read stays.
    this.#loaded = true;
    this.#run = read.run;
    // A version 1 run is written as version 2 before anything is appended to its log.
    if (!this.#readOnly && read.version === 1) await this.#compact(read.run);
    return bound;
  }

  /** Appends records to the log as one batch (split at `maxBatchRecords`), durable when it resolves. */
  async append(records: readonly StoreRecord<JC>[]): Promise<void> {
    this.#checkOpen('append');
    this.#checkWritable('append');
    if (this.#broken) throw this.#broken;
    const log = await this.#openLog();
    if (this.#logState?.state === 'closed') await this.#setLogState('active');
    if (this.#run && this.#logBytes >= this.#compactAfterBytes && this.#logBytes >= this.#snapshotBytes) await this.#compactOrWarn(this.#run);
    for (let start = 0; start < records.length; start += this.#maxBatch) {
      await this.#appendBatch(log, records, start, Math.min(start + this.#maxBatch, records.length));
    }
  }

  /**
   * For the run this store loaded (or last wrote whole), appends the run's unsaved changes (a
   * `run.add`, a redrive) to the log: starting a processor on a loaded run writes only what
   * changed. At a processor's `'stop'` the log already holds every change since its `'start'`, so
   * the snapshot is rewritten then only when the log is due for compaction (`compactAfterBytes`).
   * For any other run, writes it whole as a new snapshot and empties the log.
   */
  async checkpoint(run: Run<OC, JC>, when: 'start' | 'stop' = 'start'): Promise<void> {
    this.#checkOpen('checkpoint');
    this.#checkWritable('checkpoint');
    if (run === this.#run) {
      await flushUnsavedRecords(run, (records) => this.#appendSome(records));
      if (when === 'stop' && this.#logBytes >= this.#compactAfterBytes) await this.#compactOrWarn(run);
      return;
    }
    await this.#lock.acquire(this.path);
    if (!this.#loaded && (existsSync(this.path) || sizeOf(this.logPath) > 0)) {
      throw new RunError(`${this.path} already holds a run: load it with store.load() to continue it, or delete the file to start over`);
    }
    this.#loaded = true;
    await flushUnsavedRecords(run, () => this.#compact(run)); // the snapshot holds them
    this.#run = run;
  }

  /**
   * The run's paused states, kept in a file beside the run's (`path + '.paused'`) so that another
   * process may write them while this one holds the run (see {@link PausedStates}).
   * @example
   * ```ts
   * await new JsonlStore('runs/crawl.jsonl', { readOnly: true }).pausedStates().set('fetch', true);
   * ```
   */
  pausedStates(): PausedStates {
    return new PausedFile(`${this.path}.paused`);
  }

  /**
   * Writes the held run's unsaved changes, compacts into the snapshot (the log is removed) and
   * releases the lock; later calls throw. If the final write fails, the log is kept beside the
   * previous snapshot, and the next load replays it.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#readOnly) {
      this.#closed = true;
      return;
    }
    const run = this.#run;
    let failure: { error: unknown } | undefined;
    try {
      if (run && !this.#broken) {
        await flushUnsavedRecords(run, (records) => this.#appendSome(records));
        if (this.#dirty) await this.#compact(run, { closing: true });
        else if (this.#logState?.state === 'active') await this.#setLogState('closed'); // the snapshot holds everything
      }
    } catch (error) {
      failure = { error };
    }
    // Whatever failed above, the log's handle is closed (an open handle keeps a deleted file's
    // space) and the lock released; the log itself stays when the snapshot does not hold it all.
    this.#closed = true;
    // A log that stays is left without the zeroed space grown ahead of its data.
    if (this.#log && this.#logSize > this.#logBytes) await this.#log.truncate(this.#logBytes).catch(() => undefined);
    await this.#log?.close().catch(() => undefined);
    this.#log = undefined;
    try {
      if (run && !this.#broken && failure === undefined && this.#logState?.state !== 'active') await unlink(this.logPath).catch(() => undefined);
    } finally {
      await this.#lock.release();
    }
    if (failure) throw failure.error;
  }

  async #appendBatch(log: FileHandle, records: readonly StoreRecord<JC>[], start: number, end: number): Promise<void> {
    const firstSeq = this.#seq + 1;
    for (let i = start; i < end; i++) this.#sink.write(encodeLine(firstSeq + i - start, records[i] as StoreRecord<JC>, this.#sink));
    const body = this.#sink.take();
    const trailer = Buffer.from(encodeBatchEnd({ first: firstSeq, last: firstSeq + end - start - 1, crc32: crc32(body) }));
    const bytes = Buffer.concat([body, trailer]);
    const before = this.#logBytes;
    try {
      if (this.#fsync) this.#logSize = await growZeroed(log, this.#logSize, before + bytes.length, this.#logWritten);
      // With fsync, the log is opened O_DSYNC: the write returns once the batch is on disk, one
      // system call where write + fdatasync took two (a third less time per batch here).
      await this.#logWriter.write(log, bytes, before);
      if (this.#fsync && DSYNC === undefined) await log.datasync();
    } catch (error) {
      await this.#takeBack(log, before, error);
      throw error;
    }
    this.#seq = firstSeq + end - start - 1;
    this.#logBytes += bytes.length;
    this.#logWritten += bytes.length;
    this.#logSize = Math.max(this.#logSize, this.#logBytes);
    this.#dirty = true;
  }

  /** A batch that failed to be written (or synced) is cut off again, so nothing can follow it. */
  async #takeBack(log: FileHandle, to: number, cause: unknown): Promise<void> {
    try {
      await log.truncate(to);
      if (this.#fsync) await log.datasync();
      this.#logSize = to;
    } catch (error) {
      this.#broken = new Error(
        `JsonlStore(${this.path}): a failed write (${describeError(cause)}) could not be taken back (${describeError(error)}); reopen the store to continue: the next load drops the torn batch`,
      );
    }
  }

  async #appendSome(records: readonly StoreRecord<JC>[]): Promise<void> {
    if (records.length > 0) await this.append(records);
  }

  /** A compaction that fails leaves the previous snapshot and the log as they were: warn and go on. */
  async #compactOrWarn(run: Run<OC, JC>): Promise<void> {
    try {
      await this.#compact(run);
    } catch (error) {
      this.#warn(`${this.path}: compaction failed (${describeError(error)}); the previous snapshot and the log are kept, and compaction is tried again later`);
      this.#snapshotBytes = this.#logBytes; // not again before the log has doubled
    }
  }

  async #compact(run: Run<OC, JC>, { closing = false } = {}): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    // The log exists before a snapshot that expects it does, so a crash between finds both.
    const log = closing ? this.#log : await this.#openLog();
    const state: LogState = closing ? 'closed' : 'active';
    const header = encodeHeader({ name: run.name, oc: run.oc, nextId: toSnapshot(run).nextId, seq: this.#seq });
    const written = await writeFileAtomic(this.path, snapshotChunks(run, header, state), this.#fsync);
    this.#snapshotBytes = written.bytes;
    this.#logState = { state, offset: Buffer.byteLength(header) };
    this.#dirty = false;
    // Every record so far is in the snapshot (its seq says so), so a crash before this truncation
    // only leaves records that load will skip.
    if (log === undefined || this.#logSize === 0) return;
    await log.truncate(0);
    if (this.#fsync) await log.datasync();
    this.#logBytes = 0;
    this.#logSize = 0;
  }

  /**
   * Rewrites the snapshot's log line in place (both values have the same length, and the line is
   * outside the checksum): `active` before the first record goes to the log, `closed` when the
   * store closes with nothing to compact. The log exists before it says `active`.
   */
  async #setLogState(state: LogState): Promise<void> {
    const at = this.#logState;
    if (at === undefined || at.state === state) return;
    const handle = await open(this.path, 'r+');
    try {
      await writeAll(handle, Buffer.from(encodeLogState(state)), at.offset);
      if (this.#fsync) await handle.datasync();
    } finally {
      await handle.close();
    }
    this.#logState = { state, offset: at.offset };
  }

  async #openLog(): Promise<FileHandle> {
    if (this.#log) return this.#log;
    await mkdir(dirname(this.path), { recursive: true });
    const log = await open(this.logPath, this.#fsync ? LOG_SYNC_FLAGS : LOG_FLAGS);
    if (this.#truncateLogTo !== undefined) {
      await log.truncate(this.#truncateLogTo);
      this.#truncateLogTo = undefined;
    }
    this.#logSize = (await stat(this.logPath)).size;
    this.#logBytes = await dataEnd(log, this.#logSize);
    // Whatever lies past the data (zeroed space, or the bytes of a batch that landed in part after
    // a zero) goes: the log grows zeroes again from there, so no stale byte can follow new data.
    if (this.#logSize > this.#logBytes) {
      await log.truncate(this.#logBytes);
      if (this.#fsync) await log.datasync();
      this.#logSize = this.#logBytes;
    }
    this.#log = log;
    return log;
  }

  #read(warn: (message: string) => void): Promise<ReadRun<OC, JC> | undefined> {
    return readRunFiles<OC, JC>(this.path, this.logPath, { trustEdits: this.#trustEdits, warn });
  }

  /**
   * A read-only load of a run a processor may be writing: a read that meets a batch being written
   * or a compaction renaming the snapshot and emptying the log can see files that do not verify
   * together, so it reads again (silently dropping a torn last batch, which is the writer's).
   */
  async #readLive(): Promise<ReadRun<OC, JC> | undefined> {
    for (let attempt = 1; ; attempt++) {
      const live = lockOwner(this.path) !== undefined;
      const before = snapshotIdentity(this.path);
      try {
        const read = await this.#read(live ? () => undefined : this.#warn);
        // A compaction renamed a new snapshot in while the log was read: the pair may be stale.
        if (!live || snapshotIdentity(this.path) === before || attempt >= LIVE_READ_TRIES) return read;
      } catch (error) {
        // A file gone mid-read (ENOENT) is the writer's too: its close removes the log.
        const theWriters = error instanceof StoreCorruptError || (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
        if (!theWriters || !live || attempt >= LIVE_READ_TRIES) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, LIVE_READ_WAIT_MS));
    }
  }

  #checkWritable(what: string): void {
    if (this.#readOnly) throw new Error(`JsonlStore(${this.path}): ${what} on a read-only store`);
  }

  #checkOpen(what: string): void {
    if (this.#closed) throw new Error(`JsonlStore(${this.path}): ${what} after close`);
  }
}

/** One record's line; a record that cannot be encoded is an error naming its job. */
function encodeLine<JC>(seq: number, record: StoreRecord<JC>, sink: ByteSink): string {
  try {
    return encodeRecord(seq, record);
  } catch (error) {
    sink.take(); // drop the batch encoded so far: nothing of it is written
    const id = record.type === 'add' ? record.job.id : record.id;
    throw new Error(`JsonlStore: cannot store the ${record.type} record of job "${id}": ${describeError(error)}`);
  }
}

/** Removes snapshot temp files (`.<file>.<pid>.tmp`) left by writes a crash cut short; called under the run's lock. */
async function removeDeadTemps(path: string): Promise<void> {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.startsWith(prefix) && n.endsWith('.tmp')).map((n) => unlink(join(dir, n)).catch(() => undefined)));
}

/** A snapshot's bytes: the header, the log line, the jobs, and the end line with the count and the checksum (log line left out). */
function* snapshotChunks<OC, JC>(run: Run<OC, JC>, header: string, state: LogState): Generator<Uint8Array> {
  const sink = new ByteSink(2 << 20);
  const head = Buffer.from(header);
  let crc = crc32(head);
  let jobs = 0;
  yield Buffer.concat([head, Buffer.from(encodeLogState(state))]);
  for (const job of toSnapshot(run).jobs) {
    sink.write(encodeJob(job));
    jobs++;
    if (sink.length >= 1 << 20) {
      const chunk = sink.take();
      crc = crc32(chunk, crc);
      yield chunk; // written out before the generator resumes
    }
  }
  const rest = sink.take();
  crc = crc32(rest, crc);
  const end = Buffer.from(encodeSnapshotEnd({ jobs, crc32: crc }));
  yield Buffer.concat([rest, end]);
}

/** Which snapshot file is at `path` now: a compaction renames a new one into place. */
function snapshotIdentity(path: string): string {
  const stat = statSync(path, { throwIfNoEntry: false });
  return stat === undefined ? 'none' : `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
}

function sizeOf(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : renderValue(error);
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 1) throw new TypeError(`JsonlStore: ${name} must be a number from 1 up, got ${renderValue(value)}`);
  return value;
}
