/**
 * The quickstart: crawl a (fake, in-process) site of a few hundred pages.
 *
 *   fetch ──▶ parse ──▶ done          parse kicks a fetch job for every new link
 *     │ ▲
 *     └─┘  a 503 goes back to fetch (recorded); after 3 errors, or a timeout, → fetch-failed
 *
 * Run it with `npm run demo`. It prints per-state progress as it goes and a summary at the end,
 * and keeps the run in .jorb/quickstart.jsonl: stop it with Ctrl-C, run it again and it continues
 * where it stopped; `npm run demo -- --fresh` starts over.
 */
import { existsSync, rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { JsonlStore, Processor, progressBars, type StatusListener, type Store, workflow } from '../src/index.js';
import { FakeSite, linksOf } from './fake-site.js';

export type AC = { site: FakeSite };
export type OC = { startedBy: string };
export type JC = { url: string; body?: string; title?: string };

export const crawl = workflow<AC, OC, JC>('crawl')
  .state('fetch', { concurrency: 8, timeout: { ms: 200, failState: 'fetch-failed' } })
  .to('parse', 'fetch', 'fetch-failed')
  .exec(async ({ ac, jc, job, signal }) => {
    const res = await ac.site.get(jc.url, signal);
    if (res.status === 200) return { state: 'parse', jc: { ...jc, body: res.body } };
    const error = `GET ${jc.url}: HTTP ${res.status}`;
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
  readonly status?: StatusListener;
  readonly signal?: AbortSignal;
  /** Where the run lives; without one it lives in memory only. */
  readonly store?: Store<OC, JC>;
}

/** Runs (or continues) the crawl over a site of `pages` pages and returns what happened. */
export async function runQuickstart(options: QuickstartOptions = {}): Promise<QuickstartSummary> {
  const site = new FakeSite({ pages: options.pages ?? 300 });
  const start = performance.now();
  const loaded = await options.store?.load(crawl);
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

/** `npm run demo [-- --fresh] [--pages N] [--file path]` */
async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: { fresh: { type: 'boolean', default: false }, pages: { type: 'string', default: '300' }, file: { type: 'string', default: '.jorb/quickstart.jsonl' } },
  });
  const pages = Number(values.pages);
  if (!Number.isInteger(pages) || pages < 1) throw new Error(`--pages must be a whole number from 1 up, got ${values.pages}`);
  const file = values.file;
  if (values.fresh) for (const f of [file, `${file}.log`]) rmSync(f, { force: true });
  const store = new JsonlStore<OC, JC>(file);
  const controller = new AbortController();
  process.once('SIGINT', () => {
    console.log('\nStopping: letting running requests finish and saving the run…');
    controller.abort();
  });
  console.log(`Crawling a fake site of ${pages} pages: fetch → parse → done, kicking a fetch per new link.`);
  console.log(existsSync(file) ? `Continuing the run saved in ${file}.\n` : `Saving the run in ${file} (Ctrl-C stops it; run again to continue).\n`);
  try {
    const summary = await runQuickstart({ pages, store, status: progressBars({ stream: process.stdout }), signal: controller.signal });
    printSummary(summary, file);
  } finally {
    await store.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(process.argv.slice(2));
