// The workflow of the serve bench (bench/serve.ts): W3 (fetch -> parse -> done) with fetch paced
// at BENCH_SERVE_RATE / 2 jobs a second (fixedRate), so a run makes about BENCH_SERVE_RATE
// transitions a second; `jorb serve --workflow bench/serve-workflow.ts` draws it.
import { fixedRate, workflow } from '../src/index.js';

const RATE = Number(process.env['BENCH_SERVE_RATE'] ?? 2_000);

export const serveBench = workflow<object, object, { n: number }>('serve-bench')
  .state('fetch', { concurrency: 10, rateLimit: fixedRate(RATE / 2, { burst: 10 }) })
  .to('parse')
  .exec(({ jc }) => ({ state: 'parse', jc }))
  .state('parse', { concurrency: 10 })
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc }))
  .terminal('done')
  .build();
