// Long durations wait as long as they say: the global setTimeout fires anything above 2³¹ − 1 ms
// (about 24.8 days) after 1 ms, so a 30-day timeout used to fail its job in milliseconds.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fixedRate, Processor, RateLimitError, systemClock, workflow, type Clock } from '../src/index.js';
import { FakeClock, runWithFakeClock } from '../src/testing/index.js';
import { backoffDelay } from '../src/policies/backoff.js';
import { MAX_TIMER_MS } from '../src/model/clock.js';

const DAY = 24 * 3600_000;
const THIRTY_DAYS = 30 * DAY;
type JC = { n: number };

/** Resolves never, rejects when `signal` aborts: an exec that only a timeout (or a shutdown) ends. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }));
}

/** A workflow whose one exec waits for ever, with a 30-day timeout. */
function monthLongTimeout(exec: (signal: AbortSignal) => Promise<void> = untilAborted) {
  return workflow<object, object, JC>('month')
    .state('wait', { timeout: { ms: THIRTY_DAYS, failState: 'gave-up' } })
    .to('done', 'gave-up')
    .exec(async ({ jc, signal }) => {
      await exec(signal);
      return { state: 'done', jc };
    })
    .terminal('done', 'gave-up')
    .build();
}

describe('systemClock waits longer than one timer can', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires a 30-day wait once, at 30 days, as a chain of timers', () => {
    vi.useFakeTimers();
    const start = Date.now();
    const fired: number[] = [];
    systemClock.setTimeout(() => fired.push(Date.now() - start), THIRTY_DAYS);
    vi.advanceTimersByTime(500);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(MAX_TIMER_MS); // past the first timer of the chain
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(THIRTY_DAYS - MAX_TIMER_MS - 501);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([THIRTY_DAYS]);
    vi.advanceTimersByTime(10 * THIRTY_DAYS);
    expect(fired).toEqual([THIRTY_DAYS]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('fires a wait of many timers exactly, and one of exactly the longest timer as one', () => {
    vi.useFakeTimers();
    const start = Date.now();
    const fired: string[] = [];
    systemClock.setTimeout(() => fired.push(`year@${Date.now() - start}`), 365 * DAY);
    systemClock.setTimeout(() => fired.push(`max@${Date.now() - start}`), MAX_TIMER_MS);
    vi.advanceTimersByTime(400 * DAY);
    expect(fired).toEqual([`max@${MAX_TIMER_MS}`, `year@${365 * DAY}`]);
  });

  it('cancels a long wait before its first timer fires, and between two', () => {
    vi.useFakeTimers();
    const fired: string[] = [];
    const early = systemClock.setTimeout(() => fired.push('early'), THIRTY_DAYS);
    const late = systemClock.setTimeout(() => fired.push('late'), THIRTY_DAYS);
    systemClock.clearTimeout(early);
    vi.advanceTimersByTime(MAX_TIMER_MS + 1); // the chain of `late` is on its second timer
    systemClock.clearTimeout(late);
    vi.advanceTimersByTime(THIRTY_DAYS);
    expect(fired).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps short waits as they were: one timer, cleared by its handle', () => {
    vi.useFakeTimers();
    const fired: number[] = [];
    const handle = systemClock.setTimeout(() => fired.push(1), 10);
    systemClock.setTimeout(() => fired.push(2), 20);
    systemClock.clearTimeout(handle);
    vi.advanceTimersByTime(20);
    expect(fired).toEqual([2]);
  });

  it('never fires an infinite wait, and holds no timer for it', () => {
    vi.useFakeTimers();
    let fired = false;
    const handle = systemClock.setTimeout(() => (fired = true), Infinity);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(100 * THIRTY_DAYS);
    expect(fired).toBe(false);
    systemClock.clearTimeout(handle);
  });

  it('does not fire a real 30-day wait within 200 ms, nor warn of an overflow', async () => {
    const warnings: unknown[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    let fired = false;
    const handle = systemClock.setTimeout(() => (fired = true), THIRTY_DAYS);
    await new Promise((resolve) => setTimeout(resolve, 200));
    systemClock.clearTimeout(handle);
    process.off('warning', onWarning);
    expect(fired).toBe(false);
    expect(warnings).not.toContain('TimeoutOverflowWarning');
  });
});

describe('a 30-day timeout on the system clock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lets an attempt that takes 50 ms finish (it used to time out after ~1 ms)', async () => {
    const wf = monthLongTimeout(() => new Promise((resolve) => setTimeout(resolve, 50)));
    const run = wf.newRun('r', {}).add({ n: 0 }, 'wait');
    expect(await new Processor(wf, {}).exec(run)).toEqual({ outcome: 'complete', transitions: 1, failed: 0 });
    expect(run.jobs.get('0')).toMatchObject({ state: 'done', errors: {} });
  });

  it('times the attempt out at 30 days exactly, not before', async () => {
    vi.useFakeTimers();
    const wf = monthLongTimeout();
    const run = wf.newRun('r', {}).add({ n: 0 }, 'wait');
    const done = new Processor(wf, {}).exec(run);
    await vi.advanceTimersByTimeAsync(THIRTY_DAYS - 1);
    expect(run.jobs.get('0')?.state).toBe('wait');
    await vi.advanceTimersByTimeAsync(1);
    expect(await done).toEqual({ outcome: 'complete', transitions: 1, failed: 0 });
    expect(run.jobs.get('0')).toMatchObject({ state: 'gave-up', errors: { wait: [`timed out after ${THIRTY_DAYS}ms`] } });
  });
});

/** A state that throws on its first attempt and waits a month before its second. */
function retrying(clock: Clock, starts: number[], origin: () => number) {
  return workflow<object, object, JC>('retrying')
    .state('call', { retry: { attempts: 2, backoff: { initialMs: THIRTY_DAYS, jitter: 'none' } } })
    .to('done')
    .exec(({ jc }) => {
      starts.push(clock.now() - origin());
      if (starts.length === 1) throw new Error('503');
      return { state: 'done', jc };
    })
    .terminal('done')
    .build();
}

describe('every other duration a user gives waits as long', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a 30-day retry backoff, on the system clock', async () => {
    vi.useFakeTimers();
    const origin = Date.now();
    const starts: number[] = [];
    const wf = retrying(systemClock, starts, () => origin);
    const run = wf.newRun('r', {}).add({ n: 0 }, 'call');
    const done = new Processor(wf, {}).exec(run);
    await vi.advanceTimersByTimeAsync(THIRTY_DAYS);
    expect(await done).toMatchObject({ outcome: 'complete', failed: 0 });
    expect(starts).toEqual([0, THIRTY_DAYS]);
  });

  it('a 30-day retry backoff, on a FakeClock', async () => {
    const clock = new FakeClock();
    const starts: number[] = [];
    const wf = retrying(clock, starts, () => 0);
    const { elapsedMs } = await runWithFakeClock(wf, {}, wf.newRun('r', {}).add({ n: 0 }, 'call'), { clock, maxMs: 60 * DAY });
    expect(starts).toEqual([0, THIRTY_DAYS]);
    expect(elapsedMs).toBe(THIRTY_DAYS);
  });

  it('a backoff capped at a maxMs of 40 days', () => {
    const backoff = { initialMs: THIRTY_DAYS, maxMs: 40 * DAY, jitter: 'none' } as const;
    expect([1, 2, 3].map((attempt) => backoffDelay(attempt, backoff))).toEqual([THIRTY_DAYS, 40 * DAY, 40 * DAY]);
  });

  it('an initialMs above the default maxMs (30 s) is not cut to 30 s', () => {
    expect(backoffDelay(1, { initialMs: THIRTY_DAYS, jitter: 'none' })).toBe(THIRTY_DAYS);
    expect(backoffDelay(3, { initialMs: THIRTY_DAYS, jitter: 'none' })).toBe(THIRTY_DAYS); // the cap is then initialMs
    expect(backoffDelay(3, { initialMs: 100, jitter: 'none' })).toBe(400);
    expect(backoffDelay(20, { initialMs: 100, jitter: 'none' })).toBe(30_000);
  });

  it('an initialMs of 0 waits 0 ms, however far the multiplier grows', () => {
    expect(backoffDelay(2000, { initialMs: 0, multiplier: 10, jitter: 'none' })).toBe(0);
  });

  it('a 30-day hedge afterMs, on the system clock', async () => {
    vi.useFakeTimers();
    const origin = Date.now();
    const starts: number[] = [];
    const wf = workflow<object, object, JC>('hedged')
      .state('call', { hedge: { afterMs: THIRTY_DAYS, max: 2 } })
      .to('done')
      .exec(async ({ jc, signal }) => {
        starts.push(Date.now() - origin);
        if (starts.length === 1) await untilAborted(signal);
        return { state: 'done', jc };
      })
      .terminal('done')
      .build();
    const run = wf.newRun('r', {}).add({ n: 0 }, 'call');
    const done = new Processor(wf, {}).exec(run);
    await vi.advanceTimersByTimeAsync(THIRTY_DAYS);
    expect(await done).toEqual({ outcome: 'complete', transitions: 1, failed: 0 });
    expect(starts).toEqual([0, THIRTY_DAYS]);
  });

  it("a rate limit's 30-day retry-after, on the system clock", async () => {
    vi.useFakeTimers();
    const origin = Date.now();
    const starts: number[] = [];
    const wf = workflow<object, object, JC>('limited')
      .state('call')
      .to('done')
      .exec(({ jc }) => {
        starts.push(Date.now() - origin);
        if (starts.length === 1) throw new RateLimitError('429', { retryAfterMs: THIRTY_DAYS });
        return { state: 'done', jc };
      })
      .terminal('done')
      .build();
    const run = wf.newRun('r', {}).add({ n: 0 }, 'call');
    const done = new Processor(wf, {}).exec(run);
    await vi.advanceTimersByTimeAsync(THIRTY_DAYS);
    expect(await done).toEqual({ outcome: 'complete', transitions: 1, failed: 0 });
    expect(starts).toEqual([0, THIRTY_DAYS]);
  });

  it('a fixed rate of one attempt a month, on the system clock', async () => {
    vi.useFakeTimers();
    const origin = Date.now();
    const starts: number[] = [];
    const wf = workflow<object, object, JC>('monthly')
      .state('call', { rateLimit: fixedRate(1000 / THIRTY_DAYS) })
      .to('done')
      .exec(({ jc }) => {
        starts.push(Date.now() - origin);
        return { state: 'done', jc };
      })
      .terminal('done')
      .build();
    const run = wf.newRun('r', {}).add({ n: 0 }, 'call').add({ n: 1 }, 'call');
    const done = new Processor(wf, {}).exec(run);
    await vi.advanceTimersByTimeAsync(THIRTY_DAYS);
    expect(await done).toEqual({ outcome: 'complete', transitions: 2, failed: 0 });
    expect(starts).toEqual([0, THIRTY_DAYS]);
  });
});

describe('FakeClock handles any wait exactly', () => {
  it('fires a 30-day timer at 30 days', async () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), THIRTY_DAYS);
    expect(clock.nextAt).toBe(THIRTY_DAYS);
    await clock.advance(THIRTY_DAYS - 1);
    expect(fired).toEqual([]);
    await clock.advance(1);
    expect(fired).toEqual([THIRTY_DAYS]);
  });

  it('times out a 30-day timeout at 30 days exactly', async () => {
    const wf = monthLongTimeout();
    const run = wf.newRun('r', {}).add({ n: 0 }, 'wait');
    const { result, elapsedMs } = await runWithFakeClock(wf, {}, run, { maxMs: 60 * DAY });
    expect(result).toEqual({ outcome: 'complete', transitions: 1, failed: 0 });
    expect(elapsedMs).toBe(THIRTY_DAYS);
    expect(run.jobs.get('0')).toMatchObject({ state: 'gave-up', errors: { wait: [`timed out after ${THIRTY_DAYS}ms`] } });
  });

  it('runs a NaN wait at once, and it does not hold back the timers set after it', async () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`nan@${clock.now()}`), Number.NaN);
    clock.setTimeout(() => fired.push(`ten@${clock.now()}`), 10);
    await clock.advance(20);
    expect(fired).toEqual(['nan@0', 'ten@10']);
    expect(clock.pending).toBe(0);
  });

  it('never runs an infinite wait', async () => {
    const clock = new FakeClock();
    let fired = false;
    clock.setTimeout(() => (fired = true), Infinity);
    await clock.advance(1000 * THIRTY_DAYS);
    expect(fired).toBe(false);
  });

  it('refuses to move time back, or by a number that is not one', async () => {
    const clock = new FakeClock(100);
    await expect(clock.advance(-1)).rejects.toThrow(new TypeError('FakeClock.advance: ms must be a number of milliseconds from 0 up, got -1'));
    await expect(clock.advance(Number.NaN)).rejects.toThrow(new TypeError('FakeClock.advance: ms must be a number of milliseconds from 0 up, got NaN'));
    await expect(clock.advance(Infinity)).rejects.toThrow(new TypeError('FakeClock.advance: ms must be a number of milliseconds from 0 up, got Infinity'));
    expect(clock.now()).toBe(100);
  });
});
