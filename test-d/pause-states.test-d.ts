// Guarantee: processor.pause(state) and processor.resume(state) only accept the workflow's states.
import { expectError, expectType } from 'tsd';
import { Processor, workflow } from 'jorb-ts';

type JC = { url: string };

const wf = workflow<object, object, JC>('crawl')
  .state('fetch', { concurrency: 10 })
  .to('parse')
  .exec(({ jc }) => ({ state: 'parse', jc }))
  .state('parse')
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc }))
  .terminal('done')
  .build();

const processor = new Processor(wf, {});

// Accepted: a declared state (a terminal one is refused at run time: it runs nothing).
expectType<Promise<void>>(processor.pause('fetch'));
expectType<Promise<void>>(processor.resume('parse'));

// Rejected: a state the workflow does not declare.
expectError(processor.pause('fetchh'));
expectError(processor.resume('nowhere'));
