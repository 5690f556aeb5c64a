// The retry policy as a plain function: what the engine does after an exec threw.
import { describe, expect, it } from 'vitest';
import type { RetryOptions } from '../src/index.js';
import { workflow } from '../src/index.js';
import { decideRetry, type RetryDecision } from '../src/policies/retry.js';
import { FakeClock, runWithFakeClock } from '../src/testing/index.js';

const boom = new Error('boom');
const exact = { initialMs: 100, jitter: 'none' } as const;
const notTimeouts = (e: unknown) => !(e instanceof Error && e.message === 'boom');

describe('decideRetry', () => {
  it.each<[string, RetryOptions | undefined, number, RetryDecision]>([
    ['no retry policy: fail where it is', undefined, 1, { kind: 'fail' }],
    ['attempts left: retry after the backoff', { attempts: 3, backoff: exact }, 1, { kind: 'retry', inMs: 100 }],
    ['the second retry waits twice as long', { attempts: 3, backoff: exact }, 2, { kind: 'retry', inMs: 200 }],
    ['the wait is capped at maxMs', { attempts: 10, backoff: { ...exact, maxMs: 250 } }, 5, { kind: 'retry', inMs: 250 }],
    ['default backoff: 100 ms, then doubling', { attempts: 3, backoff: { jitter: 'none' } }, 2, { kind: 'retry', inMs: 200 }],
    ['attempts run out, no then: fail', { attempts: 3, backoff: exact }, 3, { kind: 'fail' }],
    ['attempts run out, then: go there', { attempts: 3, then: 'gave-up' }, 3, { kind: 'then', to: 'gave-up' }],
    ['one attempt means no retry', { attempts: 1, then: 'gave-up' }, 1, { kind: 'then', to: 'gave-up' }],
    ['retryOn rejects the error: then at once', { attempts: 5, retryOn: notTimeouts, then: 'gave-up' }, 1, { kind: 'then', to: 'gave-up' }],
    ['retryOn accepts the error: retry', { attempts: 5, retryOn: () => true, backoff: exact }, 1, { kind: 'retry', inMs: 100 }],
  ])('%s', (_, retry, attempt, decision) => {
    expect(decideRetry(retry, attempt, boom)).toEqual(decision);
  });

  it('draws full jitter from the random source: up to the exponential ceiling', () => {
    const retry: RetryOptions = { attempts: 5, backoff: { initialMs: 100 } };
    expect(decideRetry(retry, 3, boom, () => 0.5)).toEqual({ kind: 'retry', inMs: 200 });
    expect(decideRetry(retry, 3, boom, () => 0)).toEqual({ kind: 'retry', inMs: 0 });
    expect(decideRetry(retry, 3, boom, () => 0.999)).toEqual({ kind: 'retry', inMs: 399 });
  });

  it('does not ask retryOn when no attempt is left', () => {
    let asked = 0;
    decideRetry({ attempts: 2, retryOn: () => (asked++, true) }, 2, boom);
    expect(asked).toBe(0);
  });

  it('treats a retryOn that throws as "do not retry", and notes what it threw', () => {
    const retryOn = () => {
      throw new TypeError('e.code is undefined');
    };
    expect(decideRetry({ attempts: 3, retryOn }, 1, boom)).toEqual({ kind: 'fail', note: 'retry.retryOn threw e.code is undefined' });
    expect(decideRetry({ attempts: 3, retryOn, then: 'gave-up' }, 1, boom)).toEqual({ kind: 'then', to: 'gave-up', note: 'retry.retryOn threw e.code is undefined' });
  });
});

describe('a retryOn that throws, in a run', () => {
  it('fails the job with both errors recorded instead of stopping the engine', async () => {
    const wf = workflow<object, object, { n: number }>('buggy')
      .state('call', {
        retry: {
          attempts: 3,
          retryOn: (e) => {
            if ((e as { code?: string }).code === undefined) throw new Error('no code');
            return true;
          },
        },
      })
      .to('done')
      .exec(() => {
        throw new Error('503');
      })
      .terminal('done')
      .build();
    const run = wf.newRun('r', {}).add({ n: 0 }, 'call');
    const { result } = await runWithFakeClock(wf, {}, run, { clock: new FakeClock() });
    expect(result).toEqual({ outcome: 'complete', transitions: 1, failed: 1 });
    expect(run.jobs.get('0')).toMatchObject({ state: 'call', failed: true, errors: { call: ['503 (retry.retryOn threw no code)'] } });
  });
});
