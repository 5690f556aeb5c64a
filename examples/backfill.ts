/**
 * A back-fill against an API whose limits nobody told you: look up every id, as fast as the API
 * allows and no faster.
 *
 *   lookup ──▶ done          a 429 is no failure: the job waits and is tried again
 *
 * The API (fake, in-process) lets through `quota` calls in each 1 s window and answers the rest
 * 429 with no retry hint, and it slows down once more than 8 calls are in flight (20 ms each up to
 * 8, 20 × (n / 8)² ms beyond). The state knows neither number:
 *
 *   rateLimit: aimd()                                  learns the quota from what gets through
 *   concurrency: adaptive({ initial: 2, max: 32 })     learns how many calls to keep in flight
 *
 * `aimd()` starts at 1 call a second, doubles while nothing is refused, and cruises at 95 % of the
 * quota it measured; `adaptive()` keeps no more calls in flight than that rate needs (rate ×
 * latency, Little's law), so the latency stays at the API's unloaded 20 ms.
 *
 * Run it with `npx tsx examples/backfill.ts` (about 10 s; `--help` lists the flags). The test runs
 * it on a FakeClock, in no time.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { adaptive, aimd, Processor, RateLimitError, systemClock, workflow, type AdaptiveConcurrency, type AimdLimiter, type Clock } from '../src/index.js';

/** The API's answer to a lookup. */
export type Answer = { readonly status: 200; readonly value: number } | { readonly status: 429 };

/** An API with a fixed window of `quota` calls a second, slower beyond 8 calls in flight. */
export class FakeApi {
  #window = -1;
  #inWindow = 0;
  #inFlight = 0;
  /** Calls answered 429. */
  refused = 0;

  constructor(
    readonly clock: Clock,
    readonly quota: number,
  ) {}

  async lookup(id: number): Promise<Answer> {
    const window = Math.floor(this.clock.now() / 1000);
    if (window !== this.#window) {
      this.#window = window;
      this.#inWindow = 0;
    }
    if (this.#inWindow >= this.quota) {
      this.refused++;
      return { status: 429 };
    }
    this.#inWindow++;
    this.#inFlight++;
    const latencyMs = 20 * Math.max(1, (this.#inFlight / 8) ** 2);
    await new Promise<void>((resolve) => this.clock.setTimeout(resolve, latencyMs));
    this.#inFlight--;
    return { status: 200, value: id * 2 };
  }
}

export type AC = { api: FakeApi };
export type JC = { id: number; value?: number };

/** The workflow, with the state's limiter and concurrency made by the caller (each run its own). */
export function backfill(limits: { readonly rateLimit: AimdLimiter; readonly concurrency: AdaptiveConcurrency }) {
  return workflow<AC, object, JC>('backfill')
    .state('lookup', { rateLimit: limits.rateLimit, concurrency: limits.concurrency })
    .to('done')
    .exec(async ({ ac, jc }) => {
      const answer = await ac.api.lookup(jc.id);
      // the engine backs the limiter off and tries the job again: a 429 costs no attempt
      if (answer.status === 429) throw new RateLimitError('429 Too Many Requests');
      return { state: 'done', jc: { ...jc, value: answer.value } };
    })
    .terminal('done')
    .build();
}

export interface BackfillResult {
  readonly done: number;
  /** Calls the API refused, and all calls made. */
  readonly refused: number;
  readonly calls: number;
  /** The rate aimd() ended at, calls a second. */
  readonly rate: number;
  /** The most calls adaptive() allowed in flight, over the run (the state's status, `limit`). */
  readonly highestLimit: number;
  readonly seconds: number;
}

/** Looks up `jobs` ids against an API of `quota` calls a second, on `clock` (a FakeClock in tests). */
export async function runBackfill(options: { readonly jobs: number; readonly quota: number; readonly clock?: Clock }): Promise<BackfillResult> {
  const { jobs, quota, clock = systemClock } = options;
  const rateLimit = aimd({ clock });
  const concurrency = adaptive({ initial: 2, max: 32 });
  const wf = backfill({ rateLimit, concurrency });
  const run = wf.newRun('backfill', {});
  for (let id = 0; id < jobs; id++) run.add({ id }, 'lookup');
  const api = new FakeApi(clock, quota);
  const started = clock.now();
  let highestLimit = 0;
  const status = (states: readonly { readonly limit?: number }[]) => {
    for (const s of states) highestLimit = Math.max(highestLimit, s.limit ?? 0);
  };
  const result = await new Processor(wf, { api }, { clock, status }).exec(run);
  if (result.outcome !== 'complete') throw new Error(`backfill: the run ended ${result.outcome}`);
  const done = [...run.jobs.values()].filter((j) => j.state === 'done').length;
  return { done, refused: api.refused, calls: done + api.refused, rate: rateLimit.current(), highestLimit, seconds: (clock.now() - started) / 1000 };
}

const HELP = `npx tsx examples/backfill.ts [options]: look up ids against an API whose limits the state learns.

  --jobs <n>     ids to look up (default 400)
  --quota <n>    the API's calls a second, which the state is not told (default 50)
  --help         this text`;

async function main(argv: readonly string[]): Promise<void> {
  let flags: { jobs: number; quota: number; help: boolean };
  try {
    const { values } = parseArgs({ args: [...argv], strict: true, options: { jobs: { type: 'string', default: '400' }, quota: { type: 'string', default: '50' }, help: { type: 'boolean', default: false } } });
    const jobs = Number(values.jobs);
    const quota = Number(values.quota);
    if (!/^\d+$/.test(values.jobs) || jobs < 1) throw new Error(`--jobs must be a whole number from 1 up, got "${values.jobs}"`);
    if (!/^\d+$/.test(values.quota) || quota < 1) throw new Error(`--quota must be a whole number from 1 up, got "${values.quota}"`);
    flags = { jobs, quota, help: values.help };
  } catch (error) {
    console.error(`backfill: ${error instanceof Error ? error.message : String(error)} (--help lists the flags)`);
    process.exitCode = 2;
    return;
  }
  if (flags.help) return void console.log(HELP);
  console.log(`Looking up ${flags.jobs} ids against an API of ${flags.quota} calls a second (the state is not told)…`);
  const r = await runBackfill({ jobs: flags.jobs, quota: flags.quota });
  console.log(
    `${r.done} done in ${r.seconds.toFixed(1)} s; the API refused ${r.refused} of ${r.calls} calls (${((100 * r.refused) / r.calls).toFixed(1)} %); ` +
      `aimd() ended at ${r.rate.toFixed(1)} calls a second, adaptive() allowed at most ${r.highestLimit} in flight.`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(process.argv.slice(2));
