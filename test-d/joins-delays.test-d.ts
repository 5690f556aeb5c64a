// Guarantees: a join's `children[i].jc` is the workflow's JC; a join's failState must be one of its
// .to(...) targets (the error lands at .exec(), like a timeout's); `delayMs` is a number, on a
// transition, a kick and run.add; keyScope is 'run' or 'unsettled'; a schedule's state is the workflow's.
import { expectError, expectType } from 'tsd';
import { Processor, schedule, workflow, type ChildResult, type Workflow } from 'jorb-ts';
import type { PolicyStatesAreTargets, TypeMessage } from 'jorb-ts/types';

type JC = { tables?: string[]; table?: string; rows?: number; total?: number };

const base = workflow<object, object, JC>('summary');

// Accepted: a join whose exec reads its children's typed job contexts.
const wf = base
  .state('split')
  .to('merge')
  .spawns('query')
  .exec(({ jc }) => ({ state: 'merge', jc, kicks: (jc.tables ?? []).map((table) => ({ state: 'query' as const, jc: { table }, delayMs: 10 })) }))
  .state('query')
  .to('queried')
  .exec(({ jc }) => ({ state: 'queried', jc: { ...jc, rows: 1 }, delayMs: 0 }))
  .state('merge', { join: { failState: 'partial' } })
  .to('done', 'partial')
  .exec(({ jc, children }) => {
    expectType<readonly ChildResult<JC>[]>(children);
    expectType<JC>(children[0]!.jc);
    expectType<number | undefined>(children[0]!.jc.rows);
    expectType<boolean>(children[0]!.failed);
    expectType<string>(children[0]!.state);
    expectType<Readonly<Record<string, readonly string[]>>>(children[0]!.errors);
    return { state: 'done', jc: { ...jc, total: children.reduce((sum, c) => sum + (c.jc.rows ?? 0), 0) } };
  })
  .terminal('queried', 'done', 'partial')
  .build();
expectType<Workflow<object, object, JC, 'split' | 'query' | 'merge' | 'queried' | 'done' | 'partial'>>(wf);

// Rejected: a child's jc read as something JC is not.
base
  .state('merge', { join: true })
  .to('done')
  .exec(({ jc, children }) => {
    // @ts-expect-error `url` is not a field of JC
    const url: string = children[0]!.jc.url;
    return { state: 'done', jc: { ...jc, table: url } };
  });

// Rejected: a join failState that is not a .to() target, at the exec, in words.
const step = base.state('merge', { join: { failState: 'partial' } }).to('done');
expectError(step.exec(({ jc }) => ({ state: 'done', jc })));
expectType<TypeMessage<"Timeout failState, retry then-state or join failState 'partial' of state 'merge' must be one of its .to() targets">>(
  {} as PolicyStatesAreTargets<'merge', 'partial', 'done'>,
);

// Rejected: a delay that is not a number, on a transition and on a kick; and on run.add.
expectError(
  base
    .state('wait')
    .to('done')
    .exec(({ jc }) => ({ state: 'done', jc, delayMs: '5s' })),
);
expectError(
  base
    .state('wait')
    .to('done')
    .spawns('done')
    .exec(({ jc }) => ({ state: 'done', jc, kicks: [{ state: 'done', jc, delayMs: '5s' }] })),
);
const run = wf.newRun('r', {});
run.add({}, 'split', { delayMs: 1_000, key: 'k', keyScope: 'unsettled' });
expectError(run.add({}, 'split', { delayMs: '1s' }));
expectError(run.add({}, 'split', { key: 'k', keyScope: 'forever' }));

// Schedules: the state must be one of the workflow's, the jc its JC.
const processor = new Processor(wf, {});
void processor.exec(run, { schedules: [schedule({ name: 'poll', everyMs: 1_000, state: 'split', jc: { tables: ['a'] }, limit: 3 })] });
expectError(processor.exec(run, { schedules: [schedule({ name: 'poll', everyMs: 1_000, state: 'nowhere', jc: {} })] }));
expectError(processor.exec(run, { schedules: [schedule({ name: 'poll', everyMs: 1_000, state: 'split', jc: { tables: 'a' } })] }));
