import type { HistoryEntry, Job } from '../model/job.js';

/** A job as the jobs table holds it (bigints come back from the driver as strings). */
export interface JobRow {
  readonly id: string;
  readonly ord: string;
  readonly state: string;
  readonly failed: boolean;
  readonly parent_id: string | null;
  readonly key: string | null;
  readonly priority: number | null;
  readonly jc: unknown;
  readonly errors: Record<string, string[]> | null;
  readonly history: HistoryEntry[] | null;
  readonly updated_at: number;
  /** When its exec may start (epoch ms), or null (no delay). */
  readonly due_at: number | null;
  /** 'unsettled' when its key is held only while it is unsettled, or null. */
  readonly key_scope: string | null;
}

/** The columns read back, in the order of {@link JobRow}. */
export const JOB_COLUMNS = 'id, ord, state, failed, parent_id, key, priority, jc, errors, history, updated_at, due_at, key_scope';

/** {@link JOB_COLUMNS} of a schema before version 4 (a read-only store reads it as it is): no delays, no scoped keys. */
export const JOB_COLUMNS_BEFORE_4 = 'id, ord, state, failed, parent_id, key, priority, jc, errors, history, updated_at, NULL::double precision AS due_at, NULL::text AS key_scope';

/** A row read back as the job it stores. */
export function jobOfRow<JC>(row: JobRow): Job<JC> {
  const job: { -readonly [K in keyof Job<JC>]: Job<JC>[K] } = {
    id: row.id,
    state: row.state,
    jc: row.jc as JC,
    errors: row.errors ?? {},
    history: row.history ?? [],
    updatedAt: row.updated_at,
  };
  if (row.parent_id !== null) job.parentId = row.parent_id;
  if (row.key !== null) job.key = row.key;
  if (row.priority !== null) job.priority = row.priority;
  if (row.failed) job.failed = true;
  if (row.key_scope === 'unsettled' && row.key !== null) job.keyScope = 'unsettled';
  if (row.due_at !== null) job.dueAt = row.due_at;
  return job;
}

/** One element of the JSON array `json_to_recordset` turns into rows; `n` orders new rows. */
export interface RowInput {
  readonly n: number;
  readonly id: string;
  readonly state: string;
  readonly failed: boolean;
  readonly settled: boolean;
  readonly parent_id: string | null;
  readonly key: string | null;
  readonly priority: number | null;
  readonly jc: unknown;
  readonly errors: unknown;
  readonly history: unknown;
  readonly updated_at: number;
  readonly kick_count: number;
  readonly due_at: number | null;
  readonly key_scope: 'unsettled' | null;
}

/** The column definition list for `json_to_recordset`, matching {@link RowInput}. */
export const ROW_INPUT_COLUMNS =
  'n bigint, id text, state text, failed boolean, settled boolean, parent_id text, key text, priority double precision, jc jsonb, errors jsonb, history jsonb, updated_at double precision, kick_count integer, due_at double precision, key_scope text';

/**
 * A job as a row to write; `kickCount` is how many children it has kicked (shared runs give the
 * next child the id after them); `settled`: it needs no more work (failed, or in a terminal state).
 * Throws, naming the job, for what a row cannot hold.
 */
export function rowOfJob(job: Job<unknown>, n: number, owner: string, kickCount: number, settled: boolean): RowInput {
  if (job.jc === undefined) throw new Error(`${owner}: cannot store job "${job.id}": its job context is undefined, which JSON cannot store`);
  return {
    n,
    id: job.id,
    state: job.state,
    failed: job.failed === true,
    settled: settled || job.failed === true,
    parent_id: job.parentId ?? null,
    key: job.key ?? null,
    priority: job.priority ?? null,
    jc: job.jc,
    errors: job.errors,
    history: job.history,
    updated_at: job.updatedAt,
    kick_count: kickCount,
    due_at: job.dueAt ?? null,
    key_scope: job.keyScope ?? null,
  };
}
