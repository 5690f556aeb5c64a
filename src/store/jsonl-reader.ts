import { existsSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { recordApplier } from '../model/apply-record.js';
import type { Job } from '../model/job.js';
import type { Run } from '../model/run.js';
import { RunRestore } from '../model/run-restore.js';
import type { StoreRecord } from '../model/store-record.js';
import { asLogState, asSnapshotEnd, headerProblem, jobProblem, type LogState, recordProblem, type SnapshotHeader } from './jsonl-format.js';
import { readLineBatches } from './line-reader.js';
import { type LogScanSink, parseLine, scanLog, tornBatch } from './log-scan.js';
import { LogScanThread, PARALLEL_LOG_BYTES, ScanThreadFailed } from './log-scan-thread.js';
import { RecordUnpacker } from './record-pack.js';
import { StoreCorruptError } from './store-corrupt-error.js';
import { renderValue } from '../model/render-value.js';

/**
 * The size of the reads: a chunk's line texts and parsed values are garbage by the next chunk, and
 * at 256 KiB they die in the young generation; 4 MiB chunks outlived minor collections and went to
 * the old one, a million jobs' worth of garbage there (and no faster to read).
 */
const CHUNK_BYTES = 256 << 10;

/** How a run's files are read. */
export interface ReadOptions {
  /** Accept files whose checksums or counts do not match (edited by hand), and a missing log, with a warning. */
  readonly trustEdits: boolean;
  readonly warn: (message: string) => void;
  /** A version 2 log from this size on is scanned on a worker thread. @defaultValue PARALLEL_LOG_BYTES */
  readonly parallelLogBytes?: number;
  /** Told which thread scanned the log, and why not a worker that was started (it could not run). */
  readonly logScannedBy?: (by: 'main' | 'worker', workerError?: unknown) => void;
  /** For tests of the fallback: the worker stops, as a crash would, after posting this many messages. */
  readonly stopScanAfterPosts?: number;
}

/** A run read back from its files, with what the store needs to go on writing them. */
export interface ReadRun<OC, JC> {
  readonly run: Run<OC, JC>;
  readonly version: 1 | 2;
  /** The last sequence number in the snapshot or applied from the log. */
  readonly seq: number;
  readonly snapshotBytes: number;
  /** Version 2: what the snapshot's second line says, and where that line starts. */
  readonly logState: { readonly state: LogState; readonly offset: number } | undefined;
  /** Records were replayed from the log (the snapshot is behind the run). */
  readonly replayed: boolean;
  /** Where the log's last whole batch ends, when a torn batch after it was dropped. */
  readonly truncateLogTo: number | undefined;
  /** The files were accepted as edited: checksums or counts did not match. */
  readonly edited: boolean;
}

/**
 * Reads a run's snapshot and replays its log on it, verifying as it goes: the snapshot's end line
 * (job count, CRC-32), each log batch's end line (its sequence numbers, CRC-32), sequence numbers
 * that follow each other without a gap or a repeat, known fields only, records naming jobs that
 * exist, a log where the snapshot says there is one. Anything else is a StoreCorruptError naming the
 * file, the line and the problem. A torn last batch (a crash while writing it, before it was
 * acknowledged) is dropped with a warning. `undefined` when there is no snapshot (and no log, or an
 * empty one: a crash during the very first checkpoint).
 */
export async function readRunFiles<OC, JC>(path: string, logPath: string, options: ReadOptions): Promise<ReadRun<OC, JC> | undefined> {
  if (!existsSync(path)) {
    if (existsSync(logPath) && statSync(logPath).size > 0) {
      throw new StoreCorruptError(logPath, 0, `a log without its snapshot ${path}: restore the snapshot or delete the log`);
    }
    return undefined;
  }
  // First with the log's closed batches applied as they are read; warnings wait for the read to
  // end, so that a read made again (see replayLog) does not give them twice.
  const warnings: string[] = [];
  try {
    const read = await readFiles<OC, JC>(path, logPath, { ...options, warn: (message) => warnings.push(message) }, true);
    for (const message of warnings) options.warn(message);
    return read;
  } catch (error) {
    if (error instanceof ScanThreadFailed) return readRunFiles(path, logPath, { ...options, parallelLogBytes: Number.POSITIVE_INFINITY }); // without the worker
    if (!(error instanceof ReadAgain)) {
      for (const message of warnings) options.warn(message);
      throw error;
    }
  }
  try {
    return await readFiles<OC, JC>(path, logPath, options, false);
  } catch (error) {
    if (error instanceof ScanThreadFailed) return readFiles<OC, JC>(path, logPath, { ...options, parallelLogBytes: Number.POSITIVE_INFINITY }, false);
    throw error;
  }
}

async function readFiles<OC, JC>(path: string, logPath: string, options: ReadOptions, early: boolean): Promise<ReadRun<OC, JC>> {
  // A big version 2 log is scanned on a worker thread from the moment the snapshot's log line is
  // read, while this thread reads the rest of the snapshot; its records are applied after that.
  let thread: LogScanThread | undefined;
  const startScan = (header: SnapshotHeader<OC>, state: LogState): void => {
    const request = { logPath, snapshotSeq: header.seq, state, trustEdits: options.trustEdits, ...(options.stopScanAfterPosts === undefined ? {} : { stopAfterPosts: options.stopScanAfterPosts }) };
    thread = LogScanThread.start(request, options.parallelLogBytes ?? PARALLEL_LOG_BYTES);
  };
  let snapshot: SnapshotRead<OC, JC>;
  try {
    snapshot = await readSnapshot<OC, JC>(path, options, startScan);
  } catch (error) {
    thread?.stop();
    throw error;
  }
  const logState = snapshot.result.logState;
  if (!existsSync(logPath)) {
    thread?.stop();
    if (logState?.state === 'active') {
      if (!options.trustEdits) {
        throw new StoreCorruptError(logPath, 0, `missing: ${path} was written while the run was open and its changes since are in this log; restore it (or accept losing them with \`jorb seal ${path}\`)`);
      }
      options.warn(`${logPath}: missing; the run is loaded as of its snapshot`);
    }
    return { ...snapshot.result, replayed: false, truncateLogTo: undefined };
  }
  const scanned = thread === undefined ? undefined : await replayScanned(logPath, thread, snapshot.result.run, snapshot.inOrder, snapshot.header.seq, options);
  if (scanned === undefined) options.logScannedBy?.('main', thread?.error);
  const log =
    scanned !== undefined
      ? scanned
      : logState === undefined
      ? await replayV1(logPath, snapshot.result.run, snapshot.inOrder, snapshot.header.seq, options)
      : await replayLog(logPath, snapshot.result.run, snapshot.inOrder, snapshot.header, logState.state, options, early ? await closedBatchesEnd(logPath) : 0);
  return { ...snapshot.result, seq: log.seq, replayed: log.applied > 0 || log.seen > 0, truncateLogTo: log.truncateTo, edited: snapshot.result.edited || log.edited };
}

interface SnapshotRead<OC, JC> {
  readonly header: SnapshotHeader<OC>;
  readonly result: Omit<ReadRun<OC, JC>, 'replayed' | 'truncateLogTo'>;
  /** The jobs in the snapshot's order, for the replay's lookups (see recordApplier); not kept after it. */
  readonly inOrder: readonly Job<JC>[];
}

/** Reads the snapshot; `onLogState` is called as soon as a version 2 snapshot's log line is read. */
async function readSnapshot<OC, JC>(path: string, options: ReadOptions, onLogState?: (header: SnapshotHeader<OC>, state: LogState) => void): Promise<SnapshotRead<OC, JC>> {
  let header: SnapshotHeader<OC> | undefined;
  let logState: { state: LogState; offset: number } | undefined;
  let end: { jobs: number; crc32: number; line: number } | undefined;
  // Each job goes into the run as it is read: no list of parsed jobs is held, nor copied at the end.
  let restore: RunRestore<OC, JC> | undefined;
  let jobs = 0;
  let crc = 0;
  let lastLine = 0;
  for await (const batch of readLineBatches(path, { chunkBytes: CHUNK_BYTES })) {
    let from = 0; // the start, in batch.bytes, of the bytes not yet in the checksum
    for (const line of batch.lines) {
      lastLine = line.number;
      if (end !== undefined) throw new StoreCorruptError(path, end.line, `the end line is not the last line: line ${line.number} follows it`);
      if (header?.version === 1 && line.text.trim() === '') continue;
      if (!line.terminated) throw new StoreCorruptError(path, line.number, 'the last line is cut short (no newline): the snapshot is incomplete');
      const value = parseLine(path, line);
      if (header === undefined) {
        const problem = headerProblem(value);
        if (problem) throw new StoreCorruptError(path, line.number, problem);
        header = value as SnapshotHeader<OC>;
        continue;
      }
      if (header.version === 2 && logState === undefined) {
        const state = asLogState(value);
        if (typeof state === 'object') throw new StoreCorruptError(path, line.number, state.problem);
        logState = { state, offset: line.start };
        onLogState?.(header, state);
        // The log line is rewritten in place, so it is left out of the checksum.
        crc = crc32(batch.bytes.subarray(from, line.start - batch.offset), crc);
        from = line.end - batch.offset;
        continue;
      }
      const ending = header.version === 2 ? asSnapshotEnd(value) : undefined;
      if (ending !== undefined && 'problem' in ending) throw new StoreCorruptError(path, line.number, ending.problem);
      if (ending !== undefined) {
        crc = crc32(batch.bytes.subarray(from, line.start - batch.offset), crc);
        from = line.end - batch.offset;
        end = { ...ending, line: line.number };
        continue;
      }
      const problem = (header.version === 1 && jobs === 0 ? laidOutAsVersion2(value) : undefined) ?? jobProblem(value);
      if (problem === 'version-2-layout') throw new StoreCorruptError(path, 1, 'the header says version 1, but the file is laid out as version 2 (line 2 is its log line): the header was damaged');
      if (problem) throw new StoreCorruptError(path, line.number, problem);
      restore ??= startRestore<OC, JC>(path, header);
      restore.collect(value as Job<JC>);
      jobs++;
    }
    if (end === undefined) crc = crc32(batch.bytes.subarray(from), crc);
  }
  if (header === undefined) throw new StoreCorruptError(path, 0, 'the file is empty: expected a run header line');
  if (header.version === 2 && logState === undefined) throw new StoreCorruptError(path, 2, 'the log line is missing after the header');
  // The checksum first: a repeated line is damage the end line names, before it is a repeated id.
  const edited = header.version === 2 && checkEnd(path, lastLine, end, jobs, crc, options);
  restore ??= startRestore<OC, JC>(path, header);
  const repeated = restore.finish();
  if (repeated !== undefined) throw new StoreCorruptError(path, 0, `jobs[${repeated.index}] repeats the id "${repeated.id}"`);
  const run = restore.run;
  return { header, result: { run, version: header.version, seq: header.seq, snapshotBytes: statSync(path).size, logState, edited }, inOrder: restore.inOrder };
}

/** Checks a version 2 snapshot's end line; returns whether a mismatch was accepted as a hand edit. */
function checkEnd(path: string, lastLine: number, end: { jobs: number; crc32: number; line: number } | undefined, jobs: number, crc: number, options: ReadOptions): boolean {
  const problem =
    end === undefined
      ? { line: lastLine + 1, text: `the end line is missing after ${jobs} jobs: the snapshot was cut short` }
      : end.jobs !== jobs
        ? { line: end.line, text: `the end line counts ${end.jobs} jobs, the file holds ${jobs}: lines are missing or repeated` }
        : end.crc32 !== crc
          ? { line: end.line, text: `the checksum does not match (CRC-32 ${crc} for ${end.crc32}): the snapshot was damaged or edited by hand` }
          : undefined;
  if (problem === undefined) return false;
  if (!options.trustEdits) throw new StoreCorruptError(path, problem.line, `${problem.text}; if you edited it, \`jorb seal ${path}\` accepts the edit`);
  options.warn(`${path}:${problem.line}: ${problem.text}; accepted as edited`);
  return true;
}

/** A version 1 file's first "job" that is a version 2 log line means the header's version was damaged. */
function laidOutAsVersion2(value: unknown): 'version-2-layout' | undefined {
  return typeof value === 'object' && value !== null && 'log' in value && Object.keys(value).length === 1 ? 'version-2-layout' : undefined;
}

/** The run the jobs are restored into, from the header (which headerProblem has checked). */
function startRestore<OC, JC>(path: string, header: SnapshotHeader<OC>): RunRestore<OC, JC> {
  try {
    return new RunRestore<OC, JC>(header.name, header.oc, header.nextId);
  } catch (error) {
    throw new StoreCorruptError(path, 0, error instanceof Error ? error.message.replace(`${path}: `, '') : renderValue(error));
  }
}

interface LogRead {
  readonly seq: number;
  readonly applied: number;
  /** Records read that the snapshot already held. */
  readonly seen: number;
  readonly truncateTo: number | undefined;
  readonly edited: boolean;
}

/** A read that applied records of a batch that turned out to have no batch line: it is read again, holding every record until its batch is closed. */
class ReadAgain extends Error {}

/**
 * Replays a version 2 log (scanLog makes its checks). A record is applied only once its batch is
 * known to be closed: a batch without its batch line (torn by a crash) must change nothing. Records
 * before `closedBefore` (where the log's last batch line ends, found by reading the file's tail) are
 * applied as they are read, so that the big log a crash leaves is not held in memory batch by
 * batch; every check is made as before and in the same order, and a record whose application fails
 * is reported where it would have been, once its batch line is checked. Records after it are held
 * until their batch line. If a batch with records applied early has no batch line after all (the
 * tail said otherwise: a zero byte before it ends the log), the read throws ReadAgain and is made
 * again with `closedBefore` 0.
 */
async function replayLog<OC, JC>(
  logPath: string,
  run: Run<OC, JC>,
  inOrder: readonly Job<JC>[],
  header: SnapshotHeader<OC>,
  state: LogState,
  options: ReadOptions,
  closedBefore: number,
): Promise<LogRead> {
  let seq = header.seq;
  let applied = 0;
  let seen = 0;
  const applyRecord = recordApplier(run, inOrder);
  /** Records of the open batch not applied yet (those at or after `closedBefore`). */
  let held: { record: StoreRecord<JC> & { seq: number }; line: number }[] = [];
  /** The first record applied early whose application failed: reported when its batch line is checked. */
  let failed: { line: number; message: string } | undefined;
  /** Records of the open batch applied before its batch line was read. */
  let appliedOpen = 0;
  const sink: LogScanSink<JC> = {
    record(record, line) {
      if (line.start >= closedBefore) {
        held.push({ record, line: line.number });
        return;
      }
      appliedOpen++;
      if (record.seq <= header.seq) {
        seen++;
        return;
      }
      if (failed !== undefined) return;
      try {
        applyRecord(record);
        seq = record.seq;
        applied++;
      } catch (error) {
        failed = { line: line.number, message: error instanceof Error ? error.message : renderValue(error) };
      }
    },
    closed() {
      if (failed !== undefined) throw new StoreCorruptError(logPath, failed.line, failed.message);
      for (const { record, line: at } of held) {
        if (record.seq <= header.seq) {
          seen++;
          continue;
        }
        apply(logPath, at, applyRecord, record);
        seq = record.seq;
        applied++;
      }
      held = [];
      appliedOpen = 0;
    },
  };
  const scan = await scanLog(logPath, { snapshotSeq: header.seq, state, trustEdits: options.trustEdits, warn: options.warn, chunkBytes: CHUNK_BYTES }, sink);
  if (appliedOpen > 0) throw new ReadAgain(`${logPath}: records applied before their batch line, and the batch has none`);
  return { seq, applied, seen, truncateTo: scan.truncateTo, edited: scan.edited };
}

/**
 * Replays a log a worker thread scanned (LogScanThread): it made every check replayLog makes, in
 * the same order, and sent the records of closed batches only; they are applied here in order, a
 * record whose application fails reported at its line, then the worker's warnings where they fell
 * and the problem it stopped at, if any. `undefined` when the worker could not run at all: the
 * caller reads the log itself.
 */
async function replayScanned<OC, JC>(logPath: string, thread: LogScanThread, run: Run<OC, JC>, inOrder: readonly Job<JC>[], snapshotSeq: number, options: ReadOptions): Promise<LogRead | undefined> {
  const applyRecord = recordApplier(run, inOrder);
  const unpacker = new RecordUnpacker();
  let seq = snapshotSeq;
  let applied = 0;
  let seen = 0;
  let first = true;
  const each = (record: StoreRecord<JC>, recordSeq: number, line: number): void => {
    if (recordSeq <= snapshotSeq) {
      seen++;
      return;
    }
    apply(logPath, line, applyRecord, record);
    seq = recordSeq;
    applied++;
  };
  try {
    for (;;) {
      const message = await thread.next();
      if (message === undefined) return undefined;
      if (first) options.logScannedBy?.('worker');
      first = false;
      unpacker.unpack(message.pack, each, options.warn);
      if (message.end !== undefined) return { seq, applied, seen, truncateTo: message.end.truncateTo, edited: message.end.edited };
      if (message.corrupt !== undefined) throw new StoreCorruptError(logPath, message.corrupt.line, message.corrupt.problem);
      if (message.failure !== undefined) throw Object.assign(new Error(message.failure.message), message.failure);
    }
  } finally {
    thread.stop();
  }
}

/**
 * Where the log's last batch line ends (0 when it has none): the records before it belong to
 * batches that are closed, unless the log is damaged (which its checks then find) or a zero byte
 * ends it earlier (see replayLog). Read backwards from the end, so only the tail is read.
 */
async function closedBatchesEnd(logPath: string): Promise<number> {
  const handle = await open(logPath, 'r');
  try {
    const size = (await handle.stat()).size;
    const step = 1 << 20;
    const overlap = 1024; // a batch line is well under this: one that starts in a block ends in it or just after
    const buffer = Buffer.allocUnsafe(step + overlap + 1);
    for (let end = size; end > 0; ) {
      const start = Math.max(0, end - step);
      const readStart = Math.max(0, start - 1); // the byte before the block: is a line starting there?
      const readEnd = Math.min(size, end + overlap);
      const { bytesRead } = await handle.read(buffer, 0, readEnd - readStart, readStart);
      const bytes = buffer.subarray(0, bytesRead);
      for (let at = bytes.lastIndexOf(BATCH_LINE, end - readStart - 1); at !== -1 && readStart + at >= start; at = at === 0 ? -1 : bytes.lastIndexOf(BATCH_LINE, at - 1)) {
        if (readStart + at > 0 && bytes[at - 1] !== 10) continue;
        const newline = bytes.indexOf(10, at);
        if (newline !== -1) return readStart + newline + 1;
      }
      end = start;
    }
    return 0;
  } finally {
    await handle.close();
  }
}

/** How every batch line the store writes starts (encodeBatchEnd). */
const BATCH_LINE = Buffer.from('{"batch":');

/** Version 1 logs: one record per line, no batch lines; records the snapshot holds are skipped. */
async function replayV1<OC, JC>(logPath: string, run: Run<OC, JC>, inOrder: readonly Job<JC>[], snapshotSeq: number, options: ReadOptions): Promise<LogRead> {
  const applyRecord = recordApplier(run, inOrder);
  let seq = snapshotSeq;
  let applied = 0;
  let seen = 0;
  for await (const batch of readLineBatches(logPath, { chunkBytes: CHUNK_BYTES, endAtZero: true })) {
    for (const line of batch.lines) {
      if (!line.terminated) return { seq, applied, seen, truncateTo: tornBatch(logPath, line, 0, line.start, options), edited: false };
      if (line.text.trim() === '') continue;
      const value = parseLine(logPath, line);
      const problem = recordProblem(value);
      if (problem) throw new StoreCorruptError(logPath, line.number, problem);
      const record = value as StoreRecord<JC> & { seq: number };
      if (record.seq <= snapshotSeq) {
        seen++;
        continue;
      }
      apply(logPath, line.number, applyRecord, record);
      seq = record.seq;
      applied++;
    }
  }
  return { seq, applied, seen, truncateTo: undefined, edited: false };
}

function apply<JC>(logPath: string, line: number, applyRecord: (record: StoreRecord<JC>) => void, record: StoreRecord<JC>): void {
  try {
    applyRecord(record);
  } catch (error) {
    throw new StoreCorruptError(logPath, line, error instanceof Error ? error.message : renderValue(error));
  }
}

