// aimd(), the learning limiter (issue #21), blocked by a window that ran out goes on as soon as a probe
// succeeds: no poll of its own, since the engine pumps the state when the probe's attempt ends and
// brings its wake-up forward when the limiter's wait got shorter. Fake clock, deterministic.
import { describe, expect, it } from 'vitest';
import { aimd, Processor, RateLimitError, workflow } from '../src/index.js';
import { FakeClock } from '../src/testing/index.js';

describe('the learner blocked by a fixed window', () => {
  it('starts the next call soon after the probe that found the window open, not a probe gap later', async () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    const limiter = aimd({ initial: 50, clock });
    const quota = 20;
    let window = -1;
    let served = 0;
    const starts: { at: number; ok: boolean }[] = [];
    const wf = workflow<object, object, { n: number }>('windowed')
      .state('call', { concurrency: 4, rateLimit: limiter })
      .to('done')
      .exec(async ({ jc }) => {
        await new Promise<void>((resolve) => clock.setTimeout(resolve, 2));
        const now = clock.now() - t0;
        const w = Math.floor(now / 1000);
        if (w !== window) {
          window = w;
          served = 0;
        }
        const ok = served < quota;
        starts.push({ at: now, ok });
        if (!ok) throw new RateLimitError('429');
        served++;
        return { state: 'done', jc };
      })
      .terminal('done')
      .build();
    const run = wf.newRun('r', {});
    for (let n = 0; n < 60; n++) run.add({ n }, 'call');
    const controller = new AbortController();
    clock.setTimeout(() => controller.abort(), 2500);
    const done = new Processor(wf, {}, { clock }).exec(run, { signal: controller.signal });
    await clock.runAll();
    await done;
    // the first window ran out and the learner blocked; the first call of the next window is a probe
    const second = starts.filter((s) => s.at >= 1000);
    const probe = second.findIndex((s) => s.ok);
    expect(probe).toBeGreaterThanOrEqual(0);
    const gaps = second.slice(probe, probe + 4).map((s, i, xs) => (i === 0 ? 0 : s.at - (xs[i - 1] as { at: number }).at));
    // paced at the rate learned (about 19 a second), not held for the probe gap (up to 250 ms)
    expect(Math.max(...gaps)).toBeLessThanOrEqual(60);
    expect(limiter.snapshot().phase).not.toBe('blocked');
  });
});
