// Guarantee: a call left out of the chain — a state's .exec(fn) or .to(...), the workflow's
// .build() — is reported as that call, in words, at the place the chain goes on without it.
import { expectError, expectType } from 'tsd';
import { JsonlStore, lintWorkflow, Processor, workflow, type Workflow } from 'jorb-ts';
import type { MissingBuildMessage, MissingExecMessage, MissingTargetsMessage, TypeMessage } from 'jorb-ts/types';

type AC = { api: { get(url: string, signal: AbortSignal): Promise<string> } };
type OC = { outDir: string };
type JC = { url: string; body?: string };

const crawl = workflow<AC, OC, JC>('crawl');

// Accepted: every state with .to(...) and .exec(fn), the chain ended by .build().
const wf = crawl
  .state('fetch')
  .to('parse')
  .spawns('fetch')
  .exec(({ jc }) => ({ state: 'parse', jc }))
  .state('parse')
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc }))
  .terminal('done')
  .build();
expectType<Workflow<AC, OC, JC, 'fetch' | 'parse' | 'done'>>(wf);

// Rejected: .state, .terminal or .build right after .to(...): the exec is missing.
const noExec = crawl.state('fetch').to('done');
expectError(noExec.state('parse'));
expectError(noExec.terminal('done'));
expectError(noExec.build());
// ... and right after .spawns(...).
const noExecSpawning = crawl.state('fetch').to('done').spawns('fetch');
expectError(noExecSpawning.state('parse'));
expectError(noExecSpawning.terminal('done'));
expectError(noExecSpawning.build());

// Rejected: .exec, .state, .terminal or .build right after .state(...): .to(...) is missing.
const noTargets = crawl.state('fetch');
expectError(noTargets.exec(({ jc }) => ({ state: 'done', jc })));
expectError(noTargets.state('parse'));
expectError(noTargets.terminal('done'));
expectError(noTargets.build());

// Rejected: the builder used as a workflow.
const unbuilt = crawl
  .state('fetch')
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc }))
  .terminal('done');
expectError(unbuilt.newRun('nightly', { outDir: 'out' }));
expectError(new Processor(unbuilt, { api: { get: async () => '' } }));
expectError(lintWorkflow(unbuilt));
expectError(new JsonlStore<OC, JC>('runs/crawl.jsonl').load(unbuilt));

// The sentences, and the types the mistaken calls meet.
expectType<"State 'fetch' has no exec: add .exec(fn) after its .to(…)">({} as MissingExecMessage<'fetch'>);
expectType<"State 'fetch' has no .to(…): add .to(…) naming the states its exec may return, before .exec(fn)">({} as MissingTargetsMessage<'fetch'>);
expectType<'This is a workflow builder, not a workflow: end its definition with .build()'>({} as MissingBuildMessage);
expectType<TypeMessage<MissingExecMessage<'fetch'>>>(noExec.build);
expectType<TypeMessage<MissingExecMessage<'fetch'>>>(noExecSpawning.build);
expectType<TypeMessage<MissingTargetsMessage<'fetch'>>>(noTargets.build);
expectType<TypeMessage<MissingBuildMessage>>(unbuilt.newRun);
expectType<TypeMessage<MissingBuildMessage>>(unbuilt.graph);
