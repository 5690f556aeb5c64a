import type { PausedStates } from '../model/paused-states.js';
import type { StateMetrics } from '../diagram/diagram-metrics.js';
import { failStates, stateHealth, type StateHealth } from '../diagram/health.js';
import { jobPath, type JobPath } from '../diagram/job-path.js';
import { stateLabelLines } from '../diagram/node-label.js';
import { renderDiagram } from './render-diagram.js';
import { toDot } from '../diagram/to-dot.js';
import type { RunLedger } from '../ledger/run-ledger.js';
import type { Job } from '../model/job.js';
import type { Run } from '../model/run.js';
import type { StoreRecord } from '../model/store-record.js';
import type { Workflow } from '../model/workflow.js';
import { EventLog } from './event-log.js';
import { inferredWorkflow } from './inferred-workflow.js';
import { ledgerMetrics, runLedger } from './ledger-source.js';
import { RunFigures, type StateCounts } from './run-figures.js';

type AnyWorkflow = Workflow<unknown, unknown, unknown, string>;

/** Where a dashboard's run comes from, and how it learns of changes. */
export interface RunFeed {
  load(): Promise<Run<unknown, unknown> | undefined>;
  follow(listener: { records(records: readonly StoreRecord<unknown>[]): void; reloaded(run: Run<unknown, unknown>): void }, intervalMs: number): void;
  close(): void;
}

/** The least time between two update events (changes in between go out together). */
const MIN_EVENT_GAP_MS = 100;
/** The least time between two ledger computations (each reads the whole run). */
const LEDGER_EVERY_MS = 1_000;

/** One state as the page draws it: counts, health, the diagram label's run lines. */
export interface StateView {
  readonly state: string;
  readonly terminal: boolean;
  readonly waiting: number;
  readonly failed: number;
  readonly completed: number;
  readonly errorJobs: number;
  readonly visits: number;
  readonly meanMs: number | null;
  readonly health: StateHealth;
  /** The label lines below the state's definition (counts, errors, durations), as the diagram's SVG gets them. */
  readonly lines: readonly string[];
}

/** What an update event carries: the whole compact state but the SVG (sparkline points are the latest bin only). */
export interface UpdateEvent {
  readonly at: number;
  readonly jobs: number;
  readonly records: number;
  readonly lastAt: number;
  readonly states: readonly StateView[];
  /** The bin of the second the latest change fell in: `{ t: epoch second, n: visits ended by state index }`. */
  readonly bin?: { readonly t: number; readonly n: readonly number[] };
  readonly histograms?: readonly (readonly number[])[];
  readonly ledger?: RunLedger | null;
  /** The states paused now (jorb pause, processor.pause, the page's action). */
  readonly paused: readonly string[];
}

/** What the page starts from (and a `reset` event carries). */
export interface WholeState extends UpdateEvent {
  readonly name: string;
  readonly workflow: string;
  readonly inferred: boolean;
  readonly svg: string;
  /** Label lines of each state's definition in the SVG (the run lines come after them). */
  readonly definitionLines: readonly number[];
  readonly throughput: readonly { readonly t: number; readonly n: readonly number[] }[];
  readonly histograms: readonly (readonly number[])[];
  readonly ledger: RunLedger | null;
  readonly actions: boolean;
  readonly source: string;
  /** The id of the latest event: the page's EventSource resumes after it. */
  readonly eventId: number;
}

/**
 * A run as the dashboard keeps it: loaded once, then changed by the feed's records (or read again
 * whole), its figures kept up to date, and an update event sent to the pages at most every
 * {@link MIN_EVENT_GAP_MS} after a change; the ledger computed at most every {@link LEDGER_EVERY_MS}.
 */
export class Dashboard {
  readonly events = new EventLog();
  readonly source: string;
  readonly actions: boolean;
  #declared: AnyWorkflow | undefined;
  #workflow!: AnyWorkflow;
  #run!: Run<unknown, unknown>;
  #figures!: RunFigures;
  /** Records read since the start, across reloads. */
  #recordsBefore = 0;
  #svg = '';
  #definitionLines: number[] = [];
  #failStates: ReadonlySet<string> = new Set();
  #ledger: RunLedger | undefined;
  #ledgerAt = 0;
  #ledgerDirty = true;
  #lastEvent = 0;
  #timer: NodeJS.Timeout | undefined;
  #ledgerTimer: NodeJS.Timeout | undefined;
  #histogramsSentAt = 0;
  #feed: RunFeed;
  #paused: readonly string[] = [];
  #unwatchPaused: (() => void) | undefined;
  /** Figures of the inferred workflow went stale (a state it did not know, or a terminal one left): infer again. */
  #stale = false;

  private constructor(feed: RunFeed, declared: AnyWorkflow | undefined, source: string, actions: boolean) {
    this.#feed = feed;
    this.#declared = declared;
    this.source = source;
    this.actions = actions;
  }

  /** Loads the run and starts following it. Throws when the source holds no run. */
  static async open(feed: RunFeed, options: { workflow?: AnyWorkflow | undefined; source: string; actions?: boolean; intervalMs?: number; pausedStates?: PausedStates | undefined }): Promise<Dashboard> {
    const dashboard = new Dashboard(feed, options.workflow, options.source, options.actions === true);
    const run = await feed.load();
    if (run === undefined) throw new Error(`${options.source}: no run in it`);
    await dashboard.#reset(run);
    if (options.pausedStates !== undefined) await dashboard.#followPauses(options.pausedStates);
    feed.follow(
      {
        records: (records) => dashboard.#records(records),
        reloaded: (reloaded) => void dashboard.#reset(reloaded).then(() => dashboard.events.publish('reset', dashboard.whole())),
      },
      options.intervalMs ?? 50,
    );
    dashboard.#ledgerTimer = setInterval(() => dashboard.#refreshLedger(), LEDGER_EVERY_MS);
    dashboard.#ledgerTimer.unref();
    return dashboard;
  }

  /** Reads the paused states now, and again whenever they may have changed (a page shows them within a second). */
  async #followPauses(pausedStates: PausedStates): Promise<void> {
    const read = async () => {
      const now = [...(await pausedStates.read())].sort();
      if (now.join('\n') === this.#paused.join('\n')) return;
      this.#paused = now;
      this.#schedule();
    };
    await read().catch(() => undefined);
    let reading = Promise.resolve();
    this.#unwatchPaused = pausedStates.watch(() => {
      reading = reading.then(read).catch(() => undefined);
    });
  }

  get run(): Run<unknown, unknown> {
    return this.#run;
  }

  get workflow(): AnyWorkflow {
    return this.#workflow;
  }

  async #reset(run: Run<unknown, unknown>): Promise<void> {
    this.#run = run;
    this.#workflow = this.#declared ?? inferredWorkflow(run);
    this.#recordsBefore += (this.#figures as RunFigures | undefined)?.records ?? 0;
    this.#figures = new RunFigures(this.#workflow, run);
    this.#failStates = failStates(this.#workflow.graph.states);
    this.#definitionLines = this.#workflow.graph.states.map((s) => stateLabelLines(s).length);
    // Drawn once with the widest figures the run can have, so the boxes fit the counts the page writes in.
    const wide = this.#figures.jobs * 10 + 9;
    const metrics: StateMetrics[] = this.#workflow.graph.states.map((s) =>
      s.terminal
        ? { state: s.name, terminal: true, waiting: 0, executing: 0, committing: 0, completed: wide, failed: 0, errors: 0, visits: 0 }
        : { state: s.name, terminal: false, waiting: wide, executing: 0, committing: 0, completed: 0, failed: wide, errors: wide, visits: wide, meanDurationMs: 3_599_000 },
    );
    this.#svg = await renderDiagram(toDot(this.#workflow, { metrics }));
    this.#ledgerDirty = true;
    this.#refreshLedger(true);
  }

  #records(records: readonly StoreRecord<unknown>[]): void {
    const known = new Set(this.#workflow.states);
    for (const record of records) {
      try {
        this.#figures.apply(this.#run, record);
      } catch {
        this.#stale = true; // a record the run cannot take: read it again whole
      }
      if (this.#declared === undefined && staleFor(this.#workflow, known, record)) this.#stale = true;
    }
    this.#ledgerDirty = true;
    if (this.#stale) {
      this.#stale = false;
      void this.#reset(this.#run).then(() => this.events.publish('reset', this.whole()));
      return;
    }
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    const wait = Math.max(0, this.#lastEvent + MIN_EVENT_GAP_MS - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#lastEvent = Date.now();
      this.events.publish('update', this.update());
    }, wait);
  }

  #refreshLedger(force = false): void {
    if (!this.#ledgerDirty && !force) return;
    if (!force && Date.now() - this.#ledgerAt < LEDGER_EVERY_MS) return;
    this.#ledgerDirty = false;
    this.#ledgerAt = Date.now();
    try {
      this.#ledger = runLedger(this.#workflow, this.#run);
    } catch {
      this.#ledger = undefined;
    }
    if (!force) this.#schedule();
  }

  /** The ledger (computed at most every second; undefined only when computing it threw). */
  ledger(): RunLedger | undefined {
    return this.#ledger;
  }

  /** `/metrics`: the ledger as Prometheus text (the ledger of the last second, or computed now). */
  metrics(): string {
    this.#refreshLedger();
    const ledger = this.#ledger ?? runLedger(this.#workflow, this.#run);
    return ledgerMetrics(ledger, this.#run.name);
  }

  states(): StateView[] {
    return this.#figures.states.map((s, i) => view(this.#workflow, i, s, this.#failStates));
  }

  /** An update event: the states, the latest throughput bin, histograms at most every second, the ledger. */
  update(): UpdateEvent {
    const figures = this.#figures;
    const t = Math.floor(figures.lastAt / 1000);
    const bin = figures.bin(t);
    const now = Date.now();
    const histograms = now - this.#histogramsSentAt >= 1_000 ? figures.states.map((s) => s.histogram) : undefined;
    if (histograms) this.#histogramsSentAt = now;
    return {
      at: now,
      jobs: figures.jobs,
      records: this.#recordsBefore + figures.records,
      lastAt: figures.lastAt,
      states: this.states(),
      ...(bin ? { bin: { t, n: bin } } : {}),
      ...(histograms ? { histograms } : {}),
      ledger: this.#ledger ?? null,
      paused: this.#paused,
    };
  }

  whole(): WholeState {
    const figures = this.#figures;
    return {
      ...this.update(),
      name: this.#run.name,
      workflow: this.#workflow.name,
      inferred: this.#declared === undefined,
      svg: this.#svg,
      definitionLines: this.#definitionLines,
      throughput: figures.throughput(),
      histograms: figures.states.map((s) => s.histogram),
      ledger: this.#ledger ?? null,
      actions: this.actions,
      source: this.source,
      eventId: this.events.lastId,
    };
  }

  /** Jobs whose id, key, state or error text matches `q` (an exact id first), at most `limit`. */
  search(q: string, options: { state?: string | undefined; failed?: boolean | undefined; limit?: number | undefined } = {}): { jobs: JobRow[]; scanned: number; more: boolean } {
    const limit = Math.min(200, Math.max(1, options.limit ?? 50));
    const needle = q.trim().toLowerCase();
    const jobs: JobRow[] = [];
    const exact = needle === '' ? undefined : this.#run.jobs.get(q.trim());
    if (exact && matchesFilters(exact, options)) jobs.push(row(exact));
    let scanned = 0;
    let more = false;
    for (const job of this.#run.jobs.values()) {
      scanned++;
      if (job === exact || !matchesFilters(job, options)) continue;
      if (needle !== '' && !matchesText(job, needle)) continue;
      if (jobs.length >= limit) {
        more = true;
        break;
      }
      jobs.push(row(job));
    }
    return { jobs, scanned, more };
  }

  /** A job: its fields, its timeline of states (from its history) and its kick tree (parents up, children down). */
  job(id: string): { job: JobRow & { jc: string; errors: Job<unknown>['errors']; history: Job<unknown>['history'] }; path: JobPath; parents: JobRow[] } | undefined {
    const job = this.#run.jobs.get(id);
    if (job === undefined) return undefined;
    const joins = new Set(this.#workflow.graph.states.filter((s) => s.join !== undefined).map((s) => s.name));
    const path = jobPath(this.#run, id, joins);
    if (path === undefined) return undefined;
    const parents: JobRow[] = [];
    for (let p = job.parentId; p !== undefined && parents.length < 20; ) {
      const parent = this.#run.jobs.get(p);
      if (!parent) break;
      parents.unshift(row(parent));
      p = parent.parentId;
    }
    const jc = JSON.stringify(job.jc) ?? 'undefined';
    return { job: { ...row(job), jc: jc.length > 4000 ? `${jc.slice(0, 4000)}…` : jc, errors: job.errors, history: job.history }, path, parents };
  }

  close(): void {
    this.#unwatchPaused?.();
    this.#feed.close();
    clearTimeout(this.#timer);
    clearInterval(this.#ledgerTimer);
    this.events.close();
  }
}

/** Whether a workflow inferred from the run no longer fits it after `record`: a state it did not know, or a terminal one left. */
function staleFor(workflow: AnyWorkflow, known: ReadonlySet<string>, record: StoreRecord<unknown>): boolean {
  if (record.type === 'add') return !known.has(record.job.state);
  const from = workflow.graph.state(record.from);
  if (!known.has(record.to) || from === undefined || (from.terminal && record.to !== record.from)) return true;
  if (record.type === 'transition' && record.failed === true && from.terminal) return true;
  return record.type === 'transition' && (record.kicks ?? []).some((kick) => !known.has(kick.state));
}

/** A job as a search lists it. */
export interface JobRow {
  readonly id: string;
  readonly state: string;
  readonly failed: boolean;
  readonly key?: string;
  readonly parentId?: string;
  readonly updatedAt: number;
  readonly lastError?: string;
}

function row(job: Job<unknown>): JobRow {
  const errors = Object.hasOwn(job.errors, job.state) ? job.errors[job.state] : undefined;
  let lastError = errors?.at(-1);
  if (lastError === undefined) for (const list of Object.values(job.errors)) lastError = list.at(-1) ?? lastError;
  return {
    id: job.id,
    state: job.state,
    failed: job.failed === true,
    ...(job.key === undefined ? {} : { key: job.key }),
    ...(job.parentId === undefined ? {} : { parentId: job.parentId }),
    updatedAt: job.updatedAt,
    ...(lastError === undefined ? {} : { lastError }),
  };
}

function matchesFilters(job: Job<unknown>, options: { state?: string | undefined; failed?: boolean | undefined }): boolean {
  if (options.state !== undefined && options.state !== '' && job.state !== options.state) return false;
  if (options.failed !== undefined && (job.failed === true) !== options.failed) return false;
  return true;
}

function matchesText(job: Job<unknown>, needle: string): boolean {
  if (job.id.toLowerCase().includes(needle)) return true;
  if (job.key?.toLowerCase().includes(needle)) return true;
  if (job.state.toLowerCase() === needle) return true;
  for (const list of Object.values(job.errors)) for (const message of list) if (message.toLowerCase().includes(needle)) return true;
  return false;
}

function view(workflow: AnyWorkflow, i: number, s: StateCounts, fails: ReadonlySet<string>): StateView {
  const node = workflow.graph.states[i];
  const metrics: StateMetrics = {
    state: s.state,
    terminal: s.terminal,
    waiting: s.waiting,
    executing: 0,
    committing: 0,
    completed: s.completed,
    failed: s.failed,
    errors: s.errorJobs,
    visits: s.visits,
    ...(s.visits > 0 ? { meanDurationMs: s.totalMs / s.visits } : {}),
  };
  const definition = node ? stateLabelLines(node).length : 1;
  const lines = node ? stateLabelLines(node, metrics).slice(definition).filter((line) => !line.startsWith('of those waiting')) : [];
  return {
    state: s.state,
    terminal: s.terminal,
    waiting: s.waiting,
    failed: s.failed,
    completed: s.completed,
    errorJobs: s.errorJobs,
    visits: s.visits,
    meanMs: s.visits > 0 ? s.totalMs / s.visits : null,
    health: stateHealth(metrics, { failState: fails.has(s.state) }),
    lines,
  };
}
