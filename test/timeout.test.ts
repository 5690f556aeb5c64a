// Timeouts: per attempt, on a fake clock.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Processor, workflow } from '../src/index.js';
import { sleep } from './support/sleep.js';

type JC = { ms: number };

function slowWorkflow(seen: { aborted: unknown[] }) {
  return workflow<object, object, JC>('slow')
    .state('fetch', { concurrency: 2, timeout: { ms: 100, failState: 'fetch-failed' } })
    .to('done', 'fetch-failed')
    .exec(async ({ jc, signal }) => {
      try {
        await sleep(jc.ms, signal);
      } catch (error) {
        seen.aborted.push(error);
        throw error;
      }
      return { state: 'done', jc };
    })
    .terminal('done', 'fetch-failed')
    .build();
}

describe('a state timeout', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('aborts the attempt, records "timed out after <ms>ms" and routes to the fail state', async () => {
    const seen = { aborted: [] as unknown[] };
    const wf = slowWorkflow(seen);
    const run = wf.newRun('r', {}).add({ ms: 50 }, 'fetch').add({ ms: 500 }, 'fetch');
    const result = new Processor(wf, {}).exec(run);
    await vi.advanceTimersByTimeAsync(100);
    expect(await result).toEqual({ outcome: 'complete', transitions: 2, failed: 0 });
    expect(run.jobs.get('0')).toMatchObject({ state: 'done', errors: {} });
    expect(run.jobs.get('1')).toMatchObject({ state: 'fetch-failed', errors: { fetch: ['timed out after 100ms'] } });
    expect(seen.aborted).toHaveLength(1);
  });

  it('gives every attempt a fresh window', async () => {
    let attempts = 0;
    const wf = workflow<object, object, JC>('loop')
      .state('poll', { timeout: { ms: 100, failState: 'gave-up' } })
      .to('poll', 'ready', 'gave-up')
      .exec(async ({ jc, signal }) => {
        attempts++;
        await sleep(80, signal);
        return { state: attempts < 5 ? 'poll' : 'ready', jc };
      })
      .terminal('ready', 'gave-up')
      .build();
    const run = wf.newRun('r', {}).add({ ms: 0 }, 'poll');
    const result = new Processor(wf, {}).exec(run);
    await vi.advanceTimersByTimeAsync(400);
    await result;
    expect(run.jobs.get('0')?.state).toBe('ready');
  });

  it('an outer abort during a timed attempt is a shutdown, not a timeout', async () => {
    const seen = { aborted: [] as unknown[] };
    const wf = slowWorkflow(seen);
    const run = wf.newRun('r', {}).add({ ms: 500 }, 'fetch');
    const controller = new AbortController();
    const result = new Processor(wf, {}).exec(run, { signal: controller.signal });
    await vi.advanceTimersByTimeAsync(60);
    controller.abort(new Error('shutting down'));
    expect(await result).toEqual({ outcome: 'aborted', transitions: 0, failed: 0 });
    expect(run.jobs.get('0')).toMatchObject({ state: 'fetch', errors: {} });
    expect(run.jobs.get('0')?.failed).toBeUndefined();
    expect(seen.aborted).toEqual([new Error('shutting down')]);
    await vi.advanceTimersByTimeAsync(1000); // the timeout timer must not fire afterwards
    expect(run.jobs.get('0')).toMatchObject({ state: 'fetch', errors: {} });
  });

  it('a timed-out exec that ignores its signal keeps its slot until it settles, but the job moves on', async () => {
    let running = 0;
    let peak = 0;
    const wf = workflow<object, object, JC>('stubborn')
      .state('work', { concurrency: 1, timeout: { ms: 100, failState: 'failed' } })
      .to('done', 'failed')
      .exec(async ({ jc }) => {
        running++;
        peak = Math.max(peak, running);
        await sleep(jc.ms); // ignores the signal
        running--;
        return { state: 'done', jc };
      })
      .terminal('done', 'failed')
      .build();
    const run = wf.newRun('r', {}).add({ ms: 300 }, 'work').add({ ms: 10 }, 'work');
    const result = new Processor(wf, {}).exec(run);
    await vi.advanceTimersByTimeAsync(100);
    expect(run.jobs.get('0')?.state).toBe('failed');
    expect(run.jobs.get('1')?.state).toBe('work'); // still waiting for the slot
    await vi.advanceTimersByTimeAsync(210);
    await result;
    expect(run.jobs.get('1')?.state).toBe('done');
    expect(peak).toBe(1);
  });
});

describe('timeout retries', () => {
  it('gives `retries` fresh attempts, recording each timeout, before the fail state', async () => {
    const { FakeClock, runWithFakeClock } = await import('../src/testing/index.js');
    const { clockSleep } = await import('./support/clock-sleep.js');
    const clock = new FakeClock();
    const started: number[] = [];
    const wf = workflow<object, object, JC>('patient')
      .state('fetch', { timeout: { ms: 100, failState: 'gave-up', retries: 2 } })
      .to('done', 'gave-up')
      .exec(async ({ jc, signal }) => {
        started.push(clock.now());
        await clockSleep(clock, jc.ms, signal);
        return { state: 'done', jc };
      })
      .terminal('done', 'gave-up')
      .build();
    const run = wf.newRun('r', {}).add({ ms: 1000 }, 'fetch');
    const { elapsedMs } = await runWithFakeClock(wf, {}, run, { clock });
    expect(started).toEqual([0, 100, 200]);
    expect(elapsedMs).toBe(300);
    expect(run.jobs.get('0')).toMatchObject({ state: 'gave-up', errors: { fetch: ['timed out after 100ms', 'timed out after 100ms', 'timed out after 100ms'] } });
  });
});
