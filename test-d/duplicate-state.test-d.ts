// Guarantee: a state cannot be declared twice, whether by .state or by .terminal.
import { expectError, expectType } from 'tsd';
import { workflow, type Workflow } from 'jorb-ts';
import type { DuplicateStateMessage, NewStateName, NewTerminalName, RepeatedTerminalMessage } from 'jorb-ts/types';

type AC = { api: { get(url: string, signal: AbortSignal): Promise<string> } };
type OC = { outDir: string };
type JC = { url: string; body?: string };

const crawl = workflow<AC, OC, JC>('crawl');
const fetchDeclared = crawl
  .state('fetch')
  .to('parse', 'done')
  .exec(({ jc }) => ({ state: 'parse', jc }));
const doneDeclared = crawl.terminal('done');

// Accepted: every name once.
const wf = fetchDeclared
  .state('parse')
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc }))
  .terminal('done', 'fetch-failed')
  .build();
expectType<Workflow<AC, OC, JC, 'fetch' | 'parse' | 'done' | 'fetch-failed'>>(wf);

// Rejected: .state twice.
expectError(fetchDeclared.state('fetch'));

// Rejected: .terminal after .state.
expectError(fetchDeclared.terminal('fetch'));
expectError(fetchDeclared.terminal('done', 'fetch'));

// Rejected: .state after .terminal.
expectError(doneDeclared.state('done'));

// Rejected: .terminal twice.
expectError(doneDeclared.terminal('done'));

// Rejected: the same name twice in one .terminal(...) call (the runtime rejects it: 'State "done" is declared twice').
expectError(crawl.terminal('done', 'done'));
expectError(fetchDeclared.terminal('done', 'fetch-failed', 'done'));

// The readable error: the parameter type of a name already declared is a sentence; the argument
// it is said about is the name.
expectType<'This state is already declared: declare each state once, by .state(…) or .terminal(…)'>({} as DuplicateStateMessage);
expectType<DuplicateStateMessage>({} as NewStateName<'fetch', 'fetch' | 'parse'>);
expectType<'parse'>({} as NewStateName<'parse', 'fetch'>);
expectType<'done'>({} as NewStateName<'done', never>);

// A name repeated within one .terminal(...) gets its own sentence; one declared before, the first.
expectType<'This name is repeated in this .terminal(…): list each state once'>({} as RepeatedTerminalMessage);
expectType<RepeatedTerminalMessage>({} as NewTerminalName<['done', 'failed', 'done'], '0', 'fetch'>);
expectType<DuplicateStateMessage>({} as NewTerminalName<['fetch', 'done'], '0', 'fetch'>);
expectType<'failed'>({} as NewTerminalName<['done', 'failed', 'done'], '1', 'fetch'>);
