// Guarantee: a timeout's failState must be one of that state's .to(...) targets; the error lands at .exec().
import { expectError, expectType } from 'tsd';
import { workflow, type StateOptions, type Workflow } from 'jorb-ts';
import type { PolicyStatesAreTargets, TypeMessage } from 'jorb-ts/types';

type AC = { api: { get(url: string, signal: AbortSignal): Promise<string> } };
type OC = { outDir: string };
type JC = { url: string; body?: string };

const crawl = workflow<AC, OC, JC>('crawl');

// Accepted: the failState is one of the targets (with or without .spawns, or no timeout at all).
const wf = crawl
  .state('fetch', { concurrency: 10, timeout: { ms: 30_000, failState: 'fetch-failed' } })
  .to('parse', 'fetch-failed')
  .exec(async ({ ac, jc, signal }) => ({ state: 'parse', jc: { ...jc, body: await ac.api.get(jc.url, signal) } }))
  .state('parse', { timeout: { ms: 1_000, failState: 'done' } })
  .to('done')
  .spawns('fetch')
  .exec(({ jc }) => ({ state: 'done', jc }))
  .state('archive', { concurrency: 2 })
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc }))
  .terminal('done', 'fetch-failed')
  .build();
expectType<Workflow<AC, OC, JC, 'fetch' | 'parse' | 'archive' | 'done' | 'fetch-failed'>>(wf);

// Rejected: the failState is not a target. `.state(...).to(...)` still compiles; `.exec` is the error.
const fetchStep = crawl.state('fetch', { timeout: { ms: 30_000, failState: 'fetch-failed' } }).to('parse');
expectError(fetchStep.exec(({ jc }) => ({ state: 'parse', jc })));
expectError(fetchStep.spawns('fetch').exec(({ jc }) => ({ state: 'parse', jc })));

// Rejected: a failState that is another state's target, or the state itself.
expectError(
  crawl
    .state('fetch', { timeout: { ms: 30_000, failState: 'done' } })
    .to('parse')
    .exec(({ jc }) => ({ state: 'parse', jc })),
);
expectError(
  crawl
    .state('fetch', { timeout: { ms: 30_000, failState: 'fetch' } })
    .to('parse')
    .exec(({ jc }) => ({ state: 'parse', jc })),
);

// The readable error: what .exec's argument must also be names the failState and the state.
expectType<TypeMessage<"Timeout failState, retry then-state or join failState 'fetch-failed' of state 'fetch' must be one of its .to() targets">>(
  {} as PolicyStatesAreTargets<'fetch', 'fetch-failed', 'parse'>,
);
expectType<TypeMessage<"Timeout failState, retry then-state or join failState 'failed' of state 'parse' must be one of its .to() targets">>(
  {} as PolicyStatesAreTargets<'parse', 'failed', 'done' | 'fetch'>,
);
expectType<unknown>({} as PolicyStatesAreTargets<'fetch', 'fetch-failed', 'parse' | 'fetch-failed'>);
expectType<unknown>({} as PolicyStatesAreTargets<'fetch', never, 'parse'>);

// Accepted: options shared through a variable typed StateOptions (no timeout), or StateOptions<'failed'>.
const shared: StateOptions = { concurrency: 4 };
const sharedTimed: StateOptions<'failed'> = { timeout: { ms: 5, failState: 'failed' } };
crawl.state('a', shared).to('b').exec(({ jc }) => ({ state: 'b', jc }));
crawl.state('a', sharedTimed).to('b', 'failed').exec(({ jc }) => ({ state: 'b', jc }));
// Rejected: a failState typed only as string cannot be proven to be a target; the message says how to fix it.
const loose = { timeout: { ms: 5, failState: 'failed' as string } };
expectError(crawl.state('a', loose).to('b', 'failed').exec(({ jc }) => ({ state: 'b', jc })));
expectType<
  TypeMessage<"The timeout failState, retry then-state or join failState of state 'a' is typed only as string: write the options inline, or type them StateOptions<'the-fail-state', 'the-then-state'>">
>({} as PolicyStatesAreTargets<'a', string, 'b'>);
