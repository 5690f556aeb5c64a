// Guarantee: an exec run in worker threads (inThreads) is checked by the builder like an inline one:
// the states its module returns against .to(...), its kicks against .spawns(...), its JC against the workflow's.
import { expectError, expectType } from 'tsd';
import { inThreads, workflow, type ThreadExecArgs, type ThreadExecFn, type Workflow } from 'jorb-ts';

type OC = { outDir: string };
type JC = { url: string; text?: string; digest?: string };

const wf = workflow<{ api: string }, OC, JC>('hash');
const url = new URL('./hash-exec.js', 'file:///app/');

// The modules' default exports, as `import type hash from './hash-exec.js'; typeof hash` gives them.
declare function hash(args: ThreadExecArgs<JC>): { state: 'done'; jc: JC };
declare function hashAsync(args: ThreadExecArgs<JC, OC>): Promise<{ state: 'done' | 'too-slow'; jc: JC }>;
declare const split: ThreadExecFn<JC, 'done', 'hash'>;
declare function typo(args: ThreadExecArgs<JC>): { state: 'dnoe'; jc: JC };
declare function widened(args: ThreadExecArgs<JC>): { state: string; jc: JC };
declare function otherJc(args: ThreadExecArgs<{ url: string; n: number }>): { state: 'done'; jc: { url: string; n: number } };
declare const kicksElsewhere: ThreadExecFn<JC, 'done', 'fetch'>;

// Accepted: the module returns only targets of the state (sync or async), with the state's timeout.
const built = wf
  .state('hash', { concurrency: 2, timeout: { ms: 5000, failState: 'too-slow' } })
  .to('done', 'too-slow')
  .exec(inThreads<typeof hash>(url, { threads: 2 }))
  .state('hash-again')
  .to('done', 'too-slow')
  .exec(inThreads<typeof hashAsync>(url.href))
  .terminal('done', 'too-slow')
  .build();
expectType<Workflow<{ api: string }, OC, JC, 'hash' | 'hash-again' | 'done' | 'too-slow'>>(built);

// Accepted: kicks typed by the module's ThreadExecFn, into the state's .spawns(...).
wf.state('hash').to('done').spawns('hash').exec(inThreads<typeof split>(url));

// The thread's arguments: copies of the job's data, the thread's own ac, a typed kick, and no signal.
declare const args: ThreadExecArgs<JC, OC, 'hash', { pool: number }>;
expectType<JC>(args.jc);
expectType<OC>(args.oc);
expectType<{ pool: number }>(args.ac);
expectType<number>(args.attempt);
expectError(args.signal);
expectError(args.kick({ state: 'fetch', jc: { url: '' } }));

// Rejected: a state the state does not go to, in the module's return type.
expectError(wf.state('hash').to('done').exec(inThreads<typeof typo>(url)));
// Rejected: a state typed only as string (a return type inferred without `as const`).
expectError(wf.state('hash').to('done').exec(inThreads<typeof widened>(url)));
// Rejected: kicks into a state that is not among .spawns(...), or from a state with none.
expectError(wf.state('hash').to('done').spawns('hash').exec(inThreads<typeof kicksElsewhere>(url)));
expectError(wf.state('hash').to('done').exec(inThreads<typeof kicksElsewhere>(url)));
// Rejected: a module written for another JC.
expectError(wf.state('hash').to('done').exec(inThreads<typeof otherJc>(url)));
// Rejected: no module exec type at all (the state becomes the sentence saying what to write).
expectError(wf.state('hash').to('done').exec(inThreads(url)));
// Rejected: options that are not ThreadOptions.
expectError(inThreads<typeof hash>(url, { threads: '2' }));
expectError(inThreads<typeof hash>(url, { thread: 2 }));
