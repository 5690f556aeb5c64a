/**
 * The quickstart: crawl a (fake, in-process) site of a few hundred pages.
 *
 *   fetch ──▶ parse ──▶ done          parse kicks a fetch job for every new link
 *     │ ▲
 *     └─┘  a 503 goes back to fetch (recorded); after 3 errors, or a timeout, → fetch-failed
 *
 * Run it with `npm run demo`. It prints per-state progress as it goes and a summary at the end.
 */
import { pathToFileURL } from 'node:url';
import { Processor, progressBars, type StatusListener, workflow } from '../src/index.js';
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
  readonly jobs: number;
  readonly byState: Readonly<Record<string, number>>;
  readonly transitions: number;
  readonly requests: number;
  readonly retried: number;
  readonly seconds: number;
}

/** Runs the crawl over a site of `pages` pages and returns what happened. */
export async function runQuickstart(options: { pages?: number; status?: StatusListener; signal?: AbortSignal } = {}): Promise<QuickstartSummary> {
  const site = new FakeSite({ pages: options.pages ?? 300 });
  const start = performance.now();
  const run = crawl.newRun('quickstart', { startedBy: 'npm run demo' });
  // The seed's key is its URL, like every kicked fetch's: a link back to it is not fetched again.
  run.add({ url: site.url(0) }, 'fetch', { key: site.url(0) });
  const processor = new Processor(crawl, { site }, options.status ? { status: options.status } : {});
  const result = await processor.exec(run, options.signal ? { signal: options.signal } : {});
  const byState: Record<string, number> = {};
  let retried = 0;
  for (const job of run.jobs.values()) {
    byState[job.state] = (byState[job.state] ?? 0) + 1;
    if ((job.errors['fetch']?.length ?? 0) > 0) retried++;
  }
  return {
    outcome: result.outcome,
    jobs: run.jobs.size,
    byState,
    transitions: result.transitions,
    requests: site.requests,
    retried,
    seconds: (performance.now() - start) / 1000,
  };
}

function printSummary(s: QuickstartSummary): void {
  console.log(`\n${s.outcome === 'complete' ? 'Crawl complete' : 'Crawl stopped'} in ${s.seconds.toFixed(2)} s`);
  console.log(`  jobs: ${s.jobs} (${Object.entries(s.byState).map(([state, n]) => `${n} ${state}`).join(', ')})`);
  console.log(`  transitions: ${s.transitions}, requests: ${s.requests}, jobs that saw an error: ${s.retried}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  console.log('Crawling a fake site of 300 pages: fetch → parse → done, kicking a fetch per new link.\n');
  printSummary(await runQuickstart({ status: progressBars({ stream: process.stdout }), signal: controller.signal }));
}
