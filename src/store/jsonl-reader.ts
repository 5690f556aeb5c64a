import { existsSync, statSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { applyRecord } from '../model/apply-record.js';
import type { Job } from '../model/job.js';
import type { Run } from '../model/run.js';
import { fromSnapshot } from '../model/run-snapshot.js';
import type { StoreRecord } from '../model/store-record.js';
import { asBatchEnd, asLogState, asSnapshotEnd, headerProblem, jobProblem, type LogState, recordProblem, type SnapshotHeader } from './jsonl-format.js';
import { type Line, readLineBatches } from './line-reader.js';
import { StoreCorruptError } from './store-corrupt-error.js';
import { renderValue } from '../model/render-value.js';

/** How a run's files are read. */
export interface ReadOptions {
  /** Accept files whose checksums or counts do not match (edited by hand), and a missing log, with a warning. */
  readonly trustEdits: boolean;
  readonly warn: (message: string) => void;
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
  const snapshot = await readSnapshot<OC, JC>(path, options);
  const logState = snapshot.result.logState;
  if (!existsSync(logPath)) {
    if (logState?.state === 'active') {
      if (!options.trustEdits) {
        throw new StoreCorruptError(logPath, 0, `missing: ${path} was written while the run was open and its changes since are in this log; restore it (or accept losing them with \`jorb seal ${path}\`)`);
      }
      options.warn(`${logPath}: missing; the run is loaded as of its snapshot`);
    }
    return { ...snapshot.result, replayed: false, truncateLogTo: undefined };
  }
  const log =
    logState === undefined ? await replayV1(logPath, snapshot.result.run, snapshot.header.seq, options) : await replayLog(logPath, snapshot.result.run, snapshot.header, logState.state, options);
  return { ...snapshot.result, seq: log.seq, replayed: log.applied > 0 || log.seen > 0, truncateLogTo: log.truncateTo, edited: snapshot.result.edited || log.edited };
}

interface SnapshotRead<OC, JC> {
  readonly header: SnapshotHeader<OC>;
  readonly result: Omit<ReadRun<OC, JC>, 'replayed' | 'truncateLogTo'>;
}

async function readSnapshot<OC, JC>(path: string, options: ReadOptions): Promise<SnapshotRead<OC, JC>> {
  let header: SnapshotHeader<OC> | undefined;
  let logState: { state: LogState; offset: number } | undefined;
  let end: { jobs: number; crc32: number; line: number } | undefined;
  const jobs: Job<JC>[] = [];
  let crc = 0;
  let lastLine = 0;
  for await (const batch of readLineBatches(path)) {
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
      const problem = (header.version === 1 && jobs.length === 0 ? laidOutAsVersion2(value) : undefined) ?? jobProblem(value);
      if (problem === 'version-2-layout') throw new StoreCorruptError(path, 1, 'the header says version 1, but the file is laid out as version 2 (line 2 is its log line): the header was damaged');
      if (problem) throw new StoreCorruptError(path, line.number, problem);
      jobs.push(value as Job<JC>);
    }
    if (end === undefined) crc = crc32(batch.bytes.subarray(from), crc);
  }
  if (header === undefined) throw new StoreCorruptError(path, 0, 'the file is empty: expected a run header line');
  if (header.version === 2 && logState === undefined) throw new StoreCorruptError(path, 2, 'the log line is missing after the header');
  // The checksum first: a repeated line is damage the end line names, before it is a repeated id.
  const edited = header.version === 2 && checkEnd(path, lastLine, end, jobs.length, crc, options);
  const run = restore<OC, JC>(path, header, jobs);
  return { header, result: { run, version: header.version, seq: header.seq, snapshotBytes: statSync(path).size, logState, edited } };
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

function restore<OC, JC>(path: string, header: SnapshotHeader<OC>, jobs: Job<JC>[]): Run<OC, JC> {
  try {
    return fromSnapshot<OC, JC>({ format: 'jorb-run', version: 1, name: header.name, oc: header.oc, nextId: header.nextId, jobs }, path);
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

async function replayLog<OC, JC>(logPath: string, run: Run<OC, JC>, header: SnapshotHeader<OC>, state: LogState, options: ReadOptions): Promise<LogRead> {
  let prev: number | undefined;
  let seq = header.seq;
  let applied = 0;
  let seen = 0;
  let edited = false;
  let pending: { record: StoreRecord<JC> & { seq: number }; line: number; order?: string }[] = [];
  let pendingStart = 0; // file offset of the open batch's first line
  let crc = 0;
  let truncateTo: number | undefined;
  reading: for await (const batch of readLineBatches(logPath, { endAtZero: true })) {
    let from = 0;
    for (const line of batch.lines) {
      if (!line.terminated) {
        truncateTo = tornBatch(logPath, line, pending.length, pendingStart, options);
        break reading;
      }
      const value = parseLine(logPath, line);
      const ending = asBatchEnd(value);
      if (ending !== undefined && 'problem' in ending) throw new StoreCorruptError(logPath, line.number, ending.problem);
      if (ending !== undefined) {
        crc = crc32(batch.bytes.subarray(from, line.start - batch.offset), crc);
        from = line.end - batch.offset;
        edited = checkBatch(logPath, line.number, ending, pending, crc, options) || edited;
        const misordered = pending.find((p) => p.order !== undefined);
        if (misordered?.order !== undefined) throw new StoreCorruptError(logPath, misordered.line, misordered.order);
        for (const { record, line: at } of pending) {
          if (record.seq <= header.seq) {
            seen++;
            continue;
          }
          apply(logPath, at, run, record);
          seq = record.seq;
          applied++;
        }
        pending = [];
        crc = 0;
        pendingStart = line.end;
        continue;
      }
      const problem = recordProblem(value);
      if (problem) throw new StoreCorruptError(logPath, line.number, problem);
      const record = value as StoreRecord<JC> & { seq: number };
      // Judged once the batch's checksum holds: a damaged batch is named by its batch line.
      const order = sequenceProblem(prev, record.seq, header.seq);
      if (state === 'closed' && record.seq > header.seq) throw new StoreCorruptError(logPath, line.number, `record ${record.seq} is newer than the snapshot, which says its store was closed: the log belongs to another copy of the run`);
      prev = record.seq;
      pending.push({ record, line: line.number, ...(order === undefined ? {} : { order }) });
    }
    crc = crc32(batch.bytes.subarray(from), crc);
  }
  if (truncateTo === undefined && pending.length > 0) truncateTo = tornBatch(logPath, undefined, pending.length, pendingStart, options);
  return { seq, applied, seen, truncateTo, edited };
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
function checkBatch(
  logPath: string,
  line: number,
  end: { first: number; last: number; crc32: number },
  pending: readonly { record: { seq: number }; line: number; order?: string }[],
  crc: number,
  options: ReadOptions,
): boolean {
  const first = pending[0]?.record.seq;
  const last = pending.at(-1)?.record.seq;
  // The records' own order says where in the batch the damage probably is.
  const misordered = pending.find((p) => p.order !== undefined);
  const hint = misordered === undefined ? '' : ` (${misordered.order}, at line ${misordered.line})`;
  const problem =
    first === undefined
      ? 'a batch line closes no records'
      : first !== end.first || last !== end.last
        ? `the batch line says records ${end.first} to ${end.last}, the batch holds ${describeSeqs(pending)}${hint}`
        : end.crc32 !== crc
          ? `the checksum of records ${first} to ${last} does not match (CRC-32 ${crc} for ${end.crc32}): the log was damaged or edited by hand${hint}`
          : undefined;
  if (problem === undefined) return false;
  if (!options.trustEdits || first === undefined) throw new StoreCorruptError(logPath, line, problem);
  options.warn(`${logPath}:${line}: ${problem}; accepted as edited`);
  return true;
}

function describeSeqs(pending: readonly { record: { seq: number } }[]): string {
  const seqs = pending.map((p) => p.record.seq);
  return seqs.length <= 6 ? `record${seqs.length === 1 ? '' : 's'} ${seqs.join(', ')}` : `records ${seqs[0]} … ${seqs.at(-1)} (${seqs.length} of them)`;
}

/** A batch the process was writing when it stopped: never acknowledged, so it is dropped. */
function tornBatch(logPath: string, torn: Line | undefined, records: number, start: number, options: ReadOptions): number {
  const at = torn === undefined ? '' : `:${torn.number}`;
  const what = records === 0 ? `a torn last line (${torn ? torn.end - torn.start : 0} bytes)` : `a torn last batch (${records} record${records === 1 ? '' : 's'} without the line that closes the batch)`;
  options.warn(`${logPath}${at}: dropped ${what}: the process stopped while writing it, before it was acknowledged`);
  return start;
}

/** Version 1 logs: one record per line, no batch lines; records the snapshot holds are skipped. */
async function replayV1<OC, JC>(logPath: string, run: Run<OC, JC>, snapshotSeq: number, options: ReadOptions): Promise<LogRead> {
  let seq = snapshotSeq;
  let applied = 0;
  let seen = 0;
  for await (const batch of readLineBatches(logPath, { endAtZero: true })) {
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
      apply(logPath, line.number, run, record);
      seq = record.seq;
      applied++;
    }
  }
  return { seq, applied, seen, truncateTo: undefined, edited: false };
}

function apply<JC>(logPath: string, line: number, run: Run<unknown, JC>, record: StoreRecord<JC>): void {
  try {
    applyRecord(run, record);
  } catch (error) {
    throw new StoreCorruptError(logPath, line, error instanceof Error ? error.message : renderValue(error));
  }
}

function parseLine(file: string, line: Line): unknown {
  try {
    return JSON.parse(line.text) as unknown;
  } catch (error) {
    throw new StoreCorruptError(file, line.number, `not valid JSON (${error instanceof Error ? error.message : renderValue(error)})`);
  }
}
