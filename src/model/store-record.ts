import type { Job } from './job.js';

/**
 * A child job created by a transition, as the store records it.
 *
 * @example
 * ```ts
 * const kick: KickRecord<{ url: string }> = { id: '0->0', state: 'fetch', jc: { url } };
 * ```
 * @public
 */
export interface KickRecord<JC> {
  /** The child's id, `${parentId}->${n}`. */
  readonly id: string;
  /** The state it starts in. */
  readonly state: string;
  /** Its job context. */
  readonly jc: JC;
  /** Its de-duplication key, if the kick had one. */
  readonly key?: string;
  /** Its priority, if the kick had one. */
  readonly priority?: number;
  /** `'unsettled'` when its key is held only until it settles. */
  readonly keyScope?: 'unsettled';
  /** When its exec may start (epoch ms), if the kick had a delay. */
  readonly dueAt?: number;
}

/**
 * One completed transition of one job, as a store appends it. Replaying records in order on the
 * run they were made from gives the run as the engine left it.
 *
 * @example
 * ```ts
 * const r: TransitionRecord<{ n: number }> = { type: 'transition', id: '0', from: 'start', to: 'done', jc: { n: 1 }, at: Date.now() };
 * ```
 * @public
 */
export interface TransitionRecord<JC> {
  /** Marks a transition record. */
  readonly type: 'transition';
  /** The job's id. */
  readonly id: string;
  /** The state the job was in. */
  readonly from: string;
  /** The state it is in now (equal to `from` when it failed). */
  readonly to: string;
  /** Its job context now. */
  readonly jc: JC;
  /** When, in epoch milliseconds. */
  readonly at: number;
  /** An error recorded in `job.errors[from]`. */
  readonly error?: string;
  /** The job stopped in `from`, marked failed. */
  readonly failed?: true;
  /** Children it kicked. */
  readonly kicks?: readonly KickRecord<JC>[];
  /** When its exec in `to` may start (epoch ms), if the transition had a delay. */
  readonly dueAt?: number;
}

/**
 * A job added to a run (`run.add`), during an execution or between them.
 *
 * @example
 * ```ts
 * const r: AddRecord<{ n: number }> = { type: 'add', job };
 * ```
 * @public
 */
export interface AddRecord<JC> {
  /** Marks an add record. */
  readonly type: 'add';
  /** The job as it was added. */
  readonly job: Job<JC>;
  /** The run's next default id after this add, when the job took a default id. */
  readonly nextId?: number;
}

/**
 * A job moved by an operator rather than by an exec: a redrive. Its job context stays; its failed
 * mark is cleared unless `keepFailed`; the move is noted in its history.
 *
 * @example
 * ```ts
 * const r: MoveRecord = { type: 'move', id: '7', from: 'fetch-failed', to: 'fetch', at: Date.now(), note: 'redrive from fetch-failed' };
 * ```
 * @public
 */
export interface MoveRecord {
  /** Marks a move record. */
  readonly type: 'move';
  /** The job's id. */
  readonly id: string;
  /** The state it was in. */
  readonly from: string;
  /** The state it is in now. */
  readonly to: string;
  /** When, in epoch milliseconds. */
  readonly at: number;
  /** Why, for the job's history. */
  readonly note: string;
  /** The job keeps its failed mark (it does not run until the mark is cleared). */
  readonly keepFailed?: true;
}

/**
 * Anything a store appends.
 *
 * @example
 * ```ts
 * await store.append([{ type: 'add', job }]);
 * ```
 * @public
 */
export type StoreRecord<JC> = TransitionRecord<JC> | AddRecord<JC> | MoveRecord;
