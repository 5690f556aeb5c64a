import type { HistoryEntry, Job, KeyScope, MutableJob } from './job.js';
import { jsonProblem } from './json-value.js';
import { renderValue } from './render-value.js';
import { RunError } from './run-error.js';
import type { AddRecord, StoreRecord } from './store-record.js';
import { UnknownStatesError } from './unknown-states-error.js';
import type { WorkflowStates } from './workflow-states.js';
import { checkOptions, optionKeys } from './check-option.js';

/**
 * Options of {@link Run.add}.
 *
 * @example
 * ```ts
 * run.add({ url }, 'fetch', { id: url });
 * ```
 * @public
 */
export interface AddOptions {
  /** The job's id; `"0"`, `"1"`, … by default. Must be unique within the run. */
  readonly id?: string;
  /**
   * A de-duplication key shared with kicks: a later kick with the same key is dropped, and adding
   * a second job with it throws. Give a crawl's seed its URL so links back to it are not fetched.
   */
  readonly key?: string;
  /** Higher runs first within a state, first-in-first-out among equals. @defaultValue 0 */
  readonly priority?: number;
  /**
   * How long the key is held: for the run's life (`'run'`), or only until the job settles
   * (`'unsettled'`): then adding or kicking the same key again makes a new job. @defaultValue 'run'
   */
  readonly keyScope?: KeyScope;
  /**
   * The job waits in its state at least this long before its exec runs, holding no slot; the due
   * time is stored, so a restart honours it. Minimum: 0. @defaultValue 0
   */
  readonly delayMs?: number;
}

const ADD_OPTION_KEYS = optionKeys<AddOptions>({ id: true, key: true, priority: true, keyScope: true, delayMs: true });

/** What the model and the engine keep about a run beyond its jobs (stores see snapshots and records only). */
export interface RunInternals<JC> {
  readonly jobs: Map<string, MutableJob<JC>>;
  nextId: number;
  /** How many children each parent has kicked, for ids unique across the whole run (derived from the jobs on load). */
  readonly kickCounts: Map<string, number>;
  /** Keys of the run's jobs, for de-duplication (derived from the jobs on load): 'unsettled'-scoped keys only while their job has not settled. */
  readonly kickKeys: Set<string>;
  /** How many jobs have an 'unsettled'-scoped key (none: the keys need no recount when the run is bound). */
  scopedKeys: number;
  /** The states this run may hold, once it is bound to a workflow (made by it, loaded for it or executed by it). */
  states: ReadonlySet<string> | undefined;
  /** The workflow it is bound to, for messages. */
  workflow: WorkflowStates<string> | undefined;
  /** Changes made outside an execution (`run.add`, redrive) that no store holds yet, oldest first. */
  unsaved: StoreRecord<JC>[];
  /**
   * Whether the run was ever saved or loaded. Until then nothing is kept in `unsaved`: the first
   * save writes the whole run, changes included, and a run that is never saved costs no memory.
   */
  saved: boolean;
  /** True while a processor runs the run. */
  busy: boolean;
  /** The time `run.add` stamps (and counts a delay from): the clock of the processor that last ran the run, else Date.now. */
  now: () => number;
  /** Called for every job added while a processor runs the run. */
  onAdd: ((job: Job<JC>, record: AddRecord<JC>) => void) | undefined;
}

const internals = new WeakMap<object, RunInternals<unknown>>();

/** The bookkeeping of a run, for the model and the engine. */
export function internalsOf<JC>(run: Run<unknown, JC>): RunInternals<JC> {
  const found = internals.get(run);
  if (!found) throw new RunError('not a jorb-ts Run');
  return found as RunInternals<JC>;
}

/** The error list every job starts with, shared until the first error is recorded. */
export const NO_ERRORS: Record<string, string[]> = Object.freeze({});

/**
 * A named, serialisable group of jobs plus the overall context (OC). Restartable and reportable at
 * any moment. Make one with `workflow.newRun(name, oc)` or load one from a store.
 *
 * @example
 * ```ts
 * const run = crawl.newRun('crawl', { outDir: 'out' }).add({ url: 'https://example.com' }, 'fetch');
 * console.log(run.jobs.size); // 1
 * ```
 * @public
 */
export class Run<OC, JC, S extends string = string> {
  /** The run's name. */
  readonly name: string;
  /** The overall context, persisted with the run. */
  readonly oc: OC;

  constructor(name: string, oc: OC) {
    if (typeof name !== 'string' || name.length === 0) {
      throw new RunError(`A run needs a non-empty name, got ${renderValue(name)}`);
    }
    this.name = name;
    this.oc = oc;
    internals.set(this, {
      jobs: new Map(),
      nextId: 0,
      kickCounts: new Map(),
      kickKeys: new Set(),
      scopedKeys: 0,
      states: undefined,
      workflow: undefined,
      unsaved: [],
      saved: false,
      busy: false,
      now: Date.now,
      onAdd: undefined,
    });
  }

  /** Every job of the run by id, in the order they were added; read-only (a redrive or an exec changes jobs). */
  get jobs(): ReadonlyMap<string, Job<JC, S>> {
    return internalsOf<JC>(this).jobs as ReadonlyMap<string, Job<JC>> as ReadonlyMap<string, Job<JC, S>>;
  }

  /**
   * Adds a job in `state` with job context `jc`. Ids are `"0"`, `"1"`, … unless given; a duplicate
   * id, an unknown state or a missing job context throws a {@link RunError} and adds nothing.
   * The addition is a change like a transition: a store that holds the run writes it (as one
   * record) when the next `exec` starts or when the store is closed, without rewriting the run.
   *
   * @example
   * ```ts
   * run.add({ url: 'https://example.com' }, 'fetch').add({ url: 'https://example.org' }, 'fetch');
   * ```
   */
  add(jc: JC, state: S, options: AddOptions = {}): this {
    checkOptions('run.add(jc, state, options)', options, ADD_OPTION_KEYS, '{ key: url }');
    const own = internalsOf<JC>(this);
    if (own.states && !own.states.has(state)) {
      throw new RunError(
        `Run "${this.name}": cannot add a job in state ${renderValue(state)}: workflow "${own.workflow?.name ?? '?'}" has the states ${[...own.states].join(', ')}`,
      );
    }
    if (jc === undefined) throw new RunError(`Run "${this.name}": a job needs a job context (jc), got undefined`);
    const problem = jsonProblem(jc);
    if (problem !== undefined) throw new RunError(`Run "${this.name}": cannot add a job whose ${problem}`);
    if (options.id !== undefined && (typeof options.id !== 'string' || options.id.length === 0)) {
      throw new RunError(`Run "${this.name}": a job id must be a non-empty string, got ${renderValue(options.id)}`);
    }
    if (options.id !== undefined && own.jobs.has(options.id)) throw new RunError(`Run "${this.name}": a job with id "${options.id}" already exists`);
    const key = options.key;
    if (key !== undefined && typeof key !== 'string') throw new RunError(`Run "${this.name}": a key must be a string, got ${renderValue(key)}`);
    if (key !== undefined && own.kickKeys.has(key)) throw new RunError(`Run "${this.name}": the key ${renderValue(key)} was already used by another job`);
    const priority = options.priority;
    if (priority !== undefined && !Number.isFinite(priority)) throw new RunError(`Run "${this.name}": a priority must be a finite number, got ${renderValue(priority)}`);
    const keyScope = options.keyScope;
    if (keyScope !== undefined && keyScope !== 'run' && keyScope !== 'unsettled') throw new RunError(`Run "${this.name}": keyScope must be 'run' or 'unsettled', got ${renderValue(keyScope)}`);
    const delayMs = options.delayMs;
    if (delayMs !== undefined && !(typeof delayMs === 'number' && delayMs >= 0 && delayMs < Infinity)) throw new RunError(`Run "${this.name}": delayMs must be a number of milliseconds >= 0, got ${renderValue(delayMs)}`);
    // The id is taken last: a refused add changes nothing, not even the next default id.
    const id = options.id ?? nextFreeId(own);
    const at = own.now();
    const extras = { keyScope: keyScope === 'unsettled' && key !== undefined ? keyScope : undefined, dueAt: delayMs !== undefined && delayMs > 0 ? at + delayMs : undefined } as const;
    const job = newJob<JC>(id, state, jc, undefined, key, at, priority, extras);
    own.jobs.set(id, job);
    if (key !== undefined) own.kickKeys.add(key);
    if (job.keyScope !== undefined) own.scopedKeys++;
    // A copy: a redrive before the store sees the add must not change what the add recorded.
    const record: AddRecord<JC> = { type: 'add', job: { ...job }, ...(options.id === undefined ? { nextId: own.nextId } : {}) };
    if (own.onAdd) own.onAdd(job, record);
    else if (own.saved) own.unsaved.push(record);
    return this;
  }
}

function nextFreeId<JC>(own: RunInternals<JC>): string {
  while (own.jobs.has(String(own.nextId))) own.nextId++;
  return String(own.nextId++);
}

/** Makes a job with the shape every job shares, so the engine's hot paths stay monomorphic. */
export function newJob<JC>(
  id: string,
  state: string,
  jc: JC,
  parentId: string | undefined,
  key: string | undefined,
  at: number,
  priority?: number,
  extras?: JobExtras,
): MutableJob<JC> {
  return shapedJob(id, state, jc, parentId, key, NO_ERRORS, [{ state, at }], at, priority, extras);
}

/** The fields few jobs have, set only on those that do (each costs memory on a million jobs). */
export interface JobExtras {
  readonly dueAt?: number | undefined;
  readonly keyScope?: 'unsettled' | undefined;
}

/**
 * A job in the shape {@link newJob} gives, with the errors and history it already has (a job read
 * back from a store): the same object literals, so restored jobs share the engine's hidden classes.
 */
export function shapedJob<JC>(
  id: string,
  state: string,
  jc: JC,
  parentId: string | undefined,
  key: string | undefined,
  errors: Record<string, string[]>,
  history: HistoryEntry[],
  updatedAt: number,
  priority: number | undefined,
  extras?: JobExtras,
): MutableJob<JC> {
  const job = plainJob(id, state, jc, parentId, key, errors, history, updatedAt);
  // Only jobs that have one carry a priority: most runs use none, and each field costs memory.
  if (priority !== undefined && priority !== 0) (job as { priority?: number }).priority = priority;
  if (extras?.keyScope !== undefined && key !== undefined) (job as { keyScope?: 'unsettled' }).keyScope = extras.keyScope;
  if (extras?.dueAt !== undefined) job.dueAt = extras.dueAt;
  return job;
}

function plainJob<JC>(
  id: string,
  state: string,
  jc: JC,
  parentId: string | undefined,
  key: string | undefined,
  errors: Record<string, string[]>,
  history: HistoryEntry[],
  updatedAt: number,
): MutableJob<JC> {
  // Keys in the order a run file lists them (encodeJob), so that a job parsed from a snapshot line
  // already has the engine's shape and is kept as it is (RunRestore.collect) rather than copied.
  if (key !== undefined) {
    if (parentId === undefined) return { id, state, key, jc, errors, updatedAt, history };
    return { id, state, parentId, key, jc, errors, updatedAt, history };
  }
  if (parentId === undefined) return { id, state, jc, errors, updatedAt, history };
  return { id, state, parentId, jc, errors, updatedAt, history };
}

/** Records what a job means for kick ids and keys: its key is taken, its parent has kicked at least this many. */
export function noteKickedJob<JC>(own: RunInternals<JC>, job: Job<JC>): void {
  if (job.key !== undefined) own.kickKeys.add(job.key);
  if (job.keyScope !== undefined) own.scopedKeys++;
  if (job.parentId === undefined) return;
  const prefix = `${job.parentId}->`;
  if (!job.id.startsWith(prefix)) return;
  const n = Number(job.id.slice(prefix.length));
  if (Number.isInteger(n) && n + 1 > (own.kickCounts.get(job.parentId) ?? 0)) own.kickCounts.set(job.parentId, n + 1);
}

/**
 * Saves the changes made to a run outside an execution (`run.add`, `redrive`) that no store holds
 * yet: calls `write` with them, oldest first, and forgets them once it resolves (if it rejects they
 * stay, for the next try). A store that holds the run appends them when the processor checkpoints
 * at `'start'` and when it is closed; a store that writes the run whole passes a `write` that
 * writes the snapshot (which holds them).
 *
 * @example
 * ```ts
 * // in a Store's checkpoint(run, 'start'), for the run this store loaded:
 * await flushUnsavedRecords(run, (records) => this.append(records));
 * ```
 * @public
 */
export async function flushUnsavedRecords<JC>(run: Run<unknown, JC>, write: (records: readonly StoreRecord<JC>[]) => Promise<void>): Promise<void> {
  const own = internalsOf<JC>(run);
  const records = own.unsaved;
  // Changes made while `write` runs go to a fresh list and wait for the next flush.
  own.unsaved = [];
  const saved = own.saved;
  own.saved = true;
  try {
    await write(records);
  } catch (error) {
    own.unsaved = own.unsaved.length === 0 ? records : [...records, ...own.unsaved];
    own.saved = saved;
    throw error;
  }
}

/** Forgets the unsaved records of a run that no store will write (a processor without a store). */
export function discardUnsavedRecords(run: Run<unknown, unknown>): void {
  internalsOf(run).unsaved = [];
}

/**
 * Binds a run to a workflow: from then on `run.add` and `redrive` accept only its states. Throws an
 * {@link UnknownStatesError} listing every job in a state the workflow does not declare, and binds
 * nothing then. A processor binds the run it executes; a store's `load(workflow)` binds what it loads.
 *
 * @example
 * ```ts
 * const run = bindRun(fromSnapshot<OC, JC>(snapshot), crawl); // typed with crawl's state names
 * ```
 * @public
 */
export function bindRun<OC, JC, S extends string>(run: Run<OC, JC>, workflow: WorkflowStates<S>): Run<OC, JC, S> {
  const own = internalsOf<JC>(run);
  if (own.workflow === workflow) return run as Run<OC, JC, S>;
  const known: ReadonlySet<string> = new Set(workflow.states);
  const unknown: { id: string; state: string }[] = [];
  for (const job of own.jobs.values()) if (!known.has(job.state)) unknown.push({ id: job.id, state: job.state });
  if (unknown.length > 0) throw new UnknownStatesError(workflow.name, run.name, unknown, workflow.states);
  own.states = known;
  own.workflow = workflow;
  const graph = (workflow as { graph?: { state(name: string): { terminal: boolean } | undefined } }).graph;
  if (graph !== undefined) recountKeys(own, (job) => job.failed === true || graph.state(job.state)?.terminal === true);
  return run as Run<OC, JC, S>;
}

/**
 * Recomputes the keys a run holds: every key held for the run's life, and each 'unsettled'-scoped
 * key of a job that has not settled. Costs nothing when no job has a scoped key.
 */
export function recountKeys<JC>(own: RunInternals<JC>, settled: (job: Job<JC>) => boolean): void {
  if (own.scopedKeys === 0) return;
  const held = new Set<string>();
  for (const job of own.jobs.values()) if (job.key !== undefined && (job.keyScope === undefined || !settled(job))) held.add(job.key);
  for (const key of own.kickKeys) if (!held.has(key)) own.kickKeys.delete(key);
}
