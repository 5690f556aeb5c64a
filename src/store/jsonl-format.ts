import stableStringify from 'fast-json-stable-stringify';
import type { Job } from '../model/job.js';
import { renderValue } from '../model/render-value.js';
import type { StoreRecord } from '../model/store-record.js';

/**
 * The JSONL run format (docs/format.md). A snapshot file holds a header line, a line saying whether
 * a log belongs beside it (rewritten in place: it is outside the checksum), one line per job and an
 * end line with the job count and a CRC-32 of the header and job lines; the log beside it holds
 * batches of records, each record with its sequence number, each batch closed by a line with its
 * first and last sequence numbers and a CRC-32 of its record lines. Key order is fixed (job
 * contexts sorted by fast-json-stable-stringify), so a run file diffs cleanly. Version 1 files
 * (no end line, no batch lines) are still read; the next write makes them version 2.
 */
export const FORMAT = 'jorb-run';
export const VERSION = 2;
/** The versions this jorb-ts reads. */
export const READS = [1, 2] as const;

export interface SnapshotHeader<OC> {
  readonly format: typeof FORMAT;
  readonly version: 1 | 2;
  readonly name: string;
  readonly oc: OC;
  readonly nextId: number;
  /** Every log record with a sequence number up to this one is already in the snapshot. */
  readonly seq: number;
}

/**
 * Version 2's second line: `active` while a store has the run open (its changes since the snapshot
 * are in the log, which must be there), `closed` once it was closed. Both lines are the same length,
 * so the store flips it in place.
 */
export type LogState = 'active' | 'closed';

/** The last line of a version 2 snapshot. */
export interface SnapshotEnd {
  readonly jobs: number;
  readonly crc32: number;
}

/** The line that closes a batch of log records (version 2). */
export interface BatchEnd {
  readonly first: number;
  readonly last: number;
  readonly crc32: number;
}

export function encodeHeader<OC>(header: Omit<SnapshotHeader<OC>, 'format' | 'version'>): string {
  return `{"format":"${FORMAT}","version":${VERSION},"name":${JSON.stringify(header.name)},"oc":${stableStringify(header.oc)},"nextId":${header.nextId},"seq":${header.seq}}\n`;
}

export function encodeLogState(state: LogState): string {
  return `{"log":"${state}"}\n`;
}

/** Why a parsed line reads as no log state; the reader says what it is otherwise. */
export interface LineProblem {
  readonly problem: string;
}

/** The log state a parsed line says, or why it is not one. */
export function asLogState(value: unknown): LogState | LineProblem {
  if (isObject(value) && Object.keys(value).length === 1 && (value['log'] === 'active' || value['log'] === 'closed')) return value['log'];
  return { problem: 'the second line must be {"log":"active"} or {"log":"closed"}' };
}

export function encodeSnapshotEnd(end: SnapshotEnd): string {
  return `{"end":{"jobs":${end.jobs},"crc32":${end.crc32}}}\n`;
}

export function encodeBatchEnd(end: BatchEnd): string {
  return `{"batch":{"first":${end.first},"last":${end.last},"crc32":${end.crc32}}}\n`;
}

/** One job as one line, keys in a fixed, readable order: id, state and the failed mark first, history last. */
export function encodeJob(job: Job<unknown>): string {
  let line = `{"id":${JSON.stringify(job.id)},"state":${JSON.stringify(job.state)}`;
  // `failed` right after `state`, so one find-and-replace redrives every failed job of a state.
  if (job.failed) line += `,"failed":true`;
  if (job.parentId !== undefined) line += `,"parentId":${JSON.stringify(job.parentId)}`;
  if (job.key !== undefined) line += `,"key":${JSON.stringify(job.key)}`;
  if (job.priority !== undefined) line += `,"priority":${job.priority}`;
  if (job.keyScope !== undefined) line += `,"keyScope":${JSON.stringify(job.keyScope)}`;
  if (job.dueAt !== undefined) line += `,"dueAt":${job.dueAt}`;
  const errors = isEmpty(job.errors) ? '{}' : stableStringify(job.errors);
  line += `,"jc":${stableStringify(job.jc)},"errors":${errors},"updatedAt":${job.updatedAt},"history":${encodeHistory(job.history)}}\n`;
  return line;
}

/** `JSON.stringify(history)` for entries in the engine's shape ({state, at}, note last), without its generic walk. */
function encodeHistory(history: Job<unknown>['history']): string {
  let text = '[';
  for (let i = 0; i < history.length; i++) {
    const entry = history[i] as Job<unknown>['history'][number];
    if (i > 0) text += ',';
    text += entry.note === undefined && Number.isFinite(entry.at) ? `{"state":${JSON.stringify(entry.state)},"at":${entry.at}}` : JSON.stringify(entry);
  }
  return `${text}]`;
}

function isEmpty(object: object): boolean {
  for (const _ in object) return false;
  return true;
}

/** One record as one line: `seq` first, then the record's own keys in the engine's order. */
export function encodeRecord(seq: number, record: StoreRecord<unknown>): string {
  if (record.type === 'transition' && record.error === undefined && record.failed === undefined && record.kicks === undefined && record.dueAt === undefined && Number.isFinite(record.at)) {
    // The common case, spelled out: the same bytes as below, at a third of the cost.
    const jc = JSON.stringify(record.jc) as string | undefined;
    if (jc !== undefined) return `{"seq":${seq},"type":"transition","id":${JSON.stringify(record.id)},"from":${JSON.stringify(record.from)},"to":${JSON.stringify(record.to)},"jc":${jc},"at":${record.at}}\n`;
  }
  return `{"seq":${seq},${JSON.stringify(record).slice(1)}\n`;
}

const HEADER_KEYS = new Set(['format', 'version', 'name', 'oc', 'nextId', 'seq']);
const JOB_KEYS = new Set(['id', 'state', 'failed', 'parentId', 'key', 'priority', 'keyScope', 'dueAt', 'jc', 'errors', 'updatedAt', 'history']);
const TRANSITION_KEYS = new Set(['seq', 'type', 'id', 'from', 'to', 'jc', 'at', 'error', 'failed', 'kicks', 'dueAt']);
const ADD_KEYS = new Set(['seq', 'type', 'job', 'nextId']);
const MOVE_KEYS = new Set(['seq', 'type', 'id', 'from', 'to', 'at', 'note', 'keepFailed']);
const KICK_KEYS = new Set(['id', 'state', 'jc', 'key', 'priority', 'keyScope', 'dueAt']);
const HISTORY_KEYS = new Set(['state', 'at', 'note']);

/** Why a parsed value is not a header, or undefined when it is one. */
export function headerProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'the first line must be the run header, a JSON object';
  if (value['format'] !== FORMAT) return `not a jorb-ts run file: the header's "format" is ${renderValue(value['format'])}, expected "${FORMAT}"`;
  if (!(READS as readonly unknown[]).includes(value['version'])) return `format version ${renderValue(value['version'])} is not supported (this jorb-ts reads versions ${READS.join(' and ')})`;
  const unknown = unknownKey(value, HEADER_KEYS);
  if (unknown !== undefined) return `the header has an unknown field ${renderValue(unknown)}`;
  if (typeof value['name'] !== 'string' || value['name'] === '') return `the header's "name" must be a non-empty string, got ${renderValue(value['name'])}`;
  if (!Number.isSafeInteger(value['nextId'])) return `the header's "nextId" must be a whole number, got ${renderValue(value['nextId'])}`;
  if (!Number.isSafeInteger(value['seq'])) return `the header's "seq" must be a whole number, got ${renderValue(value['seq'])}`;
  return undefined;
}

/** Why a parsed value is not a job, or undefined when it is one. */
export function jobProblem(value: unknown): string | undefined {
  // Every job of a big run is checked on load: the common shape is recognised in one pass over
  // its keys, and only a value that is not plainly a job goes through the checks that name the problem.
  return isPlainJob(value) ? undefined : describeJobProblem(value);
}

/**
 * True only for a value describeJobProblem finds nothing wrong with: an object of known keys, each
 * of the right type, with a jc, errors that are lists of strings and a history of `{state, at}`.
 */
function isPlainJob(value: unknown): boolean {
  if (!isObject(value)) return false;
  let required = 0; // id, state and jc seen
  for (const key in value) {
    const field = value[key];
    switch (key) {
      case 'id':
      case 'state':
        if (typeof field !== 'string' || field === '') return false;
        required++;
        break;
      case 'jc':
        required++;
        break;
      case 'parentId':
      case 'key':
        if (typeof field !== 'string') return false;
        break;
      case 'failed':
        if (typeof field !== 'boolean') return false;
        break;
      case 'priority':
      case 'dueAt':
        if (typeof field !== 'number' || !Number.isFinite(field)) return false;
        break;
      case 'keyScope':
        if (field !== 'unsettled') return false;
        break;
      case 'updatedAt':
        if (typeof field !== 'number') return false;
        break;
      case 'errors':
        if (!isErrorMap(field)) return false;
        break;
      case 'history':
        if (!isPlainHistory(field)) return false;
        break;
      default:
        return false;
    }
  }
  return required === 3;
}

function isPlainHistory(history: unknown): boolean {
  if (!Array.isArray(history)) return false;
  for (let i = 0; i < history.length; i++) {
    const entry: unknown = history[i];
    if (!isObject(entry) || typeof entry['state'] !== 'string' || typeof entry['at'] !== 'number') return false;
    for (const key in entry) if (key !== 'state' && key !== 'at' && key !== 'note') return false;
  }
  return true;
}

function describeJobProblem(value: unknown): string | undefined {
  if (!isObject(value)) return `a job line must be a JSON object, got ${renderValue(value)}`;
  const where = typeof value['id'] === 'string' ? `job ${JSON.stringify(value['id'])}: ` : '';
  if (typeof value['id'] !== 'string' || value['id'] === '') return `a job needs a non-empty string "id", got ${renderValue(value['id'])}`;
  const unknown = unknownKey(value, JOB_KEYS);
  if (unknown !== undefined) return `${where}unknown field ${renderValue(unknown)}`;
  if (typeof value['state'] !== 'string' || value['state'] === '') return `${where}"state" must be a non-empty string, got ${renderValue(value['state'])}`;
  if (!('jc' in value)) return `${where}"jc" is missing`;
  for (const field of ['parentId', 'key'] as const) {
    if (field in value && typeof value[field] !== 'string') return `${where}"${field}" must be a string, got ${renderValue(value[field])}`;
  }
  if ('failed' in value && typeof value['failed'] !== 'boolean') return `${where}"failed" must be true or false, got ${renderValue(value['failed'])}`;
  if ('priority' in value && (typeof value['priority'] !== 'number' || !Number.isFinite(value['priority']))) return `${where}"priority" must be a number, got ${renderValue(value['priority'])}`;
  if ('dueAt' in value && (typeof value['dueAt'] !== 'number' || !Number.isFinite(value['dueAt']))) return `${where}"dueAt" must be a time in epoch milliseconds, got ${renderValue(value['dueAt'])}`;
  if ('keyScope' in value && value['keyScope'] !== 'unsettled') return `${where}"keyScope" must be "unsettled" when present, got ${renderValue(value['keyScope'])}`;
  if ('updatedAt' in value && typeof value['updatedAt'] !== 'number') return `${where}"updatedAt" must be a number, got ${renderValue(value['updatedAt'])}`;
  if ('errors' in value && !isErrorMap(value['errors'])) return `${where}"errors" must map state names to lists of strings`;
  if ('history' in value) return historyProblem(value['history'], where);
  return undefined;
}

function historyProblem(history: unknown, where: string): string | undefined {
  if (!Array.isArray(history)) return `${where}"history" must be a list`;
  for (let i = 0; i < history.length; i++) {
    const entry: unknown = history[i];
    if (!isObject(entry) || typeof entry['state'] !== 'string' || typeof entry['at'] !== 'number') return `${where}history[${i}] needs a string "state" and a number "at"`;
    const unknown = unknownKey(entry, HISTORY_KEYS);
    if (unknown !== undefined) return `${where}history[${i}] has an unknown field ${renderValue(unknown)}`;
  }
  return undefined;
}

/** Why a parsed value is not a log record, or undefined when it is one. */
export function recordProblem(value: unknown): string | undefined {
  // A replay checks a million records: the common one, a plain transition, in one pass over its keys.
  return isPlainTransition(value) ? undefined : describeRecordProblem(value);
}

/** True only for a transition describeRecordProblem finds nothing wrong with, and without an error, a failed mark or kicks. */
function isPlainTransition(value: unknown): boolean {
  if (!isObject(value)) return false;
  let required = 0; // seq, type, id, from, to, jc and at seen
  for (const key in value) {
    const field = value[key];
    switch (key) {
      case 'seq':
        if (!Number.isSafeInteger(field)) return false;
        break;
      case 'type':
        if (field !== 'transition') return false;
        break;
      case 'id':
      case 'from':
      case 'to':
        if (typeof field !== 'string' || field === '') return false;
        break;
      case 'jc':
        break;
      case 'at':
        if (typeof field !== 'number') return false;
        break;
      default:
        return false;
    }
    required++;
  }
  return required === 7;
}

function describeRecordProblem(value: unknown): string | undefined {
  if (!isObject(value)) return `a log line must be a JSON object, got ${renderValue(value)}`;
  if (!Number.isSafeInteger(value['seq'])) return `"seq" must be a whole number, got ${renderValue(value['seq'])}`;
  if (value['type'] === 'add') return addProblem(value);
  if (value['type'] === 'move') return moveProblem(value);
  if (value['type'] !== 'transition') return `"type" must be "transition", "add" or "move", got ${renderValue(value['type'])}`;
  const unknown = unknownKey(value, TRANSITION_KEYS);
  if (unknown !== undefined) return `a transition record has an unknown field ${renderValue(unknown)}`;
  for (const field of ['id', 'from', 'to'] as const) {
    if (typeof value[field] !== 'string' || value[field] === '') return `"${field}" must be a non-empty string, got ${renderValue(value[field])}`;
  }
  if (!('jc' in value)) return `"jc" is missing`;
  if (typeof value['at'] !== 'number') return `"at" must be a number, got ${renderValue(value['at'])}`;
  if ('error' in value && typeof value['error'] !== 'string') return `"error" must be a string, got ${renderValue(value['error'])}`;
  if ('failed' in value && value['failed'] !== true) return `"failed" must be true when present, got ${renderValue(value['failed'])}`;
  if ('dueAt' in value && (typeof value['dueAt'] !== 'number' || !Number.isFinite(value['dueAt']))) return `"dueAt" must be a time in epoch milliseconds, got ${renderValue(value['dueAt'])}`;
  if ('kicks' in value) return kicksProblem(value['kicks']);
  return undefined;
}

function kicksProblem(kicks: unknown): string | undefined {
  if (!Array.isArray(kicks)) return `"kicks" must be a list, got ${renderValue(kicks)}`;
  for (let i = 0; i < kicks.length; i++) {
    const kick: unknown = kicks[i];
    if (!isObject(kick) || typeof kick['id'] !== 'string' || typeof kick['state'] !== 'string' || !('jc' in kick)) return `kicks[${i}] needs a string "id", a string "state" and a "jc"`;
    const unknown = unknownKey(kick, KICK_KEYS);
    if (unknown !== undefined) return `kicks[${i}] has an unknown field ${renderValue(unknown)}`;
    if ('dueAt' in kick && (typeof kick['dueAt'] !== 'number' || !Number.isFinite(kick['dueAt']))) return `kicks[${i}] "dueAt" must be a time in epoch milliseconds, got ${renderValue(kick['dueAt'])}`;
    if ('keyScope' in kick && kick['keyScope'] !== 'unsettled') return `kicks[${i}] "keyScope" must be "unsettled" when present, got ${renderValue(kick['keyScope'])}`;
  }
  return undefined;
}

function addProblem(value: Record<string, unknown>): string | undefined {
  const unknown = unknownKey(value, ADD_KEYS);
  if (unknown !== undefined) return `an add record has an unknown field ${renderValue(unknown)}`;
  if ('nextId' in value && !Number.isSafeInteger(value['nextId'])) return `"nextId" must be a whole number, got ${renderValue(value['nextId'])}`;
  return jobProblem(value['job']);
}

function moveProblem(value: Record<string, unknown>): string | undefined {
  const unknown = unknownKey(value, MOVE_KEYS);
  if (unknown !== undefined) return `a move record has an unknown field ${renderValue(unknown)}`;
  for (const field of ['id', 'from', 'to', 'note'] as const) {
    if (typeof value[field] !== 'string' || value[field] === '') return `"${field}" must be a non-empty string, got ${renderValue(value[field])}`;
  }
  if (typeof value['at'] !== 'number') return `"at" must be a number, got ${renderValue(value['at'])}`;
  if ('keepFailed' in value && value['keepFailed'] !== true) return `"keepFailed" must be true when present, got ${renderValue(value['keepFailed'])}`;
  return undefined;
}

/** The end line of a snapshot when `value` is one, undefined when it is no end line at all, or why it is a bad one. */
export function asSnapshotEnd(value: unknown): SnapshotEnd | LineProblem | undefined {
  if (!isObject(value) || !('end' in value)) return undefined;
  const end = value['end'];
  if (Object.keys(value).length !== 1 || !isObject(end) || !Number.isSafeInteger(end['jobs']) || !Number.isSafeInteger(end['crc32'])) {
    return { problem: 'the end line must be {"end":{"jobs":<count>,"crc32":<checksum>}}' };
  }
  return { jobs: end['jobs'] as number, crc32: end['crc32'] as number };
}

/** The end line of a log batch when `value` is one, undefined when it is a record line, or why it is a bad one. */
export function asBatchEnd(value: unknown): BatchEnd | LineProblem | undefined {
  if (!isObject(value) || !('batch' in value)) return undefined;
  const end = value['batch'];
  const fields = isObject(end) && Number.isSafeInteger(end['first']) && Number.isSafeInteger(end['last']) && Number.isSafeInteger(end['crc32']);
  if (Object.keys(value).length !== 1 || !fields) return { problem: 'a batch line must be {"batch":{"first":<seq>,"last":<seq>,"crc32":<checksum>}}' };
  return { first: end['first'] as number, last: end['last'] as number, crc32: end['crc32'] as number };
}

function unknownKey(value: Record<string, unknown>, known: ReadonlySet<string>): string | undefined {
  for (const key in value) if (!known.has(key)) return key;
  return undefined;
}

function isErrorMap(value: unknown): boolean {
  if (!isObject(value)) return false;
  for (const state in value) {
    if (!Object.hasOwn(value, state)) continue;
    const list = value[state];
    if (!Array.isArray(list)) return false;
    for (let i = 0; i < list.length; i++) if (typeof list[i] !== 'string') return false;
  }
  return true;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
