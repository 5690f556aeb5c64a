import { existsSync } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { applyRecord } from '../model/apply-record.js';
import type { Job } from '../model/job.js';
import { bindRun, type Run, flushUnsavedRecords } from '../model/run.js';
import { RunError } from '../model/run-error.js';
import type { WorkflowStates } from '../model/workflow-states.js';
import { writeFileAtomic } from './atomic-write.js';
import { ByteSink } from './byte-sink.js';
import { encodeHeader, encodeJob, encodeRecord, headerProblem, jobProblem, recordProblem, type SnapshotHeader } from './jsonl-format.js';
import { type Line, readLineBatches } from './line-reader.js';
import { fromSnapshot, toSnapshot } from '../model/run-snapshot.js';
import { RunLock } from './run-lock.js';
import type { Store } from '../model/store.js';
import { StoreCorruptError } from './store-corrupt-error.js';
import type { StoreRecord } from '../model/store-record.js';

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
  /** Receives warnings, such as a torn last line dropped on load. @defaultValue `process.emitWarning` */
  readonly onWarning?: (message: string) => void;
  /**
   * Only read: `load()` takes no lock (so a report can read a run a processor is writing) and
   * every write throws.
   * @defaultValue false
   */
  readonly readOnly?: boolean;
}

/**
 * The embedded default store: a run in a JSONL snapshot file (`path`: a header line, then one line
 * per job) plus an append-only log beside it (`path + '.log'`: one line per transition). Appends
 * are group-committed (one write and one fsync per batch); the log is compacted into a new snapshot
 * (temp file, fsync, rename, fsync the directory) as it grows; `close()` leaves the snapshot alone.
 * A lock file (`path + '.lock'`) keeps a second process off the run. Format: docs/format.md.
 * It compacts from the run it loaded or was last given to `checkpoint`: records appended through
 * it must also be applied to that run (the processor does both).
 *
 * @example
 * ```ts
 * const store = new JsonlStore<OC, JC>('runs/crawl.jsonl');
 * const run = (await store.load()) ?? crawl.newRun('crawl', oc).add({ url: seed }, 'fetch');
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
  #seq = 0;
  #loaded = false;
  #log: FileHandle | undefined;
  /** Where the log's last good line ends, when load dropped a torn one after it. */
  #truncateLogTo: number | undefined;
  #logBytes = 0;
  #snapshotBytes = 0;
  #run: Run<OC, JC> | undefined;
  /** Records exist that the snapshot does not hold yet (appended, or replayed from the log on load). */
  #dirty = false;
  /** Where a batch is encoded (reused: one append runs at a time). */
  readonly #sink = new ByteSink();
  #closed = false;

  constructor(path: string, options: JsonlStoreOptions = {}) {
    if (typeof path !== 'string' || path.length === 0) throw new TypeError(`JsonlStore: path must be a non-empty string, got ${JSON.stringify(path)}`);
    this.path = path;
    this.logPath = `${path}.log`;
    this.#fsync = options.fsync ?? true;
    this.#compactAfterBytes = positive('compactAfterBytes', options.compactAfterBytes ?? 64 << 20);
    this.#maxBatch = positive('maxBatchRecords', options.maxBatchRecords ?? 65_536);
    this.#warn = options.onWarning ?? ((message) => process.emitWarning(message, 'JsonlStoreWarning'));
    this.#lock = new RunLock(path);
    this.#readOnly = options.readOnly === true;
  }

  /**
   * The stored run: the snapshot with the log replayed on it, or `undefined` when there is no file
   * yet; bound to `workflow` when given. A torn last log line (a crash mid-write) is dropped with a
   * warning; any other bad line throws a {@link StoreCorruptError} naming the file and line, and
   * nothing is rewritten.
   */
  async load<S extends string = string>(workflow?: WorkflowStates<S>): Promise<Run<OC, JC, S> | undefined> {
    this.#checkOpen('load');
    if (!this.#readOnly) {
      await this.#lock.acquire(this.path);
      await removeDeadTemps(this.path);
    }
    this.#loaded = true;
    if (!existsSync(this.path)) {
      if (existsSync(this.logPath)) throw new StoreCorruptError(this.logPath, 0, `a log without its snapshot ${this.path}: restore the snapshot or delete the log`);
      return undefined;
    }
    const run = await this.#readSnapshot();
    if (existsSync(this.logPath)) await this.#replayLog(run);
    const bound = workflow ? bindRun(run, workflow) : (run as Run<OC, JC, S>);
    this.#run = run;
    return bound;
  }

  /** Appends records to the log as one batch (split at `maxBatchRecords`), durable when it resolves. */
  async append(records: readonly StoreRecord<JC>[]): Promise<void> {
    this.#checkOpen('append');
    this.#checkWritable('append');
    const log = await this.#openLog();
    if (this.#run && this.#logBytes >= this.#compactAfterBytes && this.#logBytes >= this.#snapshotBytes) await this.#compact(this.#run);
    for (let start = 0; start < records.length; start += this.#maxBatch) {
      const end = Math.min(start + this.#maxBatch, records.length);
      for (let i = start; i < end; i++) this.#sink.write(encodeRecord(++this.#seq, records[i] as StoreRecord<JC>));
      const bytes = this.#sink.take();
      const { bytesWritten } = await log.write(bytes, 0, bytes.length);
      this.#logBytes += bytesWritten;
      this.#dirty = true;
      if (this.#fsync) await log.datasync();
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
      if (when === 'stop' && this.#logBytes >= this.#compactAfterBytes) await this.#compact(run);
      return;
    }
    await this.#lock.acquire(this.path);
    if (!this.#loaded && existsSync(this.path)) {
      throw new RunError(`${this.path} already holds a run: load it with store.load() to continue it, or delete the file to start over`);
    }
    this.#loaded = true;
    this.#run = run;
    await flushUnsavedRecords(run, () => this.#compact(run)); // the snapshot holds them
  }

  /**
   * Writes the held run's unsaved changes, compacts into the snapshot (the log is removed) and
   * releases the lock; later calls throw.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#readOnly) {
      this.#closed = true;
      return;
    }
    try {
      if (this.#run) await flushUnsavedRecords(this.#run, (records) => this.#appendSome(records));
      if (this.#run && this.#dirty) await this.#compact(this.#run);
      await this.#log?.close();
      this.#log = undefined;
      if (this.#run) await unlink(this.logPath).catch(() => undefined);
    } finally {
      this.#closed = true;
      await this.#lock.release();
    }
  }

  async #compact(run: Run<OC, JC>): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    this.#snapshotBytes = await writeFileAtomic(this.path, snapshotChunks(run, this.#seq), this.#fsync);
    this.#dirty = false;
    // Every record so far is in the snapshot (its seq says so), so a crash before this truncation
    // only leaves records that load will skip.
    const log = await this.#openLog();
    if (this.#logBytes === 0) return;
    await log.truncate(0);
    if (this.#fsync) await log.datasync();
    this.#logBytes = 0;
  }

  async #openLog(): Promise<FileHandle> {
    if (this.#log) return this.#log;
    await mkdir(dirname(this.path), { recursive: true });
    const log = await open(this.logPath, 'a');
    if (this.#truncateLogTo !== undefined) {
      await log.truncate(this.#truncateLogTo);
      this.#truncateLogTo = undefined;
    }
    this.#logBytes = (await stat(this.logPath)).size;
    this.#log = log;
    return log;
  }

  async #readSnapshot(): Promise<Run<OC, JC>> {
    let header: SnapshotHeader<OC> | undefined;
    const jobs: Job<JC>[] = [];
    for await (const lines of readLineBatches(this.path)) {
      for (const line of lines) {
        if (line.text.trim() === '') continue;
        const value = parseLine(this.path, line);
        if (header === undefined) {
          const problem = headerProblem(value);
          if (problem) throw new StoreCorruptError(this.path, line.number, problem);
          header = value as SnapshotHeader<OC>;
          continue;
        }
        const problem = jobProblem(value);
        if (problem) throw new StoreCorruptError(this.path, line.number, problem);
        jobs.push(value as Job<JC>);
      }
    }
    if (header === undefined) throw new StoreCorruptError(this.path, 0, 'the file is empty: expected a run header line');
    this.#seq = header.seq;
    this.#snapshotBytes = (await stat(this.path)).size;
    try {
      return fromSnapshot<OC, JC>({ format: 'jorb-run', version: 1, name: header.name, oc: header.oc, nextId: header.nextId, jobs }, this.path);
    } catch (error) {
      throw new StoreCorruptError(this.path, 0, error instanceof Error ? error.message.replace(`${this.path}: `, '') : String(error));
    }
  }

  async #replayLog(run: Run<OC, JC>): Promise<void> {
    const snapshotSeq = this.#seq;
    for await (const lines of readLineBatches(this.logPath)) {
      for (const line of lines) {
        if (!line.terminated) {
          this.#warn(`${this.logPath}:${line.number}: dropped a torn last line (${line.end - line.start} bytes): the process stopped while writing it, before it was acknowledged`);
          // Byte offsets, not the decoded text: a line cut inside a multi-byte character decodes longer.
          this.#truncateLogTo = line.start;
          break;
        }
        if (line.text.trim() === '') continue;
        const value = parseLine(this.logPath, line);
        const problem = recordProblem(value);
        if (problem) throw new StoreCorruptError(this.logPath, line.number, problem);
        const record = value as StoreRecord<JC> & { seq: number };
        this.#dirty = true; // close() folds the log into the snapshot
        if (record.seq <= snapshotSeq) continue; // already in the snapshot
        try {
          applyRecord(run as Run<unknown, JC>, record);
        } catch (error) {
          throw new StoreCorruptError(this.logPath, line.number, error instanceof Error ? error.message : String(error));
        }
        this.#seq = record.seq;
      }
    }
  }

  /** Appends when there is something to append: an empty flush opens no log. */
  async #appendSome(records: readonly StoreRecord<JC>[]): Promise<void> {
    if (records.length > 0) await this.append(records);
  }

  #checkWritable(what: string): void {
    if (this.#readOnly) throw new Error(`JsonlStore(${this.path}): ${what} on a read-only store`);
  }

  #checkOpen(what: string): void {
    if (this.#closed) throw new Error(`JsonlStore(${this.path}): ${what} after close`);
  }
}

/** Removes snapshot temp files (`.<file>.<pid>.tmp`) left by writes a crash cut short; called under the run's lock. */
async function removeDeadTemps(path: string): Promise<void> {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.startsWith(prefix) && n.endsWith('.tmp')).map((n) => unlink(join(dir, n)).catch(() => undefined)));
}

function* snapshotChunks<OC, JC>(run: Run<OC, JC>, seq: number): Generator<Uint8Array> {
  const sink = new ByteSink(2 << 20);
  const snapshot = toSnapshot(run);
  sink.write(encodeHeader({ name: snapshot.name, oc: snapshot.oc, nextId: snapshot.nextId, seq }));
  for (const job of snapshot.jobs) {
    sink.write(encodeJob(job));
    if (sink.length >= 1 << 20) yield sink.take(); // written out before the generator resumes
  }
  if (sink.length > 0) yield sink.take();
}

function parseLine(file: string, line: Line): unknown {
  try {
    return JSON.parse(line.text) as unknown;
  } catch (error) {
    throw new StoreCorruptError(file, line.number, `not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 1) throw new TypeError(`JsonlStore: ${name} must be a number from 1 up, got ${String(value)}`);
  return value;
}
