// Guarantee: terminal states have no exec (nor .to / .spawns).
import { expectError, expectType } from 'tsd';
import { workflow, type Workflow } from 'jorb-ts';

type AC = { api: { get(url: string, signal: AbortSignal): Promise<string> } };
type OC = { outDir: string };
type JC = { url: string; body?: string };

const crawl = workflow<AC, OC, JC>('crawl');

// Accepted: after .terminal come more states, more terminals or .build().
const wf = crawl
  .terminal('done')
  .state('parse')
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc }))
  .terminal('skipped')
  .build();
expectType<Workflow<AC, OC, JC, 'parse' | 'done' | 'skipped'>>(wf);

// Rejected: .exec, .to or .spawns after .terminal.
expectError(crawl.terminal('done').exec(({ jc }: { jc: JC }) => ({ state: 'done', jc })));
expectError(crawl.terminal('done').to('parse'));
expectError(crawl.terminal('done').spawns('fetch'));
expectError(crawl.terminal('done', 'fetch-failed').exec(({ jc }: { jc: JC }) => ({ state: 'done', jc })));
