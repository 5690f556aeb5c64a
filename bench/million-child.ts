// Child process of the million workload (bench/million.ts), W3 (fetch -> parse -> done, no-op
// async execs, concurrency 10 per state) on a JsonlStore at its default options (fsync on):
//   million-child.ts run <run file> <n> [kill at]   a fresh run of n jobs: add, exec, close; with
//                                                   <kill at>, prints KILL once that many
//                                                   transitions are durable and runs on until the
//                                                   parent's SIGKILL lands
//   million-child.ts load <run file>                loads the run (after a clean close)
//   million-child.ts resume <run file>              loads the run (after a kill) and starts a
//                                                   processor on it; exits at its first durable
//                                                   transition
// Each prints one JSON line. Times are seconds from the start of the phase in this process, and
// `*_uptime_s` from the process's start (node and tsx included).
import { writeSync } from 'node:fs';
import { JsonlStore, Processor, Run, type Store, type StoreRecord, workflow } from '../src/index.js';

type JC = { n: number };

const CONCURRENCY = 10;

export interface MillionRunReport {
  readonly add_s: number;
  readonly exec_s: number;
  readonly close_s: number;
  /** From exec() to the first exec's start (the start checkpoint writes the whole run first). */
  readonly first_exec_s: number;
  /** From exec() to the first durable transition. */
  readonly first_transition_s: number;
  /** From exec() to the first job durably in 'done'. */
  readonly first_done_s: number;
  /** From exec() to half the jobs durably in 'done'. */
  readonly half_done_s: number;
  readonly max_rss_bytes: number;
  readonly peak_heap_bytes: number;
  readonly transitions: number;
}

export interface MillionLoadReport {
  readonly load_s: number;
  readonly load_uptime_s: number;
  readonly jobs: number;
  /** Transitions the loaded run holds (Σ history length − 1). */
  readonly durable: number;
  readonly done: number;
  /** resume: from the start of load to the first durable transition of the new processor. */
  readonly first_transition_s?: number;
  readonly first_transition_uptime_s?: number;
  readonly max_rss_bytes: number;
}

let firstExec: number | undefined;

const wf = workflow<object, object, JC>('w3')
  .state('fetch', { concurrency: CONCURRENCY })
  .to('parse')
  .exec(async ({ jc }) => {
    firstExec ??= performance.now();
    return { state: 'parse', jc };
  })
  .state('parse', { concurrency: CONCURRENCY })
  .to('done')
  .exec(async ({ jc }) => ({ state: 'done', jc }))
  .terminal('done')
  .build();

/** Hands every call to a JsonlStore and notes when transitions (and those into 'done') become durable. */
class Watched implements Store<object, JC> {
  readonly #inner: JsonlStore<object, JC>;
  readonly #killAt: number;
  readonly #halfDone: number;
  acked = 0;
  done = 0;
  firstAck: number | undefined;
  firstDone: number | undefined;
  halfDone: number | undefined;
  onFirstAck: (() => void) | undefined;
  #said = false;

  constructor(inner: JsonlStore<object, JC>, killAt = Infinity, halfDone = Infinity) {
    this.#inner = inner;
    this.#killAt = killAt;
    this.#halfDone = halfDone;
  }

  load(): Promise<Run<object, JC> | undefined> {
    return this.#inner.load(wf);
  }

  async append(records: readonly StoreRecord<JC>[]): Promise<void> {
    await this.#inner.append(records);
    const now = performance.now();
    let done = 0;
    for (const record of records) if (record.type === 'transition' && record.to === 'done') done++;
    this.acked += records.length;
    this.done += done;
    if (this.firstAck === undefined && records.length > 0) {
      this.firstAck = now;
      this.onFirstAck?.();
    }
    if (this.firstDone === undefined && done > 0) this.firstDone = now;
    if (this.halfDone === undefined && this.done >= this.#halfDone) this.halfDone = now;
    if (!this.#said && this.acked >= this.#killAt) {
      this.#said = true;
      writeSync(1, 'KILL\n'); // the parent sends SIGKILL while this process runs on
    }
  }

  checkpoint(...args: Parameters<Store<object, JC>['checkpoint']>): Promise<void> {
    return this.#inner.checkpoint(...args);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

const maxRss = () => process.resourceUsage().maxRSS * 1024;

/** Samples heapUsed every 50 ms (between the engine's turns) and keeps the largest. */
function heapSampler(): { stop: () => number } {
  let peak = process.memoryUsage().heapUsed;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 50);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().heapUsed);
    },
  };
}

function counts(run: Run<object, JC>): { durable: number; done: number } {
  let durable = 0;
  let done = 0;
  for (const job of run.jobs.values()) {
    durable += job.history.length - 1;
    if (job.state === 'done') done++;
  }
  return { durable, done };
}

const [mode, path, nArg, killAtArg] = process.argv.slice(2);
if (path === undefined || (mode !== 'run' && mode !== 'load' && mode !== 'resume')) throw new Error('usage: million-child.ts run <run file> <n> [kill at] | load <run file> | resume <run file>');
const secondsSince = (t: number | undefined, from: number) => (t === undefined ? -1 : (t - from) / 1000);

if (mode === 'run') {
  const n = Number(nArg);
  const sampler = heapSampler();
  const store = new Watched(new JsonlStore<object, JC>(path), killAtArg === undefined ? Infinity : Number(killAtArg), n / 2);
  if ((await store.load()) !== undefined) throw new Error(`million-child: ${path} already holds a run`);
  const addStart = performance.now();
  const run = new Run<object, JC>('w3', {});
  for (let i = 0; i < n; i++) run.add({ n: i }, 'fetch');
  const execStart = performance.now();
  const result = await new Processor(wf, {}, { store }).exec(run);
  const execEnd = performance.now();
  await store.close();
  const closeEnd = performance.now();
  const report: MillionRunReport = {
    add_s: (execStart - addStart) / 1000,
    exec_s: (execEnd - execStart) / 1000,
    close_s: (closeEnd - execEnd) / 1000,
    first_exec_s: secondsSince(firstExec, execStart),
    first_transition_s: secondsSince(store.firstAck, execStart),
    first_done_s: secondsSince(store.firstDone, execStart),
    half_done_s: secondsSince(store.halfDone, execStart),
    max_rss_bytes: maxRss(),
    peak_heap_bytes: sampler.stop(),
    transitions: result.transitions,
  };
  console.log(JSON.stringify(report));
} else {
  const start = performance.now();
  const store = new Watched(new JsonlStore<object, JC>(path));
  const run = await store.load();
  const loaded = performance.now();
  const loadedUptime = process.uptime();
  if (run === undefined) throw new Error(`million-child: no run at ${path}`);
  const base = { load_s: (loaded - start) / 1000, load_uptime_s: loadedUptime, jobs: run.jobs.size, ...counts(run) };
  if (mode === 'load') {
    console.log(JSON.stringify({ ...base, max_rss_bytes: maxRss() } satisfies MillionLoadReport));
  } else {
    let ackUptime = -1;
    const firstAck = new Promise<void>((resolve) => {
      store.onFirstAck = () => {
        ackUptime = process.uptime();
        resolve();
      };
    });
    const exec = new Processor(wf, {}, { store }).exec(run);
    await Promise.race([firstAck, exec]);
    const report: MillionLoadReport = {
      ...base,
      first_transition_s: secondsSince(store.firstAck, start),
      first_transition_uptime_s: ackUptime,
      max_rss_bytes: maxRss(),
    };
    console.log(JSON.stringify(report));
  }
  // No close: it would compact (rewrite the snapshot), which is not what is measured; the parent
  // removes the files, the lock included.
  process.exit(0);
}
