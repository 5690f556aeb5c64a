// A small workflow drawn by progressBars() on process.stdout, run as a child process by the terminal
// tests: under `script` (a pseudo-terminal) on the real clock, or on a pipe with a fake clock so
// that its lines are the same bytes every run.
//   node --import tsx test/support/pty-workflow.ts [--fake] [--quiet] [--no-ledger] [--jobs N] [--ms N] [--fail N] [--interval N]
// On the fake clock the ledger reads an event-loop delay of 0, so that its verdicts do not depend
// on how busy the machine is.
import { parseArgs } from 'node:util';
import { Processor, workflow } from '../../src/index.js';
import { progressBars } from '../../src/status/progress-bars.js';
import { FakeClock } from '../../src/testing/index.js';

const { values } = parseArgs({
  options: {
    fake: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    'no-ledger': { type: 'boolean', default: false },
    jobs: { type: 'string', default: '60' },
    ms: { type: 'string', default: '20' },
    fail: { type: 'string', default: '0' },
    interval: { type: 'string', default: '1000' },
  },
});
const jobs = Number(values.jobs);
const ms = Number(values.ms);
/** Every `fail`-th job fails in check (0: none). */
const failEvery = Number(values.fail);
const clock = values.fake ? new FakeClock() : undefined;
const sleep = (wait: number) => new Promise<void>((resolve) => (clock ? clock.setTimeout(resolve, wait) : setTimeout(resolve, wait)));

const wf = workflow<object, object, { n: number }>('pty')
  .state('fetch', { concurrency: 4 })
  .to('check')
  .exec(async ({ jc }) => {
    await sleep(ms);
    return { state: 'check', jc };
  })
  .state('check', { concurrency: 2 })
  .to('done', 'rejected')
  .exec(async ({ jc }) => {
    await sleep(ms);
    return failEvery > 0 && jc.n % failEvery === 0 ? { state: 'rejected', jc, error: `job ${jc.n} rejected` } : { state: 'done', jc };
  })
  .terminal('done', 'rejected')
  .build();

const status = progressBars({ stream: process.stdout, intervalMs: Number(values.interval), quiet: values.quiet, ...(clock ? { clock } : {}) });
const run = wf.newRun('pty', {});
for (let n = 1; n <= jobs; n++) run.add({ n }, 'fetch');
const ledger = values['no-ledger'] ? false : clock ? { eventLoopDelay: () => 0 } : true;
const processor = new Processor(wf, {}, { status, ledger, ...(clock ? { clock } : {}) });
const done = processor.exec(run);
if (clock) await clock.runAll(3_600_000);
status.done(await done);
