import { applyMove } from './apply-record.js';
import type { Job } from './job.js';
import { internalsOf, type Run } from './run.js';
import { RunError } from './run-error.js';
import type { MoveRecord } from './store-record.js';
import { renderValue } from './render-value.js';
import { checkOptions, optionKeys } from './check-option.js';

/**
 * What {@link redrive} moves.
 *
 * @example
 * ```ts
 * const options: RedriveOptions = { from: 'fetch-failed', to: 'fetch', whereError: /HTTP 5\d\d/ };
 * ```
 * @public
 */
export interface RedriveOptions {
  /** Jobs in this state are candidates. */
  readonly from: string;
  /** Where they go. */
  readonly to: string;
  /**
   * Only jobs with a matching error among those that brought them into `from`: the errors recorded
   * in `from` (an exec that failed there) and in the state they came from into `from` (a job sent
   * to a fail state by a timeout, a retry's `then` or its exec has the error under the state it
   * happened in). @defaultValue every job in `from`
   */
  readonly whereError?: RegExp;
  /** Keep the failed mark instead of clearing it (the job then does not run until cleared). @defaultValue false */
  readonly keepFailed?: boolean;
  /** The time recorded in the jobs' history. @defaultValue Date.now() */
  readonly at?: number;
}

const REDRIVE_OPTION_KEYS = optionKeys<RedriveOptions>({ from: true, to: true, whereError: true, keepFailed: true, at: true });

/**
 * Moves jobs of a run from one state to another — the redrive of a batch that failed for a reason
 * since fixed — clearing their failed mark and recording the move in their history. Returns the
 * moved jobs' ids. The run must not be executing. Each move is a change like a transition: the
 * store that loaded the run writes it when the store is closed or the next `exec` starts.
 *
 * @example
 * ```ts
 * const store = new JsonlStore<OC, JC>('runs/crawl.jsonl');
 * const run = await store.load();
 * if (run) redrive(run, { from: 'fetch-failed', to: 'fetch', whereError: /timed out/ });
 * await store.close(); // the moves are written before the store closes
 * ```
 * @public
 */
export function redrive(run: Run<unknown, unknown>, options: RedriveOptions): string[] {
  checkOptions('redrive(run, options)', options, REDRIVE_OPTION_KEYS, "{ from: 'fetch-failed', to: 'fetch' }");
  const own = internalsOf<unknown>(run);
  if (own.busy) throw new RunError(`Run "${run.name}" is being executed: stop the processor before a redrive`);
  for (const [side, state] of [['from', options.from], ['to', options.to]] as const) {
    if (own.states && !own.states.has(state)) {
      throw new RunError(`Run "${run.name}": cannot redrive ${side} state ${renderValue(state)}: workflow "${own.workflow?.name ?? '?'}" has the states ${[...own.states].join(', ')}`);
    }
  }
  const at = options.at ?? Date.now();
  const note = `redrive from ${options.from}`;
  const moved: string[] = [];
  for (const job of own.jobs.values()) {
    if (!matches(job, options)) continue;
    const record: MoveRecord = { type: 'move', id: job.id, from: options.from, to: options.to, at, note, ...(options.keepFailed ? { keepFailed: true } : {}) };
    applyMove(job, record);
    if (own.saved) own.unsaved.push(record);
    moved.push(job.id);
  }
  return moved;
}

function matches(job: Job<unknown>, { from, whereError }: RedriveOptions): boolean {
  if (job.state !== from) return false;
  if (whereError === undefined) return true;
  return errorsOfArrival(job).some((message) => whereError.test(message));
}

/**
 * The errors that brought a job into the state it is in: those recorded in that state, and those
 * recorded in the state its history shows it came from (the entry before its latest run of entries
 * in that state: retries and self-loops re-enter the state, they do not leave it).
 */
function errorsOfArrival(job: Job<unknown>): readonly string[] {
  const { history, state } = job;
  let i = history.length - 1;
  while (i >= 0 && history[i]?.state === state) i--;
  const cameFrom = i >= 0 ? history[i]?.state : undefined;
  return [...errorsIn(job, state), ...(cameFrom === undefined ? [] : errorsIn(job, cameFrom))];
}

/** A state's errors; own properties only (a state may be named "__proto__"). */
function errorsIn(job: Job<unknown>, state: string): readonly string[] {
  return Object.hasOwn(job.errors, state) ? (job.errors[state] ?? []) : [];
}
