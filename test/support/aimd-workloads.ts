// The rate limiter workloads test/aimd-scenarios.test.ts runs for aimd.cubic() and aimd.classic()
// and test/aimd-learner-*.test.ts for aimd(), the learner: a clock moved by hand, and services
// the callers hammer a millisecond at a time. Deterministic.
import { aimd } from '../../src/policies/aimd.js';
import type { AimdLimiter } from '../../src/policies/aimd.js';
import type { Clock } from '../../src/model/clock.js';

/** A clock that moves only when told (`add`); timers never fire. */
export type ManualClock = Clock & { add(ms: number): void };

export function manualClock(start = 1_700_000_000_000): ManualClock {
  let now = start;
  return { now: () => now, setTimeout: () => 0, clearTimeout: () => undefined, add: (ms) => void (now += ms) };
}

/**
 * The same question in real time, with the default windows (1 s increase interval, 500 ms merge):
 * callers that always have work take every permit the limiter gives, each one millisecond; the
 * service counts requests per wall-clock second and answers 429 over its quota, with a
 * retry-after up to the next second. Returns what the client saw.
 */
export function paced(limiter: AimdLimiter, clock: ManualClock, quota: number, seconds: number) {
  const okAt: number[] = [];
  let ok = 0;
  let throttled = 0;
  let firstThrottleMs = -1;
  let served = 0;
  const start = clock.now();
  for (let ms = 0; ms < seconds * 1000; ms++) {
    if (ms % 1000 === 0) served = 0;
    const windowEnd = start + (Math.floor(ms / 1000) + 1) * 1000;
    while (limiter.tryAcquire() === 0) {
      if (++served > quota) {
        throttled++;
        if (firstThrottleMs < 0) firstThrottleMs = ms;
        limiter.onRateLimited(windowEnd - clock.now());
      } else {
        ok++;
        okAt.push(ms);
        limiter.onSuccess();
      }
    }
    clock.add(1);
  }
  const okAfter = (second: number) => okAt.filter((ms) => ms >= second * 1000).length;
  return { ok, throttled, firstThrottleMs, rate: limiter.current(), okAfter };
}

/**
 * The `npm run bench` ratelimit workload in simulated time: a service with a token-bucket quota
 * (refilled at `quota` a second, holding 100 ms of it, at least 2) answers at once, 429 with the
 * exact wait for the next token when the bucket is empty; callers always have work and take
 * every permit the limiter gives, each millisecond. Measured as the bench measures: when the
 * successes of the last second first reach 90 % of the quota, successes over the last half of
 * the run, and the share of 429s.
 */
export function tokenBucketService(limiter: AimdLimiter, clock: ManualClock, quota: number, seconds: number) {
  const burst = Math.max(2, quota / 10);
  let tokens = burst;
  const start = clock.now();
  let stamp = start;
  const successes: number[] = [];
  let throttled = 0;
  for (let ms = 0; ms < seconds * 1000; ms++) {
    const now = clock.now();
    tokens = Math.min(burst, tokens + ((now - stamp) * quota) / 1000);
    stamp = now;
    while (limiter.tryAcquire() === 0) {
      if (tokens >= 1) {
        tokens -= 1;
        successes.push(ms);
        limiter.onSuccess();
      } else {
        throttled++;
        limiter.onRateLimited(((1 - tokens) * 1000) / quota);
      }
    }
    clock.add(1);
  }
  let from = 0;
  let secondsTo90 = Infinity;
  for (let i = 0; i < successes.length; i++) {
    while ((successes[from] as number) <= (successes[i] as number) - 1000) from++;
    if (i - from + 1 >= 0.9 * quota) {
      secondsTo90 = (successes[i] as number) / 1000;
      break;
    }
  }
  const steady = successes.filter((t) => t >= (seconds * 1000) / 2).length / (seconds / 2) / quota;
  return { secondsTo90, steady, share429: throttled / (throttled + successes.length) };
}

/** The window of {@link longFixedWindow}: a "minute" scaled to 10 s, as in the bench. */
export const LONG_WINDOW_MS = 10_000;

/**
 * aimd() from its defaults against a fixed window of LONG_WINDOW_MS allowing `perWindow` calls,
 * the run starting `offsetMs` into a window, for `seconds`. Callers take every permit each
 * millisecond. With `hint: 'none'` a refusal carries no wait; with `'seconds'` it carries the wait
 * to the window's end in whole seconds, rounded up, and the state pauses for what the limiter's
 * onRateLimited returns (as the engine does). The ms of each success and rejection.
 */
export function longFixedWindow(seconds: number, perWindow: number, offsetMs: number, hint: 'none' | 'seconds') {
  const clock = manualClock();
  const limiter = aimd({ clock });
  const okAt: number[] = [];
  const rejectedAt: number[] = [];
  let window = -1;
  let served = 0;
  let pausedUntil = 0;
  for (let ms = 0; ms < seconds * 1000; ms++) {
    const w = Math.floor((ms + offsetMs) / LONG_WINDOW_MS);
    if (w !== window) {
      window = w;
      served = 0;
    }
    while (ms >= pausedUntil && limiter.tryAcquire() === 0) {
      if (served < perWindow) {
        served++;
        okAt.push(ms);
        limiter.onSuccess();
        continue;
      }
      rejectedAt.push(ms);
      if (hint === 'none') {
        limiter.onRateLimited();
        continue;
      }
      const toEnd = (w + 1) * LONG_WINDOW_MS - (ms + offsetMs);
      const pause = limiter.onRateLimited(Math.ceil(toEnd / 1000) * 1000);
      if (typeof pause === 'number') pausedUntil = ms + pause;
    }
    clock.add(1);
  }
  return { okAt, rejectedAt };
}
