// Attempt observers (ProcessorOptions.observers, #20): told as each attempt starts and how it ends,
// on a fake clock, without OpenTelemetry (jorb-ts/otel is one such observer: test/otel.test.ts).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Processor, workflow, type AttemptEnd, type AttemptObserver, type AttemptStart } from '../src/index.js';
import { FakeClock, runWithFakeClock } from '../src/testing/index.js';
import { clockSleep } from './support/clock-sleep.js';

type JC = { ms?: number; fail?: number; kicks?: number };

const T0 = Date.parse('2026-01-01T00:00:00Z');

/** What one attempt was told, in the order the observer heard it. */
interface Told {
  readonly start: { run: string; state: string; job: string; parent: string | undefined; attempt: number; at: number };
  end?: AttemptEnd;
}

/** An observer that writes down every start and end, and the order of them all. */
function recorder() {
  const attempts: Told[] = [];
  const order: string[] = [];
  const observer: AttemptObserver = {
    attemptStarted(start: AttemptStart) {
      const told: Told = { start: { run: start.run, state: start.state, job: start.job.id, parent: start.job.parentId, attempt: start.attempt, at: start.at } };
      attempts.push(told);
      order.push(`start ${start.job.id} ${start.state} #${start.attempt}`);
      return {
        end(end) {
          expect(told.end).toBeUndefined(); // once
          told.end = end;
          order.push(`end ${start.job.id} ${end.kind}`);
        },
      };
    },
  };
  return { observer, attempts, order };
}

/** `work` sleeps `ms` on the clock (aborted by the signal), throws its first `fail` attempts, kicks `kicks` children into `child`. */
function pipeline(clock: FakeClock, options: { retry?: boolean; timeoutMs?: number } = {}) {
  return workflow<object, object, JC>('pipeline')
    .state('work', {
      concurrency: 2,
      ...(options.retry === true ? { retry: { attempts: 3, backoff: { initialMs: 100, jitter: 'none' as const } } } : {}),
      ...(options.timeoutMs === undefined ? {} : { timeout: { ms: options.timeoutMs, failState: 'timed-out' as const } }),
    })
    .to('done', 'timed-out')
    .spawns('child')
    .exec(async ({ jc, job, signal, kick }) => {
      if (jc.ms !== undefined) await clockSleep(clock, jc.ms, signal);
      if ((job.errors['work']?.length ?? 0) < (jc.fail ?? 0)) throw new Error('flaky');
      const kicks = Array.from({ length: jc.kicks ?? 0 }, (_, n) => kick({ state: 'child', jc: { ms: 10 * (n + 1) } }));
      return { state: 'done', jc, kicks };
    })
    .state('child', { concurrency: 2 })
    .to('done')
    .exec(async ({ jc, signal }) => (await clockSleep(clock, jc.ms ?? 0, signal), { state: 'done', jc }))
    .terminal('done', 'timed-out')
    .build();
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('attempt observers', () => {
  it('are told each attempt start and its end: the run, state, job, attempt number and times, and for a return the state and the kicks', async () => {
    const clock = new FakeClock(T0);
    const { observer, attempts, order } = recorder();
    const wf = pipeline(clock);
    const run = wf.newRun('r', {}).add({ ms: 50, kicks: 2 }, 'work');
    const { result } = await runWithFakeClock(wf, {}, run, { clock, observers: [observer] });
    expect(result).toEqual({ outcome: 'complete', transitions: 3, failed: 0 });
    expect(attempts).toEqual([
      { start: { run: 'r', state: 'work', job: '0', parent: undefined, attempt: 1, at: T0 }, end: { kind: 'returned', to: 'done', kicks: 2, at: T0 + 50 } },
      { start: { run: 'r', state: 'child', job: '0->0', parent: '0', attempt: 1, at: T0 + 50 }, end: { kind: 'returned', to: 'done', kicks: 0, at: T0 + 60 } },
      { start: { run: 'r', state: 'child', job: '0->1', parent: '0', attempt: 1, at: T0 + 50 }, end: { kind: 'returned', to: 'done', kicks: 0, at: T0 + 70 } },
    ]);
    expect(order).toEqual(['start 0 work #1', 'end 0 returned', 'start 0->0 child #1', 'start 0->1 child #1', 'end 0->0 returned', 'end 0->1 returned']);
  });

  it('a thrown error ends the attempt as `threw` with the error, and its retry is attempt 2, after the backoff', async () => {
    const clock = new FakeClock(T0);
    const { observer, attempts } = recorder();
    const wf = pipeline(clock, { retry: true });
    const run = wf.newRun('r', {}).add({ ms: 5, fail: 2 }, 'work');
    const { result } = await runWithFakeClock(wf, {}, run, { clock, observers: [observer] });
    expect(result.outcome).toBe('complete');
    expect(attempts.map((a) => [a.start.attempt, a.start.at - T0, a.end?.kind, (a.end?.at ?? 0) - T0])).toEqual([
      [1, 0, 'threw', 5],
      [2, 105, 'threw', 110], // 100 ms of backoff
      [3, 310, 'returned', 315], // then 200
    ]);
    const threw = attempts[0]?.end;
    expect(threw?.kind === 'threw' && threw.error instanceof Error && threw.error.message).toBe('flaky');
  });

  it('a timeout ends the attempt as `timed-out` with the timeout, when it fires', async () => {
    const clock = new FakeClock(T0);
    const { observer, attempts } = recorder();
    const wf = pipeline(clock, { timeoutMs: 100 });
    const run = wf.newRun('r', {}).add({ ms: 500 }, 'work');
    const { result } = await runWithFakeClock(wf, {}, run, { clock, observers: [observer] });
    expect(result.outcome).toBe('complete');
    expect(run.jobs.get('0')?.state).toBe('timed-out');
    expect(attempts).toEqual([{ start: expect.objectContaining({ state: 'work', attempt: 1, at: T0 }) as unknown, end: { kind: 'timed-out', ms: 100, at: T0 + 100 } }]);
  });

  it('an attempt stopped by the run`s abort ends as `aborted`', async () => {
    const clock = new FakeClock(T0);
    const { observer, attempts } = recorder();
    const wf = pipeline(clock);
    const run = wf.newRun('r', {}).add({ ms: 500 }, 'work');
    const controller = new AbortController();
    const execution = new Processor(wf, {}, { clock, observers: [observer] }).exec(run, { signal: controller.signal });
    await clock.advance(30);
    controller.abort();
    expect((await execution).outcome).toBe('aborted');
    expect(attempts).toEqual([{ start: expect.objectContaining({ state: 'work', attempt: 1 }) as unknown, end: { kind: 'aborted', at: T0 + 30 } }]);
    expect(run.jobs.get('0')?.state).toBe('work'); // it waits there for the next exec
  });

  it('an exec that ignores the abort ends as `aborted` when its grace runs out, once', async () => {
    const clock = new FakeClock(T0);
    const { observer, attempts } = recorder();
    const wf = workflow<object, object, JC>('deaf')
      .state('work')
      .to('done')
      .exec(() => new Promise<never>(() => undefined)) // never settles, never listens
      .terminal('done')
      .build();
    const run = wf.newRun('r', {}).add({}, 'work');
    const controller = new AbortController();
    const execution = new Processor(wf, {}, { clock, graceMs: 200, observers: [observer] }).exec(run, { signal: controller.signal });
    await clock.advance(30);
    controller.abort();
    await clock.advance(200);
    expect((await execution).outcome).toBe('aborted');
    expect(attempts).toEqual([{ start: expect.objectContaining({ state: 'work', attempt: 1, at: T0 }) as unknown, end: { kind: 'aborted', at: T0 + 230 } }]);
  });

  it('run the exec inside every `within`, the first observer outermost, and get what the exec returns', async () => {
    const clock = new FakeClock(T0);
    const order: string[] = [];
    const nesting = (name: string): AttemptObserver => ({
      attemptStarted: () => ({
        within<T>(exec: () => T): T {
          order.push(`enter ${name}`);
          const value = exec();
          order.push(`leave ${name}`);
          expect(value).toBeInstanceOf(Promise);
          return value;
        },
        end: (end) => void order.push(`end ${name} ${end.kind}`),
      }),
    });
    const wf = workflow<object, object, JC>('one')
      .state('work')
      .to('done')
      .exec(({ jc }) => {
        order.push('exec');
        return { state: 'done', jc };
      })
      .terminal('done')
      .build();
    const { result } = await runWithFakeClock(wf, {}, wf.newRun('r', {}).add({}, 'work'), { clock, observers: [nesting('A'), { attemptStarted: () => undefined }, nesting('B')] });
    expect(result.outcome).toBe('complete');
    expect(order).toEqual(['enter A', 'enter B', 'exec', 'leave B', 'leave A', 'end A returned', 'end B returned']);
  });

  it('an observer that throws is reported once as a warning, and the run and the other observers go on', async () => {
    const clock = new FakeClock(T0);
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const { observer, attempts } = recorder();
    const throwsAtStart: AttemptObserver = {
      attemptStarted: () => {
        throw new Error('no tracer');
      },
    };
    const throwsAtEnd: AttemptObserver = {
      attemptStarted: () => ({
        within: () => {
          throw new Error('no context'); // before calling the exec: the exec runs all the same
        },
        end: () => {
          throw new Error('no exporter');
        },
      }),
    };
    const wf = pipeline(clock);
    const run = wf.newRun('r', {}).add({ ms: 5, kicks: 3 }, 'work');
    const { result } = await runWithFakeClock(wf, {}, run, { clock, observers: [throwsAtStart, throwsAtEnd, observer] });
    expect(result).toEqual({ outcome: 'complete', transitions: 4, failed: 0 });
    expect(attempts.map((a) => a.end?.kind)).toEqual(['returned', 'returned', 'returned', 'returned']);
    // One warning per observer, whatever else it throws: throwsAtEnd's end() threw 4 times too.
    const messages = warn.mock.calls.map((call) => String(call[0]));
    expect(messages).toEqual([
      expect.stringMatching(/^jorb-ts: an attempt observer's attemptStarted\(\) threw \(no tracer\); the run goes on/) as unknown,
      expect.stringMatching(/^jorb-ts: an attempt observer's within\(\) threw \(no context\)/) as unknown,
    ]);
    expect(warn.mock.calls.map((call) => call[1] as unknown)).toEqual(['JorbWarning', 'JorbWarning']);
  });

  it('refuses `observers` that are not a list of observers, with a TypeError that says what is wrong', () => {
    const wf = pipeline(new FakeClock());
    const make = (observers: unknown) => () => new Processor(wf, {}, { observers: observers as AttemptObserver[] });
    expect(make('otel')).toThrow(new TypeError('new Processor(workflow, ac, options): observers must be a list of attempt observers, got "otel"'));
    expect(make({ attemptStarted: () => undefined })).toThrow(/observers must be a list of attempt observers, got an object/);
    expect(make([recorder().observer, {}])).toThrow(new TypeError('new Processor(workflow, ac, options): observers[1] has no attemptStarted(start) method, got an object {}'));
    expect(make([null])).toThrow(/observers\[0\] has no attemptStarted\(start\) method, got null/);
    expect(make([() => undefined])).toThrow(TypeError);
    expect(make([])).not.toThrow();
  });

  it('is told nothing of a join routed to its failState: no exec runs there', async () => {
    const clock = new FakeClock(T0);
    const { observer, order } = recorder();
    const wf = workflow<object, object, JC>('routed')
      .state('split')
      .to('merge')
      .spawns('query')
      .exec(({ jc, kick }) => ({ state: 'merge', jc, kicks: [kick({ state: 'query', jc: { fail: 1 } }), kick({ state: 'query', jc: {} })] }))
      .state('query')
      .to('queried')
      .exec(({ jc }) => {
        if (jc.fail === 1) throw new Error('bad query');
        return { state: 'queried', jc };
      })
      .state('merge', { join: { failState: 'partial' } })
      .to('done', 'partial')
      .exec(({ jc }) => ({ state: 'done', jc }))
      .terminal('queried', 'done', 'partial')
      .build();
    const run = wf.newRun('r', {}).add({}, 'split');
    const { result } = await runWithFakeClock(wf, {}, run, { clock, observers: [observer] });
    expect(result.outcome).toBe('complete');
    expect(run.jobs.get('0')?.state).toBe('partial');
    expect(order).toEqual(['start 0 split #1', 'end 0 returned', 'start 0->0 query #1', 'end 0->0 threw', 'start 0->1 query #1', 'end 0->1 returned']);
  });
});
