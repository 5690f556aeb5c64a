// RateLimitError: flow control, not failure — the job is re-queued, the state pauses, nothing is recorded.
import { describe, expect, it } from 'vitest';
import { isRateLimitError, RateLimitError, workflow } from '../src/index.js';
import { FakeClock, runWithFakeClock } from '../src/testing/index.js';

type JC = { n: number };

describe('RateLimitError', () => {
  it('re-queues the job, pauses the state for retryAfterMs, records nothing and spends no retry', async () => {
    const clock = new FakeClock();
    const calls: string[] = [];
    let limited = 2;
    const wf = workflow<object, object, JC>('limited')
      .state('call', { concurrency: 1, retry: { attempts: 1 } })
      .to('done')
      .exec(({ jc, job }) => {
        calls.push(`${job.id}@${clock.now()}`);
        if (limited-- > 0) throw new RateLimitError('429 Too Many Requests', { retryAfterMs: 500 });
        return { state: 'done', jc };
      })
      .terminal('done')
      .build();
    const run = wf.newRun('r', {}).add({ n: 0 }, 'call').add({ n: 1 }, 'call');
    const { result } = await runWithFakeClock(wf, {}, run, { clock });
    expect(result).toEqual({ outcome: 'complete', transitions: 2, failed: 0 });
    // Job 0 stays at the front of the queue; the whole state waits out each pause.
    expect(calls).toEqual(['0@0', '0@500', '0@1000', '1@1000']);
    expect(run.jobs.get('0')?.errors).toEqual({});
  });

  it('is recognised through a cause chain', () => {
    const inner = new RateLimitError('slow down', { retryAfterMs: 1000 });
    const wrapped = new Error('request failed', { cause: new Error('http error', { cause: inner }) });
    expect(isRateLimitError(wrapped)).toBe(inner);
    expect(isRateLimitError(new Error('nope'))).toBeUndefined();
    expect(new RateLimitError('x', { retryAfterMs: -3 }).retryAfterMs).toBeUndefined();
  });
});
