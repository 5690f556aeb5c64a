// A state waiting for its rate limiter is woken when the limiter's wait ends, also when the wait
// got shorter after the wake-up was armed (a limiter that unblocks early, on a success).
import { describe, expect, it } from 'vitest';
import { Processor, workflow, type RateLimiter } from '../src/index.js';
import { FakeClock } from '../src/testing/index.js';

describe('waiting for a rate limiter', () => {
  it('starts the next attempt when a shorter wait ends, not at the longer one armed before', async () => {
    const clock = new FakeClock();
    let calls = 0;
    let blockedUntil = 0;
    // Grants the first permit, then blocks for 4 s; a success shortens the block to 10 ms.
    const limiter: RateLimiter = {
      tryAcquire: () => {
        if (calls++ === 0) return 0;
        if (blockedUntil === 0) blockedUntil = clock.now() + 4_000;
        return Math.max(0, blockedUntil - clock.now());
      },
      onSuccess: () => {
        blockedUntil = Math.min(blockedUntil, clock.now() + 10);
      },
      onRateLimited: () => undefined,
      current: () => 1,
    };
    const started: Record<string, number> = {};
    const wf = workflow<object, object, { n: number }>('limited')
      .state('call', { concurrency: 2, rateLimit: limiter })
      .to('done')
      .exec(async ({ jc, job }) => {
        started[job.id] = clock.now();
        await new Promise<void>((resolve) => clock.setTimeout(() => resolve(), 50));
        return { state: 'done', jc };
      })
      .terminal('done')
      .build();
    const run = wf.newRun('r', {}).add({ n: 0 }, 'call').add({ n: 1 }, 'call');
    const done = new Processor(wf, {}, { clock }).exec(run);
    await clock.runAll();
    expect((await done).outcome).toBe('complete');
    // 0 at once; 1 waits: blocked until 4,000, shortened to 60 by 0's success at 50.
    expect(started).toEqual({ '0': 0, '1': 60 });
  });
});
