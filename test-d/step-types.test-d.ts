// Guarantee: the step types users may name are the types the builder returns (.to(...) and
// .spawns(...) write them out instead of naming them, which saves a type instantiation per type
// argument at every state; these checks keep the written-out shapes and the named ones the same).
import { expectAssignable, expectType } from 'tsd';
import { workflow, type ExecStep, type StateStep, type TargetsStep, type WorkflowBuilder } from 'jorb-ts';

type AC = { api: { get(url: string, signal: AbortSignal): Promise<string> } };
type OC = { outDir: string };
type JC = { url: string; body?: string };

const head = workflow<AC, OC, JC>('crawl')
  .state('fetch', { timeout: { ms: 1_000, failState: 'fetch-failed' } })
  .to('parse', 'fetch-failed')
  .exec(({ jc }) => ({ state: 'parse', jc }));
expectType<WorkflowBuilder<AC, OC, JC, 'fetch', 'parse' | 'fetch-failed'>>(head);

const declared = head.state('parse', { retry: { attempts: 2, then: 'done' } });
expectType<StateStep<AC, OC, JC, 'fetch' | 'parse', 'parse' | 'fetch-failed', 'parse', 'done'>>(declared);

const targets = declared.to('done');
expectType<TargetsStep<AC, OC, JC, 'fetch' | 'parse', 'parse' | 'fetch-failed', 'parse', 'done', 'done'>>(targets);
expectAssignable<TargetsStep<AC, OC, JC, 'fetch' | 'parse', 'parse' | 'fetch-failed', 'parse', 'done', 'done'>>(targets);

const spawning = targets.spawns('fetch');
expectType<ExecStep<AC, OC, JC, 'fetch' | 'parse', 'parse' | 'fetch-failed', 'parse', 'done', 'done', 'fetch'>>(spawning);

// A value typed by the named step continues like the one the builder returned.
const named: TargetsStep<AC, OC, JC, 'fetch' | 'parse', 'parse' | 'fetch-failed', 'parse', 'done', 'done'> = targets;
expectType<WorkflowBuilder<AC, OC, JC, 'fetch' | 'parse', 'parse' | 'fetch-failed' | 'done' | 'fetch'>>(
  named.spawns('fetch').exec(({ jc }) => ({ state: 'done', jc, kicks: [{ state: 'fetch', jc }] })),
);
expectType<WorkflowBuilder<AC, OC, JC, 'fetch' | 'parse', 'parse' | 'fetch-failed' | 'done'>>(named.exec(({ jc }) => ({ state: 'done', jc })));

// The same with a policy state that is not a target (the exec's parameter carries the sentence).
const misrouted = head.state('store', { retry: { attempts: 2, then: 'gave-up' } }).to('done');
expectType<TargetsStep<AC, OC, JC, 'fetch' | 'store', 'parse' | 'fetch-failed', 'store', 'gave-up', 'done'>>(misrouted);
expectType<ExecStep<AC, OC, JC, 'fetch' | 'store', 'parse' | 'fetch-failed', 'store', 'gave-up', 'done', 'fetch'>>(misrouted.spawns('fetch'));
