// Guarantee: run.add(jc, state) only accepts the workflow's states (terminal ones included) and a JC.
import { expectError, expectType } from 'tsd';
import { workflow, type Run } from 'jorb-ts';

type AC = { api: { get(url: string, signal: AbortSignal): Promise<string> } };
type OC = { outDir: string };
type JC = { url: string; body?: string };
type S = 'fetch' | 'parse' | 'done' | 'fetch-failed';

const wf = workflow<AC, OC, JC>('crawl')
  .state('fetch', { concurrency: 10, timeout: { ms: 30_000, failState: 'fetch-failed' } })
  .to('parse', 'fetch-failed')
  .exec(async ({ ac, jc, signal }) => ({ state: 'parse', jc: { ...jc, body: await ac.api.get(jc.url, signal) } }))
  .state('parse')
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc }))
  .terminal('done', 'fetch-failed')
  .build();

const run = wf.newRun('nightly', { outDir: 'out' });
expectType<Run<OC, JC, S>>(run);

// Accepted: every declared state, terminal ones too; add chains; an id may be given.
expectType<Run<OC, JC, S>>(run.add({ url: 'https://example.com' }, 'fetch').add({ url: 'https://example.org' }, 'fetch', { id: 'org' }));
run.add({ url: 'https://example.com', body: '<html></html>' }, 'parse');
run.add({ url: 'https://example.com' }, 'done');
run.add({ url: 'https://example.com' }, 'fetch-failed');

// Rejected: a state the workflow does not declare.
expectError(run.add({ url: 'https://example.com' }, 'prase'));
declare const someState: string;
expectError(run.add({ url: 'https://example.com' }, someState));

// Rejected: a jc of the wrong shape.
expectError(run.add({ uri: 'https://example.com' }, 'fetch'));
expectError(run.add({ url: 42 }, 'fetch'));
expectError(run.add({ url: 'https://example.com', body: 42 }, 'fetch'));
expectError(run.add(undefined, 'fetch'));

// Rejected: a run whose overall context is not an OC.
expectError(wf.newRun('nightly', { out: 'out' }));
