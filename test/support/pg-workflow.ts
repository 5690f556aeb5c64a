// The workflow the multi-process PostgreSQL tests run: a seed kicks `size` keyed children (and
// kicks one key twice, which must be dropped), each child walks work -> check -> done with a short
// wait in work, so a run takes long enough to be killed in the middle.
import { workflow } from '../../src/index.js';

export type PgJC = { n: number };
export type PgOC = { size: number };

export const pgWorkflow = workflow<object, PgOC, PgJC>('pg-kill')
  .state('seed')
  .to('done')
  .spawns('work')
  .exec(({ jc }) => ({
    state: 'done',
    jc,
    kicks: [...Array.from({ length: jc.n }, (_, i) => ({ state: 'work' as const, jc: { n: i }, key: `work-${i}` })), { state: 'work' as const, jc: { n: -1 }, key: 'work-0' }],
  }))
  .state('work', { concurrency: 4 })
  .to('check')
  .exec(async ({ jc }) => {
    await new Promise((resolve) => setTimeout(resolve, 3));
    return { state: 'check', jc: { n: jc.n * 10 } };
  })
  .state('check', { concurrency: 2 })
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc: { n: jc.n + 1 } }))
  .terminal('done')
  .build();
