// Guarantee: a builder value can be continued in later statements, and .build() checks the whole.
import { expectError, expectType } from 'tsd';
import { workflow, type Workflow } from 'jorb-ts';

type AC = { api: { get(url: string, signal: AbortSignal): Promise<string>; head(url: string, signal: AbortSignal): Promise<number> } };
type OC = { outDir: string };
type JC = { url: string; body?: string };

declare function links(html: string | undefined): string[];

// Accepted: three statements, each continuing the previous builder value.
const a = workflow<AC, OC, JC>('crawl')
  .state('check', { concurrency: 20 })
  .to('fetch', 'skipped')
  .exec(async ({ ac, jc, signal }) => ((await ac.api.head(jc.url, signal)) === 200 ? { state: 'fetch', jc } : { state: 'skipped', jc }))
  .state('fetch', { concurrency: 10, timeout: { ms: 30_000, failState: 'fetch-failed' } })
  .to('parse', 'fetch-failed')
  .exec(async ({ ac, jc, signal }) => ({ state: 'parse', jc: { ...jc, body: await ac.api.get(jc.url, signal) } }));
const b = a
  .state('parse', { concurrency: 4 })
  .to('store')
  .spawns('check')
  .exec(({ jc }) => ({ state: 'store', jc, kicks: links(jc.body).map((url) => ({ state: 'check', jc: { url }, key: url })) }));
const c = b
  .state('store')
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc: { url: jc.url } }));
const wf = c.terminal('done', 'skipped', 'fetch-failed').build();

type S = 'check' | 'fetch' | 'parse' | 'store' | 'done' | 'skipped' | 'fetch-failed';
expectType<Workflow<AC, OC, JC, S>>(wf);
expectType<readonly S[]>(wf.states);

// Accepted: the built workflow can be annotated with its compact named type.
const annotated: Workflow<AC, OC, JC, S> = c.terminal('done', 'skipped', 'fetch-failed').build();
expectType<Workflow<AC, OC, JC, S>>(annotated);

// Rejected: an earlier part alone does not build ('store' and the terminal states are missing).
expectError(a.build());
expectError(b.build());
expectError(c.terminal('done', 'skipped').build());

// Rejected: a later statement redeclaring a state of an earlier one.
expectError(c.state('fetch'));
expectError(c.terminal('parse'));

// Rejected: the states of one part are not those of another: its exec sees only its own targets.
expectError(
  b
    .state('store')
    .to('done')
    .exec(({ jc }) => ({ state: 'parse', jc })),
);
