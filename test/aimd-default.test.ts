// aimd() as a user sees it: the learning limiter of issue #21 (src/policies/aimd-learner.ts), through
// the public API. A Processor on a fake clock against a service with a fixed per-second window that
// gives no retry hint meets issue #21's goals from aimd()'s defaults; the options of the cubic
// limiter alone (aimd.cubic()) are refused by aimd(), naming the option, rather than ignored.
import { describe, expect, it } from 'vitest';
import { aimd, Processor, RateLimitError, toMermaid, workflow, type AimdCubicOptions, type AimdLimiter, type AimdOptions } from '../src/index.js';
import { FakeClock } from '../src/testing/index.js';
import { makeService } from '../bench/ratelimit-shapes.js';
import { measure } from '../bench/ratelimit-sim.js';

/** A state rate-limited by `limiter` against a fixed window of `quota` a second (no hint) for `seconds`, on a fake clock. */
async function againstFixedWindow(limiter: AimdLimiter, quota: number, seconds: number) {
  const clock = new FakeClock();
  const t0 = clock.now();
  const runMs = seconds * 1000;
  const service = makeService({ shape: 'fixed-1s', quota, start: t0, runMs, offsetMs: 300 });
  const successes: number[] = [];
  let rejected = 0;
  const wf = workflow<object, object, { n: number }>('windowed')
    .state('call', { concurrency: 16, rateLimit: limiter })
    .to('done')
    .exec(async ({ jc }) => {
      await new Promise<void>((resolve) => clock.setTimeout(resolve, 2));
      const now = clock.now();
      if (service.admit(now).status !== 200) {
        rejected++;
        throw new RateLimitError('429 Too Many Requests'); // no Retry-After: the service says nothing of its window
      }
      successes.push(now - t0);
      return { state: 'done', jc };
    })
    .terminal('done')
    .build();
  const run = wf.newRun('r', {});
  for (let n = 0; n < quota * seconds * 2; n++) run.add({ n }, 'call');
  const controller = new AbortController();
  clock.setTimeout(() => controller.abort(), runMs);
  const done = new Processor(wf, {}, { clock }).exec(run, { signal: controller.signal });
  await clock.runAll();
  await done;
  return { goals: measure('fixed-1s', quota, { successes, rejected, runMs }), wf };
}

describe('aimd() is the learning limiter', () => {
  it('meets issue #21\'s goals through a Processor against a per-second window with no retry hint, from its defaults', async () => {
    const limiter = aimd(); // no clock: the processor's fake clock is handed over
    const { goals, wf } = await againstFixedWindow(limiter, 1000, 20);
    expect(goals.pass, JSON.stringify(goals)).toEqual({ to90: true, goodput: true, rejected: true, all: true });
    // it learned the window's rate, and says so the learner's way
    const s = limiter.snapshot();
    expect(['cruise', 'probe', 'blocked']).toContain(s.phase);
    expect(s.estimate).toBeGreaterThan(900);
    expect(s.estimate).toBeLessThan(1300);
    expect(s).toMatchObject({ min: 1, max: Infinity });
    expect(s.backoffs).toBeGreaterThan(0);
    expect(limiter.current()).toBe(s.rate);
    // a diagram shows it as an adaptive rate limit, as it did aimd()'s before
    expect(toMermaid(wf)).toMatch(/adaptive [\d.]+\/s \(from 1\/s\)/);
  });

  it('where aimd.cubic(), aimd() before it, misses them against the same window (86 % goodput, 8.8 % refused)', async () => {
    const { goals } = await againstFixedWindow(aimd.cubic(), 1000, 20);
    expect(goals.pass, JSON.stringify(goals)).toMatchObject({ goodput: false, rejected: false, all: false });
  });

  it('decides the pause itself: a whole-second Retry-After of N s is a wait of N - 1 s, a precise one in full', () => {
    let now = 0;
    const limiter = aimd({ initial: 10, clock: { now: () => now, setTimeout: () => 0, clearTimeout: () => undefined } });
    expect(limiter.onRateLimited(2000)).toBe(1000);
    now = 5000;
    expect(limiter.onRateLimited(1000)).toBe(0);
    expect(limiter.onRateLimited(250)).toBe(250);
    expect(limiter.onRateLimited()).toBe(0);
  });
});

describe('aimd() refuses the options of aimd.cubic() alone, naming them', () => {
  const untypedAimd = aimd as unknown as (options?: unknown) => AimdLimiter;
  const cubicOnly: readonly [keyof AimdCubicOptions, unknown][] = [
    ['slowStart', false],
    ['slowStartFactor', 4],
    ['growth', 'additive'],
    ['backoffFactor', 0.7],
    ['backoffFrom', 'rate'],
    ['backoffDebounceMs', 250],
    ['disableBackoffMerge', true],
    ['growOnlyWhenLimiting', false],
  ];

  it.each(cubicOnly)('%s', (key, value) => {
    const shown = typeof value === 'string' ? `"${value}"` : String(value);
    expect(() => untypedAimd({ initial: 10, [key]: value })).toThrow(
      new TypeError(`aimd: ${key} is an option of aimd.cubic(), not of aimd() (the learning limiter has no such setting): use aimd.cubic({ ${key}: ${shown} }) for the cubic limiter, or leave it out`),
    );
    // the cubic limiter takes it
    expect(() => aimd.cubic({ initial: 10, [key]: value })).not.toThrow();
  });

  it('names the cubic option before anything else is checked, and passes one given as undefined (it asks for nothing)', () => {
    expect(() => untypedAimd({ initial: -1, growth: 'cubic' })).toThrow('aimd: growth is an option of aimd.cubic()');
    expect(() => untypedAimd({ initial: 10, slowStart: undefined })).not.toThrow();
    expect(() => untypedAimd({ slowstart: false })).toThrow(new TypeError('aimd: unknown option "slowstart" (did you mean "slowStart"?)'));
    expect(() => untypedAimd(null)).toThrow(new TypeError('aimd: options must be an object such as { initial: 10 }, got null'));
  });

  it('takes every option it has', () => {
    const options: Required<Omit<AimdOptions, 'clock'>> = { initial: 5, min: 1, max: 10, increaseIntervalMs: 500 };
    expect(aimd(options).snapshot()).toMatchObject({ rate: 5, min: 1, max: 10, phase: 'slow-start' });
    expect(aimd({ max: Infinity, increaseIntervalMs: Infinity }).snapshot().max).toBe(Infinity);
  });
});
