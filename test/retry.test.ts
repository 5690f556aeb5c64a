// Retry policy: thrown errors retried with backoff, each recorded; then-state or failed when they run out.
import { describe, expect, it } from 'vitest';
import { workflow } from '../src/index.js';
import { FakeClock, runWithFakeClock } from '../src/testing/index.js';
import { clockSleep } from './support/clock-sleep.js';

type JC = { failures: number; tries?: number };

function flaky(options: { attempts: number; then?: 'gave-up'; jitter?: 'full' | 'none'; retryOn?: (e: unknown) => boolean }, seen: number[], clock: FakeClock) {
  const retry = { attempts: options.attempts, backoff: { initialMs: 100, jitter: options.jitter ?? 'none' }, ...(options.retryOn ? { retryOn: options.retryOn } : {}) };
  return workflow<object, object, JC>('flaky')
    .state('call', { concurrency: 1, retry: options.then ? { ...retry, then: options.then } : retry })
    .to('done', 'gave-up')
    .exec(({ jc, job }) => {
      seen.push(clock.now());
      const tries = (jc.tries ?? 0) + 1;
      if ((job.errors['call']?.length ?? 0) < jc.failures) throw new Error(`failure ${tries}`);
      return { state: 'done', jc: { ...jc, tries } };
    })
    .terminal('done', 'gave-up')
    .build();
}

describe('retry', () => {
  it('retries a thrown error with exponential backoff, recording each error', async () => {
    const clock = new FakeClock();
    const seen: number[] = [];
    const wf = flaky({ attempts: 4 }, seen, clock);
    const run = wf.newRun('r', {}).add({ failures: 3 }, 'call');
    const { result, elapsedMs } = await runWithFakeClock(wf, {}, run, { clock });
    expect(result).toEqual({ outcome: 'complete', transitions: 4, failed: 0 });
    expect(seen).toEqual([0, 100, 300, 700]); // waits of 100, 200, 400 ms
    expect(elapsedMs).toBe(700);
    expect(run.jobs.get('0')).toMatchObject({ state: 'done', errors: { call: ['failure 1', 'failure 1', 'failure 1'] } });
  });

  it('sends the job to `then` when attempts run out, with every error recorded', async () => {
    const clock = new FakeClock();
    const wf = flaky({ attempts: 3, then: 'gave-up' }, [], clock);
    const run = wf.newRun('r', {}).add({ failures: 10 }, 'call');
    const { result } = await runWithFakeClock(wf, {}, run, { clock });
    expect(result).toEqual({ outcome: 'complete', transitions: 3, failed: 0 });
    expect(run.jobs.get('0')).toMatchObject({ state: 'gave-up', errors: { call: ['failure 1', 'failure 1', 'failure 1'] } });
  });

  it('leaves the job failed where it is when attempts run out and there is no `then`', async () => {
    const clock = new FakeClock();
    const wf = flaky({ attempts: 2 }, [], clock);
    const run = wf.newRun('r', {}).add({ failures: 10 }, 'call');
    const { result } = await runWithFakeClock(wf, {}, run, { clock });
    expect(result.failed).toBe(1);
    expect(run.jobs.get('0')).toMatchObject({ state: 'call', failed: true, errors: { call: ['failure 1', 'failure 1'] } });
  });

  it('does not retry errors retryOn rejects', async () => {
    const clock = new FakeClock();
    const seen: number[] = [];
    const wf = flaky({ attempts: 5, then: 'gave-up', retryOn: (e) => !(e instanceof Error && e.message.startsWith('failure')) }, seen, clock);
    const run = wf.newRun('r', {}).add({ failures: 10 }, 'call');
    await runWithFakeClock(wf, {}, run, { clock });
    expect(seen).toEqual([0]);
    expect(run.jobs.get('0')?.state).toBe('gave-up');
  });

  it('with full jitter waits floor(random() × the exponential ceiling): exact waits from a seeded random', async () => {
    const clock = new FakeClock();
    const seen: number[] = [];
    const wf = flaky({ attempts: 4, jitter: 'full' }, seen, clock);
    const run = wf.newRun('r', {}).add({ failures: 3 }, 'call');
    const draws = [0.5, 0.25, 0.999];
    const random = () => draws.shift() ?? 0;
    const { elapsedMs } = await runWithFakeClock(wf, {}, run, { clock, random });
    const waits = seen.slice(1).map((t, i) => t - (seen[i] ?? 0));
    // Ceilings 100, 200, 400 ms: floor(0.5 × 100), floor(0.25 × 200), floor(0.999 × 400).
    expect(waits).toEqual([50, 50, 399]);
    expect(elapsedMs).toBe(499);
  });

  it('waits without holding a concurrency slot: other jobs run during the backoff', async () => {
    const clock = new FakeClock();
    const order: string[] = [];
    const wf = workflow<object, object, { id: string; fail: boolean }>('slots')
      .state('call', { concurrency: 1, retry: { attempts: 2, backoff: { initialMs: 1000, jitter: 'none' } } })
      .to('done')
      .exec(async ({ jc, job }) => {
        order.push(`${jc.id}@${clock.now()}`);
        await clockSleep(clock, 10);
        if (jc.fail && !job.errors['call']) throw new Error('once');
        return { state: 'done', jc };
      })
      .terminal('done')
      .build();
    const run = wf.newRun('r', {}).add({ id: 'a', fail: true }, 'call').add({ id: 'b', fail: false }, 'call').add({ id: 'c', fail: false }, 'call');
    await runWithFakeClock(wf, {}, run, { clock });
    expect(order).toEqual(['a@0', 'b@10', 'c@20', 'a@1010']);
  });

  it("tells each exec which attempt of the visit it is: 1, 2, 3 through the retries, 1 again on the next visit", async () => {
    const attempts: [number, number][] = [];
    const wf = workflow<object, object, { visit: number }>('attempts')
      .state('call', { retry: { attempts: 3, backoff: { initialMs: 0 } } })
      .to('call', 'done')
      .exec(({ jc, attempt }) => {
        attempts.push([jc.visit, attempt]);
        if (attempt < 3) throw new Error('not yet');
        return jc.visit < 2 ? { state: 'call', jc: { visit: jc.visit + 1 } } : { state: 'done', jc };
      })
      .terminal('done')
      .build();
    await runWithFakeClock(wf, {}, wf.newRun('r', {}).add({ visit: 1 }, 'call'));
    expect(attempts).toEqual([[1, 1], [1, 2], [1, 3], [2, 1], [2, 2], [2, 3]]);
  });

  it('keeps the last 20 errors per state of a job that fails again and again (a poll); the count goes on', async () => {
    const wf = workflow<object, object, { polls: number }>('poll')
      .state('poll')
      .to('poll', 'done')
      .exec(({ jc }) => (jc.polls < 100 ? { state: 'poll', jc: { polls: jc.polls + 1 }, error: `not ready (poll ${jc.polls + 1})` } : { state: 'done', jc }))
      .terminal('done')
      .build();
    const run = wf.newRun('r', {}).add({ polls: 0 }, 'poll');
    await runWithFakeClock(wf, {}, run);
    const errors = run.jobs.get('0')?.errors['poll'] ?? [];
    expect(errors).toHaveLength(20);
    expect(errors[0]).toBe('not ready (poll 81)');
    expect(errors.at(-1)).toBe('not ready (poll 100)');
  });
});
