/**
 * A schedule: a job every 2 seconds, 3 in all, each polling a (fake, in-process) feed for what
 * arrived since the tick before. The run lives in a JSONL file, so it survives a stop.
 *
 *   schedule 'poll' (everyMs 2000, limit 3) ──adds a job per tick──▶ poll ──▶ done
 *
 * What to watch:
 * - ticks fall on whole multiples of `everyMs` since the epoch (…:02.000, …:04.000), whenever the
 *   program started, so every process and every restart agrees on them;
 * - each job's key is `schedule:poll:<the tick's epoch ms, 15 digits>`, and its job context comes
 *   from the tick (`tick.at`, and `tick.n`: 1, 2, 3 counted from the run);
 * - `exec` does not resolve while the schedule may still add a job: here, until the third job is done
 *   (without a `limit` it runs until its signal aborts);
 * - stop it (Ctrl-C) and run it again with the same `--file`: the limit counts the jobs the run
 *   holds, so it adds only the rest, and the default catch-up (`'one'`) adds one job for the
 *   ticks missed while it was stopped. Once the limit is reached, running it again adds nothing.
 *
 * Run it with `npx tsx examples/scheduled.ts` (about 6 s; `--every 500` is quicker, `--help` lists
 * the flags). The test runs it on a FakeClock, in no time.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { JsonlStore, Processor, schedule, systemClock, workflow, type Clock, type ScheduleTick, type Store } from '../src/index.js';

/** A job of the schedule: its tick, its number, and what it found. */
export type JC = {
  /** The tick's time, epoch ms. */
  tick: number;
  /** 1 for the schedule's first job in the run, 2 for the second… */
  n: number;
  /** Items that arrived on the feed in the `everyMs` before the tick. */
  items?: number;
};

/** A feed that receives an item every `itemEveryMs` (at whole multiples of it), answering after `latencyMs`. */
export class FakeFeed {
  constructor(
    readonly clock: Clock,
    readonly itemEveryMs = 700,
    readonly latencyMs = 20,
  ) {}

  /** How many items arrived in [since, until). */
  async poll(since: number, until: number, signal: AbortSignal): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.clock.clearTimeout(timer);
        reject(signal.reason as Error);
      };
      const timer = this.clock.setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, this.latencyMs);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    const upTo = (t: number) => Math.ceil(t / this.itemEveryMs); // items at times < t
    return upTo(until) - upTo(since);
  }
}

export type AC = { feed: FakeFeed; everyMs: number; print: (line: string) => void };

export const poller = workflow<AC, object, JC>('scheduled')
  .state('poll', { timeout: { ms: 1_000, failState: 'missed' } })
  .to('done', 'missed')
  .exec(async ({ ac, jc, job, signal }) => {
    const items = await ac.feed.poll(jc.tick - ac.everyMs, jc.tick, signal);
    ac.print(`${time(ac.feed.clock.now())}  job ${job.id} (key ${job.key ?? '-'}): tick ${time(jc.tick)}, job ${jc.n} of the schedule, ${items} new item${items === 1 ? '' : 's'}`);
    return { state: 'done', jc: { ...jc, items } };
  })
  .terminal('done', 'missed')
  .build();

/** The schedule: a `poll` job per tick, `limit` in all. Its name makes the keys, so it stays the same across restarts. */
export function pollSchedule(everyMs: number, limit: number) {
  return schedule({ name: 'poll', everyMs, limit, state: 'poll', jc: (tick: ScheduleTick): JC => ({ tick: tick.at, n: tick.n }) });
}

export interface ScheduledOptions {
  /**
   * Where the run lives: a `JsonlStore` (the command line's), whose run is continued when it holds
   * one; the caller closes it. A test on a FakeClock gives a `MemoryStore`: a file's writes take
   * real time, which fake time does not wait for.
   */
  readonly store: Store<object, JC>;
  /** @defaultValue 2000 */
  readonly everyMs?: number;
  /** @defaultValue 3 */
  readonly limit?: number;
  /** The clock the schedule, the processor and the feed run on (a FakeClock in tests). @defaultValue systemClock */
  readonly clock?: Clock;
  /** Where each job's line goes as it runs. @defaultValue console.log */
  readonly print?: (line: string) => void;
  readonly signal?: AbortSignal;
}

export interface ScheduledResult {
  readonly outcome: 'complete' | 'aborted';
  /** How many jobs the run held before this exec (0 for a new run). */
  readonly before: number;
  /** Every job of the run, in the order they were added. */
  readonly jobs: readonly { readonly id: string; readonly key: string | undefined; readonly tick: number; readonly n: number; readonly state: string; readonly items: number | undefined }[];
}

/** Runs (or continues) the run in `store` until the schedule's limit is reached and every job is done, or `signal` aborts. */
export async function runScheduled(options: ScheduledOptions): Promise<ScheduledResult> {
  const { store, everyMs = 2_000, limit = 3, clock = systemClock, print = console.log } = options;
  const run = (await store.load(poller)) ?? poller.newRun('scheduled', {});
  const before = run.jobs.size;
  const ac: AC = { feed: new FakeFeed(clock), everyMs, print };
  const result = await new Processor(poller, ac, { store, clock }).exec(run, { schedules: [pollSchedule(everyMs, limit)], ...(options.signal ? { signal: options.signal } : {}) });
  const jobs = [...run.jobs.values()].map((j) => ({ id: j.id, key: j.key, tick: j.jc.tick, n: j.jc.n, state: j.state, items: j.jc.items }));
  return { outcome: result.outcome, before, jobs };
}

/** hh:mm:ss.mmm, UTC. */
function time(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}

const HELP = `npx tsx examples/scheduled.ts [options]: a job every few seconds, a few in all, in a run file.

  --every <ms>     the schedule's interval (default 2000)
  --limit <n>      how many jobs the schedule adds to the run, ever (default 3)
  --file <path>    the run file: continued when it exists (default: a new one in a temp directory)
  --help           this text`;

async function main(argv: readonly string[]): Promise<void> {
  let flags: { every: number; limit: number; file: string | undefined; help: boolean };
  try {
    const { values } = parseArgs({
      args: [...argv],
      strict: true,
      options: { every: { type: 'string', default: '2000' }, limit: { type: 'string', default: '3' }, file: { type: 'string' }, help: { type: 'boolean', default: false } },
    });
    const every = Number(values.every);
    const limit = Number(values.limit);
    if (!/^\d+$/.test(values.every) || every < 1) throw new Error(`--every must be a whole number of ms from 1 up, got "${values.every}"`);
    if (!/^\d+$/.test(values.limit) || limit < 1) throw new Error(`--limit must be a whole number from 1 up, got "${values.limit}"`);
    flags = { every, limit, file: values.file, help: values.help };
  } catch (error) {
    console.error(`scheduled: ${error instanceof Error ? error.message : String(error)} (--help lists the flags)`);
    process.exitCode = 2;
    return;
  }
  if (flags.help) return void console.log(HELP);
  const file = flags.file ?? join(mkdtempSync(join(tmpdir(), 'jorb-scheduled-')), 'scheduled.jsonl');
  console.log(`A poll job every ${flags.every} ms, ${flags.limit} in all; the run is in ${file} (Ctrl-C stops it; run again with --file to continue).`);
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const store = new JsonlStore<object, JC>(file);
  let result: ScheduledResult;
  try {
    result = await runScheduled({ store, everyMs: flags.every, limit: flags.limit, signal: controller.signal });
  } finally {
    await store.close();
  }
  const added = result.jobs.length - result.before;
  console.log(`\n${result.outcome === 'complete' ? 'Complete' : 'Stopped'}: ${result.before > 0 ? `the run held ${result.before} jobs; ` : ''}this run added ${added}.`);
  for (const job of result.jobs) console.log(`  ${job.id.padEnd(3)} ${job.key ?? '-'}  job ${job.n}  ${job.state}${job.items === undefined ? '' : `, ${job.items} item${job.items === 1 ? '' : 's'}`}`);
  if (result.outcome === 'aborted') console.log(`Run again with --file ${file} to continue.`);
  else console.log(`The schedule reached its limit of ${flags.limit}: run again with --file ${file} --limit ${flags.limit + 2} for 2 more.`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(process.argv.slice(2));
