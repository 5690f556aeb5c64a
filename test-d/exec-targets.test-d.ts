// Guarantee: an exec may only return a state named in that state's own .to(...), sync or async.
import { expectError, expectType } from 'tsd';
import { workflow, type Workflow } from 'jorb-ts';

type AC = { api: { get(url: string, signal: AbortSignal): Promise<string> } };
type OC = { outDir: string };
type JC = { url: string; body?: string };

const crawl = workflow<AC, OC, JC>('crawl');

// Accepted: every state an exec returns, on every path, is one of that state's targets.
const wf = crawl
  .state('fetch', { concurrency: 10 })
  .to('parse', 'fetch', 'fetch-failed')
  .exec(async ({ ac, jc, signal }) => {
    try {
      return { state: 'parse', jc: { ...jc, body: await ac.api.get(jc.url, signal) } };
    } catch (error) {
      return jc.url.startsWith('http:') ? { state: 'fetch', jc: { url: jc.url.replace('http:', 'https:') } } : { state: 'fetch-failed', jc, error: String(error) };
    }
  })
  .state('parse')
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc }))
  .terminal('done', 'fetch-failed')
  .build();
expectType<Workflow<AC, OC, JC, 'fetch' | 'parse' | 'done' | 'fetch-failed'>>(wf);

// Rejected: a state that is in no .to(...) at all.
expectError(
  crawl
    .state('fetch')
    .to('parse')
    .exec(({ jc }) => ({ state: 'prase', jc })),
);

// Rejected: the state itself, when it is not one of its own targets.
expectError(
  crawl
    .state('fetch')
    .to('parse')
    .exec(({ jc }) => ({ state: 'fetch', jc })),
);

// Rejected: a declared state that is another state's target, not this one's ('done' is parse's).
const fetchThenParse = crawl
  .state('fetch')
  .to('parse')
  .exec(({ jc }) => ({ state: 'parse', jc }));
expectError(
  fetchThenParse
    .state('parse')
    .to('done')
    .exec(({ jc }) => ({ state: 'fetch', jc })),
);
expectError(
  crawl
    .state('fetch')
    .to('parse')
    .exec(({ jc }) => ({ state: 'done', jc }))
    .state('parse')
    .to('done')
    .exec(({ jc }) => ({ state: 'done', jc })),
);

// Rejected: one wrong branch among right ones.
expectError(
  crawl
    .state('fetch')
    .to('parse', 'fetch-failed')
    .exec(({ jc }) => (jc.url === '' ? { state: 'failed', jc } : { state: 'parse', jc })),
);

// Rejected: a state with no targets at all (and a spawns with none).
expectError(crawl.state('fetch').to());
expectError(crawl.state('fetch').to('parse').spawns());

// Rejected: a state name only known as a string.
declare const somewhere: string;
expectError(
  crawl
    .state('fetch')
    .to('parse')
    .exec(({ jc }) => ({ state: somewhere, jc })),
);

// Rejected: the same mistakes in an async exec.
expectError(
  crawl
    .state('fetch')
    .to('parse')
    .exec(async ({ ac, jc, signal }) => ({ state: 'done', jc: { ...jc, body: await ac.api.get(jc.url, signal) } })),
);
expectError(
  crawl
    .state('fetch')
    .to('parse', 'fetch-failed')
    .exec(async ({ ac, jc, signal }) => {
      try {
        return { state: 'parse', jc: { ...jc, body: await ac.api.get(jc.url, signal) } };
      } catch {
        return { state: 'failed', jc };
      }
    }),
);
