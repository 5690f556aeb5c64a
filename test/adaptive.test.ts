// adaptive(): what a user sees besides the scenarios (test/adaptive-scenarios.test.ts) — the
// definition errors naming the state, the graph node, status and diagrams, which errors count as
// overload, and a static concurrency left exactly as it was.
import { describe, expect, it } from 'vitest';
import { Processor, RateLimitError, renderStatuses, toDot, workflow, WorkflowDefinitionError } from '../src/index.js';
import type { StateStatus } from '../src/index.js';
import { adaptive } from '../src/policies/adaptive.js';
import type { AdaptiveConcurrency } from '../src/policies/adaptive.js';
import { FakeClock } from '../src/testing/index.js';

type JC = { n: number };

function problemsOf(build: () => unknown): readonly string[] {
  try {
    build();
  } catch (error) {
    if (error instanceof WorkflowDefinitionError) return error.problems;
    throw error;
  }
  throw new Error('build() did not throw');
}

const pass = ({ jc }: { jc: JC }) => ({ state: 'done' as const, jc });
const oneState = (concurrency: AdaptiveConcurrency | number) => workflow<object, object, JC>('w').state('call', { concurrency }).to('done').exec(pass).terminal('done').build();

describe('adaptive(): definition errors name the state', () => {
  it.each([
    [{ min: 0 }, 'State "call": concurrency adaptive(): min must be a whole number from 1 up, got 0'],
    [{ max: 2.5 }, 'State "call": concurrency adaptive(): max must be a whole number from 1 up, got 2.5'],
    [{ min: 8, max: 4 }, 'State "call": concurrency adaptive(): max must be a whole number from 8 up, got 4'],
    [{ initial: 40, max: 32 }, 'State "call": concurrency adaptive(): initial must be a whole number from 1 to 32, got 40'],
    [{ seed: 0.5 }, 'State "call": concurrency adaptive(): seed must be a whole number from -2147483648 to 4294967295, got 0.5'],
    [{ eventLoopDelay: 5 }, 'State "call": concurrency adaptive(): eventLoopDelay must be a function, got 5'],
    [{ maxx: 4 }, 'State "call": concurrency adaptive(): unknown option "maxx" (did you mean "max"?)'],
  ])('%j', (options, message) => {
    expect(problemsOf(() => oneState(adaptive(options as never)))).toEqual([message]);
  });

  it('options that are not an object, and every problem at once', () => {
    expect(problemsOf(() => oneState(adaptive(null as never)))).toEqual(['State "call": concurrency adaptive(): options must be an object such as { initial: 4, max: 64 }, got null']);
    expect(problemsOf(() => oneState(adaptive({ min: 0, max: 0 })))).toHaveLength(2);
  });

  it('reading a limit made with bad options throws the same words', () => {
    expect(() => adaptive({ min: 0 }).current()).toThrow(new TypeError('adaptive: adaptive(): min must be a whole number from 1 up, got 0'));
  });

  it('one adaptive() per state', () => {
    const shared = adaptive();
    const build = () =>
      workflow<object, object, JC>('w')
        .state('a', { concurrency: shared })
        .to('b')
        .exec(({ jc }) => ({ state: 'b', jc }))
        .state('b', { concurrency: shared })
        .to('done')
        .exec(pass)
        .terminal('done')
        .build();
    expect(problemsOf(build)).toEqual(['State "b": its concurrency is the adaptive() limit of state "a": call adaptive() once per state']);
  });

  it('an object that only looks like one is not a concurrency', () => {
    const fake = { current: () => 4, snapshot: () => ({}) } as unknown as AdaptiveConcurrency;
    expect(problemsOf(() => oneState(fake))).toEqual(['State "call": concurrency must be a whole number from 1 up (or adaptive({ … })), got an object { current: function current, snapshot: function snapshot }']);
  });
});

describe('adaptive(): the graph, status and diagrams show it', () => {
  it("the node's concurrency is its max; the node holds the limit; the label shows the limit now and its bounds", () => {
    const limit = adaptive({ initial: 3, max: 32 });
    const wf = oneState(limit);
    const node = wf.graph.state('call');
    expect(node?.terminal).toBe(false);
    if (node === undefined || node.terminal) return;
    expect(node.concurrency).toBe(32);
    expect(node.adaptive).toBe(limit);
    expect(toDot(wf)).toContain('concurrency adaptive 3 (1–32)');
    expect(oneState(4).graph.state('call')?.adaptive).toBeUndefined();
  });

  it('defaults: from 4, between 1 and 200; the snapshot before any run', () => {
    const snapshot = adaptive().snapshot();
    expect(snapshot).toEqual({ limit: 4, min: 1, max: 200, phase: 'slow-start', baselineMs: undefined, latencyMs: undefined, ceiling: undefined, eventLoopDelayMs: 0, decisions: 0, last: undefined, recent: [] });
    expect(adaptive({ min: 10 }).current()).toBe(10);
    expect(adaptive({ max: 2 }).current()).toBe(2);
  });

  it("status updates carry the adaptive state's limit (and only its), and progress bars print it", async () => {
    const clock = new FakeClock();
    const limit = adaptive({ initial: 2 });
    const wf = workflow<object, object, JC>('w')
      .state('call', { concurrency: limit })
      .to('next')
      .exec(async ({ jc }) => {
        await new Promise<void>((resolve) => clock.setTimeout(resolve, 10));
        return { state: 'next', jc };
      })
      .state('next', { concurrency: 3 })
      .to('done')
      .exec(pass)
      .terminal('done')
      .build();
    const run = wf.newRun('r', {});
    for (let n = 0; n < 200; n++) run.add({ n }, 'call');
    const updates: (readonly StateStatus[])[] = [];
    const done = new Processor(wf, {}, { clock, status: (s) => updates.push(s) }).exec(run);
    await clock.runAll();
    expect((await done).outcome).toBe('complete');
    const limits = updates.map((u) => u[0]?.limit);
    expect(limits.every((l) => typeof l === 'number')).toBe(true);
    expect(Math.max(...(limits as number[]))).toBeGreaterThan(2); // nothing pushes back: it grew
    expect(updates.every((u) => u[1]?.limit === undefined && u[2]?.limit === undefined)).toBe(true);
    const last = updates.at(-1) as readonly StateStatus[];
    expect(renderStatuses(last)[0]).toMatch(/^call +\|.*\| 0 waiting, 0 executing \(limit \d+\)$/);
    expect(limit.snapshot().last?.at).toBeGreaterThan(0);
  });
});

describe('adaptive(): which errors say the service is overloaded', () => {
  /** A state whose attempts take 20 ms and then do what `outcome(n)` says, on a fake clock. */
  async function runWith(outcome: (n: number) => 'ok' | 'rate-limited' | 'error' | 'hang', jobs = 200) {
    const clock = new FakeClock();
    const limit = adaptive({ initial: 8 });
    let calls = 0;
    const wf = workflow<object, object, JC>('w')
      .state('call', { concurrency: limit, timeout: { ms: 100, failState: 'failed' }, retry: { attempts: 1, then: 'failed' } })
      .to('done', 'failed')
      .exec(async ({ jc, signal }) => {
        const what = outcome(calls++);
        await new Promise<void>((resolve) => {
          if (what === 'hang') signal.addEventListener('abort', () => resolve(), { once: true });
          else clock.setTimeout(resolve, 20);
        });
        if (what === 'rate-limited') throw new Error('wrapped', { cause: new RateLimitError('503') });
        if (what === 'error') throw new Error('404 Not Found');
        return { state: 'done', jc };
      })
      .terminal('done', 'failed')
      .build();
    const run = wf.newRun('r', {});
    for (let n = 0; n < jobs; n++) run.add({ n }, 'call');
    const done = new Processor(wf, {}, { clock, graceMs: 10 }).exec(run);
    await clock.runAll();
    await done;
    return limit.snapshot();
  }

  it('a RateLimitError anywhere in the cause chain halves the limit', async () => {
    const s = await runWith((n) => (n === 100 ? 'rate-limited' : 'ok'));
    expect(s.recent.some((d) => d.reason === 'overload' && d.to === Math.floor(d.from / 2))).toBe(true);
  });

  it('a timeout halves it', async () => {
    const s = await runWith((n) => (n === 100 ? 'hang' : 'ok'));
    expect(s.recent.some((d) => d.reason === 'overload')).toBe(true);
  });

  it('other errors say nothing about load', async () => {
    const s = await runWith((n) => (n % 3 === 0 ? 'error' : 'ok'));
    expect(s.recent.some((d) => d.reason === 'overload')).toBe(false);
  });
});
