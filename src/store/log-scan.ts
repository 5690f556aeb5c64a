import { crc32 } from 'node:zlib';
import type { StoreRecord } from '../model/store-record.js';
import { asBatchEnd, type LogState, recordProblem } from './jsonl-format.js';
import { type Line, readLineBatches } from './line-reader.js';
import { StoreCorruptError } from './store-corrupt-error.js';
import { renderValue } from '../model/render-value.js';

/** What a scan of a version 2 log hands on, in the log's order. */
export interface LogScanSink<JC> {
  /** A record whose own checks held; its batch is not known to be closed yet. */
  record(record: StoreRecord<JC> & { seq: number }, line: Line): void;
  /** The batch line after the records given since the last call, checked: the batch is closed. */
  closed(): void;
}

/** How a log is scanned. */
export interface LogScanOptions {
  /** The snapshot's sequence number (the log's records follow it) and what its log line says. */
  readonly snapshotSeq: number;
  readonly state: LogState;
  readonly trustEdits: boolean;
  readonly warn: (message: string) => void;
  /** The size of the reads. */
  readonly chunkBytes: number;
}

/** What a whole scan found besides the records. */
export interface LogScan {
  /** Where the log's last whole batch ends, when a torn batch after it was dropped. */
  readonly truncateTo: number | undefined;
  /** A batch that did not match its line was accepted as edited. */
  readonly edited: boolean;
}

/**
 * What a log's open batch holds so far: what its batch line is checked against, without holding
 * the records themselves.
 */
class OpenBatch {
  count = 0;
  first: number | undefined;
  last: number | undefined;
  /** The first few sequence numbers, for a message about a batch that does not match its line. */
  readonly seqs: number[] = [];
  /** The first record out of order, named once the batch's checksum holds. */
  misordered: { readonly order: string; readonly line: number } | undefined;

  note(seq: number, line: number, order: string | undefined): void {
    this.count++;
    this.first ??= seq;
    this.last = seq;
    if (this.seqs.length <= 6) this.seqs.push(seq);
    if (order !== undefined) this.misordered ??= { order, line };
  }

  reset(): void {
    this.count = 0;
    this.first = undefined;
    this.last = undefined;
    this.seqs.length = 0;
    this.misordered = undefined;
  }
}

/**
 * Reads a version 2 log and makes every check of it, in the log's order: each line valid JSON,
 * each record's fields, each batch line against the records before it (their sequence numbers and
 * CRC-32), sequence numbers that follow each other without a gap or a repeat, no record newer than
 * a closed snapshot. A problem is a StoreCorruptError naming the line, thrown where the read meets
 * it; records go to `sink` as they are read and each checked batch line as `closed()` (a sink
 * applies a batch's records once it is closed, or as they come where it knows the batch closes). A
 * torn last batch (no batch line after its records, or a last line with no newline) is dropped with
 * a warning: its records were given to the sink, but `closed()` is not called for them.
 */
export async function scanLog<JC>(logPath: string, options: LogScanOptions, sink: LogScanSink<JC>): Promise<LogScan> {
  const { snapshotSeq, state } = options;
  let prev: number | undefined;
  let edited = false;
  const current = new OpenBatch();
  let pendingStart = 0; // file offset of the open batch's first line
  let crc = 0;
  let torn: Line | undefined;
  reading: for await (const batch of readLineBatches(logPath, { chunkBytes: options.chunkBytes, endAtZero: true })) {
    let from = 0;
    for (const line of batch.lines) {
      if (!line.terminated) {
        torn = line;
        break reading;
      }
      const value = parseLine(logPath, line);
      const ending = asBatchEnd(value);
      if (ending !== undefined && 'problem' in ending) throw new StoreCorruptError(logPath, line.number, ending.problem);
      if (ending !== undefined) {
        crc = crc32(batch.bytes.subarray(from, line.start - batch.offset), crc);
        from = line.end - batch.offset;
        edited = checkBatch(logPath, line.number, ending, current, crc, options) || edited;
        if (current.misordered !== undefined) throw new StoreCorruptError(logPath, current.misordered.line, current.misordered.order);
        sink.closed();
        current.reset();
        crc = 0;
        pendingStart = line.end;
        continue;
      }
      const problem = recordProblem(value);
      if (problem) throw new StoreCorruptError(logPath, line.number, problem);
      const record = value as StoreRecord<JC> & { seq: number };
      // Judged once the batch's checksum holds: a damaged batch is named by its batch line.
      const order = sequenceProblem(prev, record.seq, snapshotSeq);
      if (state === 'closed' && record.seq > snapshotSeq) throw new StoreCorruptError(logPath, line.number, `record ${record.seq} is newer than the snapshot, which says its store was closed: the log belongs to another copy of the run`);
      prev = record.seq;
      current.note(record.seq, line.number, order);
      sink.record(record, line);
    }
    crc = crc32(batch.bytes.subarray(from), crc);
  }
  const truncateTo = torn !== undefined || current.count > 0 ? tornBatch(logPath, torn, current.count, pendingStart, options) : undefined;
  return { truncateTo, edited };
}

function sequenceProblem(prev: number | undefined, seq: number, snapshotSeq: number): string | undefined {
  if (prev === undefined) {
    return seq > snapshotSeq + 1 ? `the log starts at record ${seq}, but the snapshot holds records up to ${snapshotSeq}: records ${snapshotSeq + 1} to ${seq - 1} are missing` : undefined;
  }
  if (seq === prev + 1) return undefined;
  if (seq === prev) return `record ${seq} is repeated`;
  if (seq < prev) return `record ${seq} comes after record ${prev}: lines are out of order`;
  return `record ${seq} follows record ${prev}: records ${prev + 1} to ${seq - 1} are missing`;
}

/** Checks a batch's end line against the records before it; returns whether a mismatch was accepted as a hand edit. */
function checkBatch(logPath: string, line: number, end: { first: number; last: number; crc32: number }, batch: OpenBatch, crc: number, options: LogScanOptions): boolean {
  const { first, last, misordered } = batch;
  // The records' own order says where in the batch the damage probably is.
  const hint = misordered === undefined ? '' : ` (${misordered.order}, at line ${misordered.line})`;
  const problem =
    first === undefined
      ? 'a batch line closes no records'
      : first !== end.first || last !== end.last
        ? `the batch line says records ${end.first} to ${end.last}, the batch holds ${describeSeqs(batch)}${hint}`
        : end.crc32 !== crc
          ? `the checksum of records ${first} to ${last} does not match (CRC-32 ${crc} for ${end.crc32}): the log was damaged or edited by hand${hint}`
          : undefined;
  if (problem === undefined) return false;
  if (!options.trustEdits || first === undefined) throw new StoreCorruptError(logPath, line, problem);
  options.warn(`${logPath}:${line}: ${problem}; accepted as edited`);
  return true;
}

function describeSeqs(batch: OpenBatch): string {
  return batch.count <= 6 ? `record${batch.count === 1 ? '' : 's'} ${batch.seqs.join(', ')}` : `records ${batch.first} … ${batch.last} (${batch.count} of them)`;
}

/** A batch the process was writing when it stopped: never acknowledged, so it is dropped. */
export function tornBatch(logPath: string, torn: Line | undefined, records: number, start: number, options: { readonly warn: (message: string) => void }): number {
  const at = torn === undefined ? '' : `:${torn.number}`;
  const what = records === 0 ? `a torn last line (${torn ? torn.end - torn.start : 0} bytes)` : `a torn last batch (${records} record${records === 1 ? '' : 's'} without the line that closes the batch)`;
  options.warn(`${logPath}${at}: dropped ${what}: the process stopped while writing it, before it was acknowledged`);
  return start;
}

export function parseLine(file: string, line: Line): unknown {
  try {
    return JSON.parse(line.text) as unknown;
  } catch (error) {
    throw new StoreCorruptError(file, line.number, `not valid JSON (${error instanceof Error ? error.message : renderValue(error)})`);
  }
}
