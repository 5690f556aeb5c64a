// RateLimitError: flow control, not failure — the job is re-queued, the state pauses, nothing is recorded.
import { describe, expect, it } from 'vitest';
import { findRateLimitError, isRateLimitError, RateLimitError, workflow } from '../src/index.js';
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

  it('is recognised through a cause chain', async () => {
    const clock = new FakeClock();
    let limited = true;
    const wf = workflow<object, object, JC>('wrapped')
      .state('call', { retry: { attempts: 1 } })
      .to('done')
      .exec(({ jc }) => {
        if (!limited) return { state: 'done', jc };
        limited = false;
        throw new Error('request failed', { cause: new RateLimitError('slow down', { retryAfterMs: 250 }) });
      })
      .terminal('done')
      .build();
    const run = wf.newRun('r', {}).add({ n: 0 }, 'call');
    const { result, elapsedMs } = await runWithFakeClock(wf, {}, run, { clock });
    expect(result).toEqual({ outcome: 'complete', transitions: 1, failed: 0 });
    expect(elapsedMs).toBe(250);
    expect(run.jobs.get('0')?.errors).toEqual({});
  });
});

describe('isRateLimitError', () => {
  it('is a type guard: true for a RateLimitError itself, false for anything else', () => {
    const error: unknown = new RateLimitError('slow down', { retryAfterMs: 1000 });
    expect(isRateLimitError(error)).toBe(true);
    if (isRateLimitError(error)) expect(error.retryAfterMs).toBe(1000);
    expect(isRateLimitError(new Error('request failed', { cause: error }))).toBe(false);
    expect(isRateLimitError(new Error('nope'))).toBe(false);
    expect(isRateLimitError({ name: 'RateLimitError' })).toBe(false);
    expect(isRateLimitError(undefined)).toBe(false);
    expect(new RateLimitError('x', { retryAfterMs: -3 }).retryAfterMs).toBeUndefined();
  });
});

describe('findRateLimitError', () => {
  const inner = new RateLimitError('slow down', { retryAfterMs: 1000 });
  const first = new RateLimitError('first');
  const cyclic = new Error('loops');
  (cyclic as { cause?: unknown }).cause = new Error('back', { cause: cyclic });
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();

  it.each<[string, unknown, RateLimitError | undefined]>([
    ['the error itself', inner, inner],
    ['a cause chain', new Error('request failed', { cause: new Error('http error', { cause: inner }) }), inner],
    ['an AggregateError', new AggregateError([new Error('503'), inner]), inner],
    ['an AggregateError in a cause', new Error('all mirrors failed', { cause: new AggregateError([new Error('503'), new Error('x', { cause: inner })]) }), inner],
    ['the first, in order', new AggregateError([new Error('503', { cause: first }), inner]), first],
    ['none', new Error('nope'), undefined],
    ['a cycle with none', cyclic, undefined],
    ['an AggregateError holding undefined and null', new AggregateError([undefined, null, inner]), inner],
    ['a string', 'rate limited', undefined],
    ['undefined', undefined, undefined],
    ['a revoked proxy', revoked.proxy, undefined],
  ])('%s', (_, error, expected) => {
    expect(findRateLimitError(error)).toBe(expected);
  });
});
