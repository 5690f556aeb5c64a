// Hedging: a slow attempt gets a second one; the first to return wins, the others are aborted.
import { describe, expect, it } from 'vitest';
import { workflow } from '../src/index.js';
import { FakeClock, runWithFakeClock } from '../src/testing/index.js';
import { clockSleep } from './support/clock-sleep.js';

type JC = { answer?: number };

function hedged(clock: FakeClock, durations: number[], log: string[], failFirst = false) {
  let calls = 0;
  return workflow<object, object, JC>('hedged')
    .state('lookup', { hedge: { afterMs: 100, max: 3 } })
    .to('done')
    .exec(async ({ jc, signal }) => {
      const call = calls++;
      log.push(`start ${call}@${clock.now()}`);
      try {
        if (failFirst && call === 0) throw new Error('first failed fast');
        await clockSleep(clock, durations[call] ?? 0, signal);
      } catch (error) {
        log.push(`abort ${call}@${clock.now()}`);
        throw error;
      }
      log.push(`end ${call}@${clock.now()}`);
      return { state: 'done', jc: { ...jc, answer: call } };
    })
    .terminal('done')
    .build();
}

describe('hedge', () => {
  it('starts another attempt after afterMs; the first to return wins and the rest are aborted', async () => {
    const clock = new FakeClock();
    const log: string[] = [];
    const wf = hedged(clock, [1000, 50, 1000], log);
    const run = wf.newRun('r', {}).add({}, 'lookup');
    const { result, elapsedMs } = await runWithFakeClock(wf, {}, run, { clock });
    expect(result).toEqual({ outcome: 'complete', transitions: 1, failed: 0 }); // one transition
    expect(log).toEqual(['start 0@0', 'start 1@100', 'end 1@150', 'abort 0@150']);
    expect(run.jobs.get('0')).toMatchObject({ state: 'done', jc: { answer: 1 }, errors: {} });
    expect(elapsedMs).toBe(150);
  });

  it('starts up to max attempts while none has returned', async () => {
    const clock = new FakeClock();
    const log: string[] = [];
    const wf = hedged(clock, [1000, 1000, 30], log);
    const run = wf.newRun('r', {}).add({}, 'lookup');
    await runWithFakeClock(wf, {}, run, { clock });
    expect(log).toEqual(['start 0@0', 'start 1@100', 'start 2@200', 'end 2@230', 'abort 0@230', 'abort 1@230']);
    expect(run.jobs.get('0')?.jc.answer).toBe(2);
  });

  it('does not hedge an attempt that failed fast: the error is the outcome', async () => {
    const clock = new FakeClock();
    const log: string[] = [];
    const wf = hedged(clock, [], log, true);
    const run = wf.newRun('r', {}).add({}, 'lookup');
    const { result } = await runWithFakeClock(wf, {}, run, { clock });
    expect(result.failed).toBe(1);
    expect(log).toEqual(['start 0@0', 'abort 0@0']);
    expect(run.jobs.get('0')?.errors).toEqual({ lookup: ['first failed fast'] });
  });
});
