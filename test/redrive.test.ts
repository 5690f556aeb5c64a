// redrive(run, { from, to, whereError }): which jobs move, and what their history says.
import { describe, expect, it } from 'vitest';
import { redrive, workflow } from '../src/index.js';
import { runWithFakeClock } from '../src/testing/index.js';

type JC = { n: number };
const wf = workflow<object, object, JC>('calls')
  .state('fetch', { timeout: { ms: 100, failState: 'fetch-failed' }, retry: { attempts: 1, then: 'fetch-failed' } })
  .to('done', 'fetch-failed')
  .exec(async ({ jc, signal }) => {
    if (jc.n % 3 === 0) await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
    if (jc.n % 3 === 1) throw new Error(`HTTP ${jc.n % 2 === 0 ? 503 : 404}`);
    return { state: 'done', jc };
  })
  .terminal('done', 'fetch-failed')
  .build();

describe('redrive', () => {
  it('whereError matches the errors that brought a job into `from`, recorded under the state it came from', async () => {
    const run = wf.newRun('r', {});
    for (let n = 0; n < 9; n++) run.add({ n }, 'fetch');
    await runWithFakeClock(wf, {}, run);
    expect([...run.jobs.values()].filter((j) => j.state === 'fetch-failed').map((j) => j.id)).toEqual(['0', '1', '3', '4', '6', '7']);
    expect(redrive(run, { from: 'fetch-failed', to: 'fetch', whereError: /timed out/ })).toEqual(['0', '3', '6']);
    expect(redrive(run, { from: 'fetch-failed', to: 'fetch', whereError: /HTTP 5\d\d/ })).toEqual(['4']);
    expect(run.jobs.get('4')?.history.at(-1)).toMatchObject({ state: 'fetch', note: 'redrive from fetch-failed' });
    expect(redrive(run, { from: 'fetch-failed', to: 'fetch', whereError: /HTTP 5\d\d/ })).toEqual([]);
  });
});
