// Every attempt that took a rate limiter's permit ends in exactly one of its three callbacks:
// onSuccess, onRateLimited or onFailure, so a limiter can count the calls it has in flight.
import { describe, expect, it } from 'vitest';
import { Processor, RateLimitError, workflow, type RateLimiter } from '../src/index.js';
import { FakeClock } from '../src/testing/index.js';

function countingLimiter() {
  const told = { acquired: 0, success: 0, rateLimited: 0, failure: 0 };
  const limiter: RateLimiter = {
    tryAcquire: () => (told.acquired++, 0),
    onSuccess: () => void told.success++,
    onRateLimited: () => (told.rateLimited++, 0),
    onFailure: () => void told.failure++,
    current: () => 100,
  };
  return { limiter, told };
}

describe('a rate limiter told how each attempt ended', () => {
  it('hears of a success, a rate limit, a throw and a timeout once each, and nothing is left in flight', async () => {
    const clock = new FakeClock();
    const { limiter, told } = countingLimiter();
    const seen = new Set<string>();
    const wf = workflow<object, object, { n: number }>('told')
      .state('call', { concurrency: 4, rateLimit: limiter, timeout: { ms: 100, failState: 'failed' } })
      .to('done', 'failed')
      .exec(async ({ jc, job, signal }) => {
        const first = !seen.has(job.id);
        seen.add(job.id);
        if (jc.n === 1 && first) throw new RateLimitError('429');
        if (jc.n === 2) throw new Error('boom');
        if (jc.n === 3) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
        return { state: 'done', jc };
      })
      .terminal('done')
      .terminal('failed')
      .build();
    const run = wf.newRun('r', {});
    for (let n = 0; n < 4; n++) run.add({ n }, 'call');
    const done = new Processor(wf, {}, { clock }).exec(run);
    await clock.runAll();
    const result = await done;
    expect(result.outcome).toBe('complete');
    const where = [...run.jobs.values()].map((job) => `${job.state}${job.failed ? ' (failed)' : ''}`).sort();
    expect(where).toEqual(['call (failed)', 'done', 'done', 'failed']); // the throw failed in place, the timeout went to 'failed'
    expect(told).toEqual({ acquired: 5, success: 2, rateLimited: 1, failure: 2 });
    expect(told.acquired).toBe(told.success + told.rateLimited + told.failure);
  });

  it('hears of attempts a shutdown aborted as failures', async () => {
    const clock = new FakeClock();
    const { limiter, told } = countingLimiter();
    const wf = workflow<object, object, { n: number }>('aborted')
      .state('call', { concurrency: 2, rateLimit: limiter })
      .to('done')
      .exec(({ signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('stopped', { cause: signal.reason })))))
      .terminal('done')
      .build();
    const run = wf.newRun('r', {}).add({ n: 0 }, 'call').add({ n: 1 }, 'call');
    const controller = new AbortController();
    const done = new Processor(wf, {}, { clock }).exec(run, { signal: controller.signal });
    await clock.advance(10);
    controller.abort();
    await clock.runAll();
    expect((await done).outcome).not.toBe('complete');
    expect(told).toEqual({ acquired: 2, success: 0, rateLimited: 0, failure: 2 });
  });
});
