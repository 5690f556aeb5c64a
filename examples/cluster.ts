/**
 * One run, many processes: a crawl of a (fake, in-process) site kept in PostgreSQL, which every
 * copy of this program started against the same database works on together.
 *
 *   seed ──▶ done        the seed kicks a fetch job per page, each with the page's URL as its key
 *   fetch ──▶ parse ──▶ done   parse kicks its links too: their keys are taken, so they are dropped
 *
 * `fetch` runs 4 at a time and 100 a second, `parse` 2 at a time: across all the processes, not
 * in each. Start it in two terminals at once (a local PostgreSQL: see docs/postgres.md):
 *
 *   DATABASE_URL=postgres://postgres:jorb@localhost:5432/postgres npx tsx examples/cluster.ts
 *
 * Each prints what it did (its pid and transitions) every second, and both print `complete` once
 * the last page is done, wherever it was done. Ctrl-C one of them and the other finishes the run;
 * `kill -9` one and the other takes its jobs over once its lease ran out (5 s). Started again, the
 * run is complete already: `--run <name>` starts another; `--help` lists the flags.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { fixedRate, Processor, type ProcessorExecResult, workflow } from '../src/index.js';
import { PgStore } from '../src/postgres/index.js';
import { FakeSite, linksOf } from './fake-site.js';

export type AC = { site: FakeSite; done: Record<string, number> };
export type OC = { pages: number };
export type JC = { url: string; body?: string; title?: string };

export const clusterCrawl = workflow<AC, OC, JC>('cluster-crawl')
  .state('seed')
  .to('done')
  .spawns('fetch')
  .exec(({ ac, oc, jc }) => {
    ac.done['seed'] = (ac.done['seed'] ?? 0) + 1;
    const kicks = Array.from({ length: oc.pages }, (_, i) => ac.site.url(i)).map((url) => ({ state: 'fetch' as const, jc: { url }, key: url }));
    return { state: 'done', jc, kicks };
  })
  .state('fetch', { concurrency: 4, rateLimit: fixedRate(100), timeout: { ms: 5_000, failState: 'fetch-failed' } })
  .to('parse', 'fetch-failed')
  .exec(async ({ ac, jc, signal }) => {
    const res = await ac.site.get(jc.url, signal);
    ac.done['fetch'] = (ac.done['fetch'] ?? 0) + 1;
    if (res.status !== 200) return { state: 'fetch-failed', jc, error: `GET ${jc.url}: HTTP ${res.status}` };
    return { state: 'parse', jc: { ...jc, body: res.body } };
  })
  // recursive: parse kicks fetches that lead back to parse; kick keys bound it (each URL once).
  .state('parse', { concurrency: 2, recursive: true })
  .to('done')
  .spawns('fetch')
  .exec(({ ac, jc }) => {
    ac.done['parse'] = (ac.done['parse'] ?? 0) + 1;
    const body = jc.body ?? '';
    return {
      state: 'done',
      jc: { url: jc.url, title: /<h1>(.*?)<\/h1>/.exec(body)?.[1] ?? '(untitled)' },
      kicks: linksOf(body).map((url) => ({ state: 'fetch', jc: { url }, key: url })),
    };
  })
  .terminal('done', 'fetch-failed')
  .build();

const HELP = `DATABASE_URL=postgres://… npx tsx examples/cluster.ts [options]: crawl a fake site on a run in
PostgreSQL; start it several times at once and the copies share the run.

  --run <name>       the run's name in the database (default cluster-demo)
  --pages <n>        pages of the fake site, for a new run (default 500)
  --help             this text`;

/** The example's flags, or a one-line reason they are wrong. */
function parseFlags(argv: readonly string[]): { run: string; pages: number; help: boolean } {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: { run: { type: 'string', default: 'cluster-demo' }, pages: { type: 'string', default: '500' }, help: { type: 'boolean', default: false } },
  });
  const pages = Number(values.pages);
  if (!/^\d+$/.test(values.pages) || pages < 1) throw new Error(`--pages must be a whole number from 1 up, got "${values.pages}"`);
  if (values.run === '') throw new Error('--run must name a run');
  return { run: values.run, pages, help: values.help };
}

async function main(argv: readonly string[]): Promise<void> {
  let flags: ReturnType<typeof parseFlags>;
  try {
    flags = parseFlags(argv);
  } catch (error) {
    console.error(`cluster: ${error instanceof Error ? error.message : String(error)} (--help lists the flags)`);
    process.exitCode = 2;
    return;
  }
  if (flags.help) return void console.log(HELP);
  const connectionString = process.env['DATABASE_URL'];
  if (connectionString === undefined || connectionString === '') {
    console.error('cluster: set DATABASE_URL to a PostgreSQL URL, such as postgres://postgres:jorb@localhost:5432/postgres (docs/postgres.md says how to start one)');
    process.exitCode = 2;
    return;
  }
  const me = `[pid ${process.pid}]`;
  const store = new PgStore<OC, JC>({ connectionString, run: flags.run });
  const controller = new AbortController();
  process.once('SIGINT', () => {
    console.log(`${me} stopping: letting running fetches finish and handing the rest to the other processes…`);
    controller.abort();
  });
  let progress: NodeJS.Timeout | undefined;
  try {
    // A run of that name in the database (started by another process, or earlier) is joined; else
    // this process creates it. Processes starting at the same moment create one run with one seed:
    // jobs with the same id (or key) are one job.
    const loaded = await store.load(clusterCrawl);
    const run = loaded ?? clusterCrawl.newRun(flags.run, { pages: flags.pages }).add({ url: 'https://example.test/' }, 'seed', { id: 'seed' });
    const pages = run.oc.pages;
    const ac: AC = { site: new FakeSite({ pages, latencyMs: [5, 30], errorRate: 0 }), done: {} };
    console.log(`${me} ${loaded ? 'joining' : 'starting'} run "${flags.run}": a crawl of ${pages} pages (Ctrl-C stops this process; the others go on)`);
    const started = performance.now();
    progress = setInterval(() => console.log(`${me} ${total(ac.done)} transitions so far (${byState(ac.done)})`), 1_000);
    const result: ProcessorExecResult = await new Processor(clusterCrawl, ac, { store }).exec(run, { signal: controller.signal });
    clearInterval(progress);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`${me} ${result.outcome} in ${seconds} s: ${result.transitions} transitions in this process (${byState(ac.done)}), ${result.failed} failed`);
    if (result.outcome === 'complete' && result.transitions === 0 && loaded) {
      console.log(`${me} run "${flags.run}" had nothing left to do: start another with --run <name>`);
    }
    console.log(`${me} result: ${JSON.stringify(result)}`);
  } catch (error) {
    console.error(`${me} ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    process.exitCode = 1;
  } finally {
    clearInterval(progress);
    await store.close();
  }
}

/** How many execs returned here, all states together, and by state. */
function total(done: Readonly<Record<string, number>>): number {
  return Object.values(done).reduce((a, b) => a + b, 0);
}

function byState(done: Readonly<Record<string, number>>): string {
  const parts = Object.entries(done).map(([state, n]) => `${state} ${n}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(process.argv.slice(2));
