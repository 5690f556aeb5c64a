// The order policies wrap an exec: retry (outermost) → rate limit → timeout → hedge → exec.
import { describe, expect, it } from 'vitest';
import { fixedRate, workflow } from '../src/index.js';
import { FakeClock, runWithFakeClock } from '../src/testing/index.js';
import { clockSleep } from './support/clock-sleep.js';

type JC = { n: number };

describe('policy order', () => {
  it('rate limit outside timeout: waiting for a permit does not use up the timeout window', async () => {
    const clock = new FakeClock();
    const started: number[] = [];
    const wf = workflow<object, object, JC>('paced')
      .state('call', { concurrency: 3, rateLimit: fixedRate(1), timeout: { ms: 100, failState: 'timed-out' } })
      .to('done', 'timed-out')
      .exec(async ({ jc, signal }) => {
        started.push(clock.now());
        await clockSleep(clock, 50, signal);
        return { state: 'done', jc };
      })
      .terminal('done', 'timed-out')
      .build();
    const run = wf.newRun('r', {}).add({ n: 0 }, 'call').add({ n: 1 }, 'call').add({ n: 2 }, 'call');
    const { elapsedMs } = await runWithFakeClock(wf, {}, run, { clock });
    expect(started).toEqual([0, 1000, 2000]); // one permit a second
    expect([...run.jobs.values()].map((j) => j.state)).toEqual(['done', 'done', 'done']); // none timed out
    expect(elapsedMs).toBe(2050);
  });

  it('timeout outside hedge: one window covers all the hedges of an attempt', async () => {
    const clock = new FakeClock();
    const started: number[] = [];
    const wf = workflow<object, object, JC>('hedged')
      .state('call', { timeout: { ms: 150, failState: 'timed-out' }, hedge: { afterMs: 100, max: 2 } })
      .to('done', 'timed-out')
      .exec(async ({ jc, signal }) => {
        started.push(clock.now());
        await clockSleep(clock, 1000, signal);
        return { state: 'done', jc };
      })
      .terminal('done', 'timed-out')
      .build();
    const run = wf.newRun('r', {}).add({ n: 0 }, 'call');
    const { elapsedMs } = await runWithFakeClock(wf, {}, run, { clock });
    expect(started).toEqual([0, 100]);
    expect(elapsedMs).toBe(150); // not 250: the hedge got no window of its own
    expect(run.jobs.get('0')).toMatchObject({ state: 'timed-out', errors: { call: ['timed out after 150ms'] } });
  });

  it('retry outside rate limit: each retry waits for a permit of its own', async () => {
    const clock = new FakeClock();
    const started: number[] = [];
    const wf = workflow<object, object, JC>('retried')
      .state('call', { rateLimit: fixedRate(1), retry: { attempts: 3, backoff: { initialMs: 10, jitter: 'none' } } })
      .to('done')
      .exec(({ jc, job }) => {
        started.push(clock.now());
        if ((job.errors['call']?.length ?? 0) < 2) throw new Error('flaky');
        return { state: 'done', jc };
      })
      .terminal('done')
      .build();
    const run = wf.newRun('r', {}).add({ n: 0 }, 'call');
    await runWithFakeClock(wf, {}, run, { clock });
    expect(started).toEqual([0, 1000, 2000]); // the 10 and 20 ms backoffs end before the next permit
    expect(run.jobs.get('0')?.state).toBe('done');
  });

  it('retry outside timeout: a timeout with retries left is a fresh attempt, then the fail state', async () => {
    const clock = new FakeClock();
    const started: number[] = [];
    const wf = workflow<object, object, JC>('slow')
      .state('call', { timeout: { ms: 100, failState: 'timed-out', retries: 1 }, retry: { attempts: 5 } })
      .to('done', 'timed-out')
      .exec(async ({ jc, signal }) => {
        started.push(clock.now());
        await clockSleep(clock, 1000, signal);
        return { state: 'done', jc };
      })
      .terminal('done', 'timed-out')
      .build();
    const run = wf.newRun('r', {}).add({ n: 0 }, 'call');
    await runWithFakeClock(wf, {}, run, { clock });
    // Timeouts are governed by timeout.retries, not by the retry policy for thrown errors.
    expect(started).toEqual([0, 100]);
    expect(run.jobs.get('0')?.state).toBe('timed-out');
  });
});
