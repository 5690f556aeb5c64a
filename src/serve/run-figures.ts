import { applyRecord } from '../model/apply-record.js';
import type { Job } from '../model/job.js';
import type { Run } from '../model/run.js';
import type { StoreRecord } from '../model/store-record.js';
import type { Workflow } from '../model/workflow.js';

/** Buckets of a duration histogram: bucket 0 is under 1 ms, bucket i (1…) is [2^(i-1), 2^i) ms, the last is open. */
export const HISTOGRAM_BUCKETS = 26;
/** How many seconds of throughput the server keeps (one bin a second, per state). */
export const THROUGHPUT_SECONDS = 300;

/** The counts of one state the dashboard shows, kept as the run changes. */
export interface StateCounts {
  readonly state: string;
  readonly terminal: boolean;
  waiting: number;
  failed: number;
  completed: number;
  /** Jobs with an error recorded in this state. */
  errorJobs: number;
  /** Visits that ended (a move out, or back in for a loop), from histories and the log since. */
  visits: number;
  totalMs: number;
  /** Durations of those visits (entering to leaving, waiting included), by {@link HISTOGRAM_BUCKETS}. */
  readonly histogram: number[];
}

type Kind = 'waiting' | 'failed' | 'completed';

/**
 * What the dashboard counts of a run, found in one pass over its jobs, then kept up to date record
 * by record as the log grows ({@link RunFigures.apply}): per state, jobs waiting, failed and
 * completed, jobs with errors, visit durations; per second, the visits each state ended.
 */
export class RunFigures {
  readonly states: StateCounts[];
  readonly #index: Map<string, number>;
  /** Epoch second → visits ended per state (by index), the latest {@link THROUGHPUT_SECONDS}. */
  readonly #bins = new Map<number, number[]>();
  jobs = 0;
  records = 0;
  /** The latest time a history or the log shows (epoch ms). */
  lastAt = 0;

  constructor(workflow: Workflow<unknown, unknown, unknown, string>, run: Run<unknown, unknown>) {
    this.states = workflow.graph.states.map((s) => ({ state: s.name, terminal: s.terminal, waiting: 0, failed: 0, completed: 0, errorJobs: 0, visits: 0, totalMs: 0, histogram: new Array<number>(HISTOGRAM_BUCKETS).fill(0) }));
    this.#index = new Map(this.states.map((s, i) => [s.state, i]));
    for (const job of run.jobs.values()) this.#count(job, 1, true);
    this.#trim();
  }

  /** Applies a record of the run's log to the run, and counts what it changed. */
  apply(run: Run<unknown, unknown>, record: StoreRecord<unknown>): void {
    this.records++;
    if (record.type === 'add') {
      const had = run.jobs.has(record.job.id);
      applyRecord(run, record);
      const job = run.jobs.get(record.job.id);
      if (!had && job) this.#count(job, 1, false);
      return;
    }
    const job = run.jobs.get(record.id);
    const kicks = record.type === 'transition' ? (record.kicks ?? []).filter((k) => !run.jobs.has(k.id)) : [];
    if (job === undefined) {
      applyRecord(run, record); // throws the model's error
      return;
    }
    const before = this.#kind(job);
    const beforeState = job.state;
    const errorsBefore = errorStates(job);
    const last = job.history.at(-1);
    const wasFailed = job.failed === true;
    applyRecord(run, record);
    const after = this.#kind(job);
    this.#add(beforeState, before, -1);
    this.#add(job.state, after, 1);
    const errorsAfter = errorStates(job);
    for (const s of errorsBefore) if (!errorsAfter.includes(s)) this.#errors(s, -1);
    for (const s of errorsAfter) if (!errorsBefore.includes(s)) this.#errors(s, 1);
    const now = job.history.at(-1);
    if (record.type === 'transition') {
      if (now !== undefined && now !== last && last !== undefined) this.#visit(last.state, now.at - last.at, now.at);
      else if (!wasFailed && (job as { failed?: boolean }).failed === true) this.#bin(record.from, record.at);
    }
    if (record.at > this.lastAt) this.lastAt = record.at;
    for (const kick of kicks) {
      const child = run.jobs.get(kick.id);
      if (child) this.#count(child, 1, false);
    }
  }

  /** Visits ended per second per state, oldest first: `{ t: epoch second, n: counts by state index }`. */
  throughput(): { t: number; n: number[] }[] {
    return [...this.#bins.entries()].sort((a, b) => a[0] - b[0]).map(([t, n]) => ({ t, n }));
  }

  /** The bin of one second, for an update event. */
  bin(second: number): number[] | undefined {
    return this.#bins.get(second);
  }

  #count(job: Job<unknown>, sign: 1 | -1, withHistory: boolean): void {
    this.jobs += sign;
    this.#add(job.state, this.#kind(job), sign);
    for (const s of errorStates(job)) this.#errors(s, sign);
    if (!withHistory) return;
    const history = job.history;
    for (let i = 0; i + 1 < history.length; i++) {
      const entry = history[i];
      const next = history[i + 1];
      if (entry === undefined || next === undefined || next.note !== undefined) continue;
      this.#visit(entry.state, next.at - entry.at, next.at, false);
    }
    const last = history.at(-1)?.at ?? job.updatedAt;
    if (last > this.lastAt) this.lastAt = last;
  }

  #kind(job: Job<unknown>): Kind {
    const i = this.#index.get(job.state);
    if (i !== undefined && this.states[i]?.terminal === true) return 'completed';
    return job.failed === true ? 'failed' : 'waiting';
  }

  #add(state: string, kind: Kind, sign: number): void {
    const i = this.#index.get(state);
    const s = i === undefined ? undefined : this.states[i];
    if (s) s[kind] += sign;
  }

  #errors(state: string, sign: number): void {
    const i = this.#index.get(state);
    const s = i === undefined ? undefined : this.states[i];
    if (s) s.errorJobs += sign;
  }

  #visit(state: string, ms: number, at: number, trim = true): void {
    const i = this.#index.get(state);
    const s = i === undefined ? undefined : this.states[i];
    if (!s || !Number.isFinite(ms)) return;
    const d = Math.max(0, ms);
    s.visits++;
    s.totalMs += d;
    s.histogram[bucketOf(d)]! += 1;
    this.#bin(state, at, trim);
  }

  #bin(state: string, at: number, trim = true): void {
    const i = this.#index.get(state);
    if (i === undefined || !Number.isFinite(at)) return;
    const t = Math.floor(at / 1000);
    let bin = this.#bins.get(t);
    if (bin === undefined) {
      bin = new Array<number>(this.states.length).fill(0);
      this.#bins.set(t, bin);
      if (trim) this.#trim();
    }
    bin[i]! += 1;
  }

  /** Keeps the latest {@link THROUGHPUT_SECONDS} seconds of bins. */
  #trim(): void {
    if (this.#bins.size <= THROUGHPUT_SECONDS) return;
    const keys = [...this.#bins.keys()].sort((a, b) => a - b);
    for (const t of keys.slice(0, keys.length - THROUGHPUT_SECONDS)) this.#bins.delete(t);
  }
}

/** The histogram bucket of a duration in ms. */
export function bucketOf(ms: number): number {
  if (ms < 1) return 0;
  return Math.min(HISTOGRAM_BUCKETS - 1, Math.floor(Math.log2(ms)) + 1);
}

/** The states the job has errors recorded in. Own keys only (a state may be named "__proto__"). */
function errorStates(job: Job<unknown>): string[] {
  const found: string[] = [];
  for (const state of Object.keys(job.errors)) if ((job.errors[state]?.length ?? 0) > 0) found.push(state);
  return found;
}
