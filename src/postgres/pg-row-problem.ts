import { renderValue } from '../model/render-value.js';
import type { JobRow } from './pg-job-row.js';

// What a load checks of the rows it reads, before any of them becomes part of a run. The column
// types already hold most of a job's shape (text, boolean, double precision, jsonb, NOT NULL); what
// they let through is checked here: an empty id or state, a number that is not finite (double
// precision takes 'NaN' and 'Infinity'), errors, histories and next ids of the wrong shape, and a
// job context with a number JavaScript cannot hold. The checks mirror the JSONL store's job checks
// (src/store/jsonl-format.ts, which this folder may not import); the common row passes in one pass.

/** The runs row as a load reads it (a bigint comes back from the driver as a string). */
export interface RunRow {
  readonly run_name: unknown;
  readonly oc: unknown;
  readonly next_id: unknown;
}

/** Why the runs row cannot be read as a run's head, or undefined when it can. */
export function runRowProblem(row: RunRow): string | undefined {
  if (typeof row.run_name !== 'string' || row.run_name === '') return `its "run_name" must be a non-empty string, got ${renderValue(row.run_name)}`;
  const nextId = Number(row.next_id);
  if (typeof row.next_id !== 'string' || !Number.isSafeInteger(nextId) || nextId < 0) {
    return `its "next_id" (the next default job id) must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER}, got ${renderValue(row.next_id)}`;
  }
  if (hasHugeNumber(row.oc)) return `its overall context "oc" holds a number too large for JavaScript (beyond ±1.8e308), which would be read as Infinity`;
  return undefined;
}

/** Why a jobs row cannot be read as a job, or undefined when it can. Names the column and what it holds. */
export function jobRowProblem(row: JobRow): string | undefined {
  if (typeof row.id !== 'string' || row.id === '') return `"id" must be a non-empty string, got ${renderValue(row.id)}`;
  if (typeof row.state !== 'string' || row.state === '') return `"state" must be a non-empty string, got ${renderValue(row.state)}`;
  if (row.priority !== null && !Number.isFinite(row.priority)) return `"priority" must be a finite number or NULL, got ${renderValue(row.priority)}`;
  if (!Number.isFinite(row.updated_at)) return `"updated_at" must be a finite number (epoch milliseconds), got ${renderValue(row.updated_at)}`;
  if (row.due_at !== null && !Number.isFinite(row.due_at)) return `"due_at" must be a finite number (epoch milliseconds) or NULL, got ${renderValue(row.due_at)}`;
  if (!isErrorMap(row.errors)) return `"errors" must be a JSON object mapping state names to lists of strings, got ${renderValue(row.errors)}`;
  const history = historyProblem(row.history);
  if (history !== undefined) return history;
  if (hasHugeNumber(row.jc)) return `its job context "jc" holds a number too large for JavaScript (beyond ±1.8e308), which would be read as Infinity and written back as null`;
  return undefined;
}

function historyProblem(history: unknown): string | undefined {
  if (!Array.isArray(history)) return `"history" must be a JSON list of { state, at } entries, got ${renderValue(history)}`;
  for (let i = 0; i < history.length; i++) {
    const entry: unknown = history[i];
    if (!isObject(entry) || typeof entry['state'] !== 'string' || typeof entry['at'] !== 'number') {
      return `"history"[${i}] needs a string "state" and a number "at", got ${renderValue(entry)}`;
    }
    for (const key in entry) {
      if (key === 'note') {
        if (typeof entry['note'] !== 'string') return `"history"[${i}]'s "note" must be a string, got ${renderValue(entry['note'])}`;
      } else if (key !== 'state' && key !== 'at') return `"history"[${i}] has an unknown field ${renderValue(key)}`;
    }
  }
  return undefined;
}

function isErrorMap(value: unknown): boolean {
  if (!isObject(value)) return false;
  for (const state in value) {
    const list = value[state];
    if (!Array.isArray(list)) return false;
    for (let i = 0; i < list.length; i++) if (typeof list[i] !== 'string') return false;
  }
  return true;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Whether a parsed JSON value holds a number JSON.parse turned into ±Infinity (jsonb keeps any
 * numeric: `1e400` is stored, and read back as Infinity). Only a non-finite number can be one, so
 * the walk is cheap, and it stops at the first.
 */
function hasHugeNumber(value: unknown): boolean {
  if (typeof value === 'number') return !Number.isFinite(value);
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (hasHugeNumber(value[i])) return true;
    return false;
  }
  for (const key in value) if (hasHugeNumber((value as Record<string, unknown>)[key])) return true;
  return false;
}
