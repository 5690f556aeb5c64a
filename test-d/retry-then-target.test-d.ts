// Guarantee: a retry's `then` state must be one of that state's .to(...) targets; the error lands at .exec().
import { expectError, expectType } from 'tsd';
import { workflow, type Workflow } from 'jorb-ts';
import type { PolicyStatesAreTargets, TypeMessage } from 'jorb-ts/types';

type JC = { url: string };
const crawl = workflow<object, object, JC>('crawl');

// Accepted: then names a target (and combines with a timeout whose failState is one too).
const wf = crawl
  .state('fetch', { retry: { attempts: 3, then: 'fetch-failed' }, timeout: { ms: 100, failState: 'fetch-failed' } })
  .to('done', 'fetch-failed')
  .exec(({ jc }) => ({ state: 'done', jc }))
  .terminal('done', 'fetch-failed')
  .build();
expectType<Workflow<object, object, JC, 'fetch' | 'done' | 'fetch-failed'>>(wf);
crawl.state('a', { retry: { attempts: 2 } }).to('b').exec(({ jc }) => ({ state: 'b', jc }));

// Rejected: then is not a target, even if it is a state.
expectError(crawl.state('fetch', { retry: { attempts: 3, then: 'gave-up' } }).to('done').exec(({ jc }) => ({ state: 'done', jc })));
expectError(
  crawl
    .state('fetch', { retry: { attempts: 3, then: 'gave-up' } })
    .to('done')
    .spawns('fetch')
    .exec(({ jc }) => ({ state: 'done', jc })),
);

// Rejected: a then-state and a failState that both miss the targets: the sentence names each.
expectError(
  crawl
    .state('fetch', { retry: { attempts: 3, then: 'gave-up' }, timeout: { ms: 100, failState: 'timed-out' } })
    .to('done')
    .exec(({ jc }) => ({ state: 'done', jc })),
);

// The readable error: what .exec's argument must also be names the then-state and the state.
expectType<TypeMessage<"Timeout failState, retry then-state or join failState 'gave-up' of state 'fetch' must be one of its .to() targets">>(
  {} as PolicyStatesAreTargets<'fetch', 'gave-up', 'done'>,
);
expectType<
  TypeMessage<
    | "Timeout failState, retry then-state or join failState 'gave-up' of state 'fetch' must be one of its .to() targets"
    | "Timeout failState, retry then-state or join failState 'timed-out' of state 'fetch' must be one of its .to() targets"
  >
>({} as PolicyStatesAreTargets<'fetch', 'gave-up' | 'timed-out' | 'done', 'done'>);
expectType<unknown>({} as PolicyStatesAreTargets<'fetch', 'gave-up', 'done' | 'gave-up'>);
expectType<unknown>({} as PolicyStatesAreTargets<'fetch', never, 'done'>);
