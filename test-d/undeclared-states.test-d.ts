// Guarantee: build() compiles only when every state referenced (by .to or .spawns) is declared by .state or .terminal.
import { expectError, expectType } from 'tsd';
import { workflow, type Workflow } from 'jorb-ts';
import type { AllStatesDeclared, TypeMessage, UndeclaredStateMessage } from 'jorb-ts/types';

type AC = { api: { get(url: string, signal: AbortSignal): Promise<string> } };
type OC = { outDir: string };
type JC = { url: string; body?: string };

declare function links(html: string | undefined): string[];

const crawl = workflow<AC, OC, JC>('crawl');

// Accepted: forward references ('parse' and 'done' are used before they are declared).
const head = crawl
  .state('fetch', { concurrency: 10 })
  .to('parse', 'fetch-failed')
  .exec(async ({ ac, jc, signal }) => ({ state: 'parse', jc: { ...jc, body: await ac.api.get(jc.url, signal) } }))
  .state('parse')
  .to('done')
  .spawns('fetch')
  .exec(({ jc }) => ({ state: 'done', jc, kicks: links(jc.body).map((url) => ({ state: 'fetch', jc: { url }, key: url })) }));
const wf = head.terminal('done', 'fetch-failed').build();
expectType<Workflow<AC, OC, JC, 'fetch' | 'parse' | 'done' | 'fetch-failed'>>(wf);

// Accepted: a workflow of terminal states only, and a state that loops on itself.
crawl.terminal('done').build();
crawl
  .state('fetch')
  .to('fetch')
  .exec(({ jc }) => ({ state: 'fetch', jc }))
  .build();

// Rejected: the same builder before its terminal states are declared.
expectError(head.build());
expectError(head.terminal('done').build());

// Rejected: a misspelt target.
expectError(
  crawl
    .state('fetch')
    .to('prase')
    .exec(({ jc }) => ({ state: 'prase', jc }))
    .state('parse')
    .to('done')
    .exec(({ jc }) => ({ state: 'done', jc }))
    .terminal('done')
    .build(),
);

// Rejected: a .spawns(...) target that is never declared.
expectError(
  crawl
    .state('parse')
    .to('done')
    .spawns('fetch')
    .exec(({ jc }) => ({ state: 'done', jc }))
    .terminal('done')
    .build(),
);

// The readable error: .build is not callable, and its type is a sentence naming each missing state.
expectType<"State 'prase' is a target but is never declared: add .state('prase', …) or .terminal('prase')">(
  {} as UndeclaredStateMessage<'prase'>,
);
expectType<
  | "State 'parse' is a target but is never declared: add .state('parse', …) or .terminal('parse')"
  | "State 'done' is a target but is never declared: add .state('done', …) or .terminal('done')"
>({} as UndeclaredStateMessage<'parse' | 'done'>);

type Build = () => Workflow<AC, OC, JC, 'fetch' | 'parse'>;
expectType<TypeMessage<"State 'done' is a target but is never declared: add .state('done', …) or .terminal('done')">>(
  {} as AllStatesDeclared<'fetch' | 'parse', 'parse' | 'done', Build>,
);
expectType<Build>({} as AllStatesDeclared<'fetch' | 'parse' | 'done', 'parse' | 'done', Build>);
expectType<Build>({} as AllStatesDeclared<'done', never, Build>);
expectType<TypeMessage<"State 'prase' is a target but is never declared: add .state('prase', …) or .terminal('prase')">>(
  crawl.state('fetch').to('prase').exec(({ jc }) => ({ state: 'prase', jc })).build,
);
