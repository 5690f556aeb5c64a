import type { BackoffOptions } from '../model/state-options.js';

/** The longest wait when `maxMs` is left out (and `initialMs` is not longer). */
const DEFAULT_MAX_MS = 30_000;

/**
 * The wait before retry `attempt` (1 for the first retry): exponential, capped, with full jitter by
 * default ("Exponential Backoff And Jitter", AWS Architecture Blog): many jobs failing together do
 * not come back together. Left out, `maxMs` is 30 s or `initialMs` when that is longer, so a wait
 * asked for is never cut short by a default.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialMs ?? 100;
  const max = options.maxMs ?? Math.max(DEFAULT_MAX_MS, initial);
  const multiplier = options.multiplier ?? 2;
  // 0 × a growth that overflowed to Infinity is NaN, not the 0 ms asked for
  const ceiling = initial === 0 ? 0 : Math.min(max, initial * multiplier ** Math.max(0, attempt - 1));
  return options.jitter === 'none' ? ceiling : Math.floor(random() * ceiling);
}
