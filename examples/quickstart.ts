/**
 * The quickstart: crawl a (fake, in-process) site of a few hundred pages.
 *
 *   fetch ──▶ parse ──▶ done          parse kicks a fetch job for every new link
 *     │ ▲
 *     └─┘  a 503 goes back to fetch (recorded); after 3 errors, or a timeout, → fetch-failed
 *
 * Run it with `npm run demo` (about 10 s; `npm run demo -- --help` lists the flags). It prints
 * per-state progress as it goes and a summary at the end, and keeps the run in
 * .jorb/quickstart.jsonl: stop it with Ctrl-C, run it again and it continues where it stopped;
 * `npm run demo -- --fresh` starts over.
 */
import { rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { JsonlStore, Processor, progressBars, type Run, type StatusListener, type Store, workflow } from '../src/index.js';
import { FakeSite, linksOf } from './fake-site.js';

export type AC = { site: FakeSite };
export type OC = { startedBy: string };
export type JC = { url: string; body?: string; title?: string };

export const crawl = workflow<AC, OC, JC>('crawl')
  .state('fetch', { concurrency: 8, timeout: { ms: 1_000, failState: 'fetch-failed' } })
  .to('parse', 'fetch', 'fetch-failed')
  .exec(async ({ ac, jc, job, signal }) => {
    const res = await ac.site.get(jc.url, signal);
    if (res.status === 200) return { state: 'parse', jc: { ...jc, body: res.body } };
    const error = `GET ${jc.url}: HTTP ${res.status}`;
    // Each 503 comes back to fetch as a new visit, so its errors count the tries (attempt counts
    // a retry policy's attempts within one visit).
    const tries = (job.errors['fetch']?.length ?? 0) + 1;
    return { state: tries >= 3 ? 'fetch-failed' : 'fetch', jc, error };
  })
  // recursive: parse kicks fetches that lead back to parse; kick keys bound it (each URL once).
  .state('parse', { concurrency: 2, recursive: true })
  .to('done')
  .spawns('fetch')
  .exec(({ jc }) => {
    const body = jc.body ?? '';
    const title = /<h1>(.*?)<\/h1>/.exec(body)?.[1] ?? '(untitled)';
    return {
      state: 'done',
      jc: { url: jc.url, title }, // drop the body: keep the job context small
      kicks: linksOf(body).map((url) => ({ state: 'fetch', jc: { url }, key: url })),
    };
  })
  .terminal('done', 'fetch-failed')
  .build();

export interface QuickstartSummary {
  readonly outcome: 'complete' | 'aborted';
  /** Whether an earlier, stopped run was continued. */
  readonly resumed: boolean;
  readonly jobs: number;
  readonly byState: Readonly<Record<string, number>>;
  readonly transitions: number;
  readonly requests: number;
  readonly retried: number;
  readonly seconds: number;
}

export interface QuickstartOptions {
  readonly pages?: number;
  /** The fake site's latency range, in ms. @defaultValue [5, 40] */
  readonly latencyMs?: readonly [number, number];
  readonly status?: StatusListener;
  readonly signal?: AbortSignal;
  /** Where the run lives; without one it lives in memory only. */
  readonly store?: Store<OC, JC>;
  /** The run already loaded from `store`, if the caller loaded it (else it is loaded here). */
  readonly loaded?: Run<OC, JC> | undefined;
}

/** Runs (or continues) the crawl over a site of `pages` pages and returns what happened. */
export async function runQuickstart(options: QuickstartOptions = {}): Promise<QuickstartSummary> {
  const site = new FakeSite({ pages: options.pages ?? 300, ...(options.latencyMs ? { latencyMs: options.latencyMs } : {}) });
  const start = performance.now();
  const loaded = 'loaded' in options ? options.loaded : await options.store?.load(crawl);
  // The seed's key is its URL, like every kicked fetch's: a link back to it is not fetched again.
  const run = loaded ?? crawl.newRun('quickstart', { startedBy: 'npm run demo' }).add({ url: site.url(0) }, 'fetch', { key: site.url(0) });
  const processor = new Processor(crawl, { site }, { ...(options.store ? { store: options.store } : {}), ...(options.status ? { status: options.status } : {}) });
  const result = await processor.exec(run, options.signal ? { signal: options.signal } : {});
  const byState: Record<string, number> = {};
  let retried = 0;
  for (const job of run.jobs.values()) {
    byState[job.state] = (byState[job.state] ?? 0) + 1;
    if ((job.errors['fetch']?.length ?? 0) > 0) retried++;
  }
  return {
    outcome: result.outcome,
    resumed: loaded !== undefined,
    jobs: run.jobs.size,
    byState,
    transitions: result.transitions,
    requests: site.requests,
    retried,
    seconds: (performance.now() - start) / 1000,
  };
}

function printSummary(s: QuickstartSummary, file: string): void {
  console.log(`\n${s.outcome === 'complete' ? 'Crawl complete' : 'Crawl stopped'} in ${s.seconds.toFixed(2)} s`);
  console.log(`  jobs: ${s.jobs} (${Object.entries(s.byState).map(([state, n]) => `${n} ${state}`).join(', ')})`);
  console.log(`  transitions: ${s.transitions}, requests: ${s.requests}, jobs that saw an error: ${s.retried}`);
  if (s.outcome === 'aborted') console.log(`  saved in ${file}: run the demo again to continue where it stopped, or with --fresh to start over`);
  else console.log(`  the run is in ${file}; run the demo with --fresh to crawl again`);
}

const HELP = `npm run demo [-- options]: crawl a fake site, saving the run so that Ctrl-C and a rerun continue it.

  --pages <n>        pages of the fake site (default 300: about 10 s)
  --latency <a-b>    its response time in ms, from a to b (default 80-400; 5-40 is a quick run)
  --file <path>      where the run is saved (default .jorb/quickstart.jsonl)
  --fresh            forget the saved run and crawl again
  --help             this text`;

/** The demo's flags, or a one-line reason they are wrong. */
function parseFlags(argv: readonly string[]): { pages: number; latencyMs: [number, number]; file: string; fresh: boolean; help: boolean } {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      fresh: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
      pages: { type: 'string', default: '300' },
      latency: { type: 'string', default: '80-400' },
      file: { type: 'string', default: '.jorb/quickstart.jsonl' },
    },
  });
  const pages = Number(values.pages);
  if (!/^\d+$/.test(values.pages) || pages < 1) throw new Error(`--pages must be a whole number from 1 up, got "${values.pages}"`);
  const latency = /^(\d+)-(\d+)$/.exec(values.latency);
  if (!latency || Number(latency[1]) > Number(latency[2])) throw new Error(`--latency must be two numbers of ms, low-high (like 100-500), got "${values.latency}"`);
  return { pages, latencyMs: [Number(latency[1]), Number(latency[2])], file: values.file, fresh: values.fresh, help: values.help };
}

/** `npm run demo [-- --fresh] [--pages N] [--latency A-B] [--file path] [--help]` */
async function main(argv: readonly string[]): Promise<void> {
  let flags: ReturnType<typeof parseFlags>;
  try {
    flags = parseFlags(argv);
  } catch (error) {
    console.error(`demo: ${error instanceof Error ? error.message : String(error)} (--help lists the flags)`);
    process.exitCode = 2;
    return;
  }
  if (flags.help) return void console.log(HELP);
  const { pages, latencyMs, file } = flags;
  if (flags.fresh) for (const f of [file, `${file}.log`]) rmSync(f, { force: true });
  const store = new JsonlStore<OC, JC>(file);
  const controller = new AbortController();
  const status = progressBars({ stream: process.stdout });
  process.once('SIGINT', () => {
    status.log('Stopping: letting running requests finish and saving the run…');
    controller.abort();
  });
  try {
    const saved = await store.load(crawl);
    if (saved && [...saved.jobs.values()].every((job) => crawl.graph.state(job.state)?.terminal === true)) {
      console.log(`The crawl saved in ${file} is already complete: ${describeJobs(saved.jobs.values())}.`);
      console.log('Run the demo with --fresh to crawl again.');
      return;
    }
    console.log(`Crawling a fake site of ${pages} pages: fetch → parse → done, kicking a fetch per new link.`);
    console.log(saved ? `Continuing the run saved in ${file}.\n` : `Saving the run in ${file} (Ctrl-C stops it; run again to continue).\n`);
    const summary = await runQuickstart({ pages, latencyMs, store, loaded: saved, status, signal: controller.signal });
    status.done({ outcome: summary.outcome }); // the display's summary line, for a stopped run too
    printSummary(summary, file);
  } finally {
    await store.close();
  }
}

function describeJobs(jobs: Iterable<{ readonly state: string }>): string {
  const byState = new Map<string, number>();
  let total = 0;
  for (const job of jobs) {
    byState.set(job.state, (byState.get(job.state) ?? 0) + 1);
    total++;
  }
  return `${total} jobs (${[...byState].map(([state, n]) => `${n} ${state}`).join(', ')})`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(process.argv.slice(2));
