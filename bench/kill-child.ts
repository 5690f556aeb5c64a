// Child process of the kill workload (bench/kill.ts):
//   node --import tsx bench/kill-child.ts <run file> <exec log> <default|strict> first <n> <kill at>
//   node --import tsx bench/kill-child.ts <run file> <exec log> <default|strict> restart
// runs W3 (fetch -> parse -> done, no-op async execs, concurrency 10 per state) on a JsonlStore at
// its default options (fsync on). Every exec appends "<phase> <job id> <state> <visit>" to the exec
// log with fs.writeSync on an fd as its first act: the line is in the page cache before the exec
// returns, so it survives a kill -9 of this process. <visit> is the job's history length at the
// exec's start: the same job in the same state visit has the same key before and after a restart.
// `first`: a fresh run of n jobs; once <kill at> transitions are durable (appends resolved) it
// prints the line KILL and goes on running until the parent's SIGKILL lands. `restart`: loads the
// run, counts what is durable, finishes it, closes the store and prints a JSON report.
import { openSync, writeSync } from 'node:fs';
import { type Job, JsonlStore, Processor, Run, type Store, type StoreRecord, workflow } from '../src/index.js';

type JC = { n: number };
type Mode = 'default' | 'strict';

const CONCURRENCY = 10;

/** The JSON line of a `restart` child. */
export interface KillRestartReport {
  readonly jobs: number;
  /** Transitions the loaded run holds (Σ history length − 1): what was durable at the kill. */
  readonly durable_at_load: number;
  readonly transitions: number;
  readonly done: number;
  /** Jobs whose history is not exactly fetch, parse, done. */
  readonly bad_history: number;
  readonly load_s: number;
  readonly exec_s: number;
}

const [path, execLog, modeArg, phase, nArg, killAtArg] = process.argv.slice(2);
if (path === undefined || execLog === undefined || (modeArg !== 'default' && modeArg !== 'strict') || (phase !== 'first' && phase !== 'restart')) {
  throw new Error('usage: kill-child.ts <run file> <exec log> <default|strict> first <n> <kill at> | restart');
}
const mode: Mode = modeArg;
const fd = openSync(execLog, 'a');
const tag = phase === 'first' ? 'a' : 'b';
const note = (job: Job<JC>, state: string) => writeSync(fd, `${tag} ${job.id} ${state} ${job.history.length}\n`);

const wf = workflow<object, object, JC>('w3')
  .state('fetch', { concurrency: CONCURRENCY })
  .to('parse')
  .exec(async ({ jc, job }) => {
    note(job, 'fetch');
    return { state: 'parse', jc };
  })
  .state('parse', { concurrency: CONCURRENCY })
  .to('done')
  .exec(async ({ jc, job }) => {
    note(job, 'parse');
    return { state: 'done', jc };
  })
  .terminal('done')
  .build();

/** Hands every call to a JsonlStore; counts the records made durable and says KILL once at `killAt`. */
class KillAt implements Store<object, JC> {
  readonly #inner: JsonlStore<object, JC>;
  readonly #killAt: number;
  #acked = 0;
  #said = false;

  constructor(inner: JsonlStore<object, JC>, killAt: number) {
    this.#inner = inner;
    this.#killAt = killAt;
  }

  load(): Promise<Run<object, JC> | undefined> {
    return this.#inner.load();
  }

  async append(records: readonly StoreRecord<JC>[]): Promise<void> {
    await this.#inner.append(records);
    this.#acked += records.length;
    if (!this.#said && this.#acked >= this.#killAt) {
      this.#said = true;
      writeSync(1, 'KILL\n'); // stdout, at once: the parent sends SIGKILL while this process runs on
    }
  }

  checkpoint(...args: Parameters<Store<object, JC>['checkpoint']>): Promise<void> {
    return this.#inner.checkpoint(...args);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

const maxUndurable = mode === 'strict' ? ({ maxUndurable: 'strict' } as const) : {};

if (phase === 'first') {
  const n = Number(nArg);
  const killAt = Number(killAtArg);
  const store = new KillAt(new JsonlStore<object, JC>(path), killAt);
  if ((await store.load()) !== undefined) throw new Error(`kill-child: ${path} already holds a run`);
  const run = new Run<object, JC>('w3', {});
  for (let i = 0; i < n; i++) run.add({ n: i }, 'fetch');
  const result = await new Processor(wf, {}, { store, ...maxUndurable }).exec(run);
  await store.close();
  // Reaching this line means the kill came too late: the parent reports it.
  console.log(JSON.stringify({ finished: true, transitions: result.transitions }));
} else {
  const loadStart = performance.now();
  const store = new JsonlStore<object, JC>(path);
  const run = await store.load(wf);
  const loadSeconds = (performance.now() - loadStart) / 1000;
  if (run === undefined) throw new Error(`kill-child: no run at ${path}`);
  let durable = 0;
  for (const job of run.jobs.values()) durable += job.history.length - 1;
  const execStart = performance.now();
  const result = await new Processor(wf, {}, { store, ...maxUndurable }).exec(run);
  const execSeconds = (performance.now() - execStart) / 1000;
  await store.close();
  let done = 0;
  let bad = 0;
  for (const job of run.jobs.values()) {
    if (job.state === 'done') done++;
    if (job.history.map((h) => h.state).join(',') !== 'fetch,parse,done') bad++;
  }
  const report: KillRestartReport = {
    jobs: run.jobs.size,
    durable_at_load: durable,
    transitions: result.transitions,
    done,
    bad_history: bad,
    load_s: loadSeconds,
    exec_s: execSeconds,
  };
  console.log(JSON.stringify(report));
}
