// The workflow of the dashboard tests (test/serve.test.ts): fetch → parse → done. fetch fails every
// job whose n is a multiple of 10 ("HTTP 503": the job is marked failed there) unless its url says
// retry; parse is the narrow state (concurrency 2, SERVE_PARSE_MS a job) and kicks a child fetch
// for every 50th job.
import { workflow } from '../../src/index.js';

export interface ServeJc {
  readonly n: number;
  readonly url: string;
}

const PARSE_MS = Number(process.env['SERVE_PARSE_MS'] ?? 8);

export const crawl = workflow<object, object, ServeJc>('crawl')
  .state('fetch', { concurrency: 8 })
  .to('parse')
  .exec(async ({ jc }) => {
    await new Promise((resolve) => setImmediate(resolve));
    if (jc.n % 10 === 0 && process.env['SERVE_HEALED'] !== '1') throw new Error(`HTTP 503 from ${jc.url}`);
    return { state: 'parse', jc };
  })
  .state('parse', { concurrency: 2, recursive: true })
  .to('done')
  .spawns('fetch')
  .exec(async ({ jc, kick }) => {
    await new Promise((resolve) => setTimeout(resolve, PARSE_MS));
    const kicks = jc.n % 50 === 1 && !jc.url.endsWith('/child') ? [kick({ state: 'fetch', jc: { n: jc.n + 1, url: `${jc.url}/child` }, key: `${jc.url}/child` })] : [];
    return { state: 'done', jc, kicks };
  })
  .terminal('done')
  .build();
