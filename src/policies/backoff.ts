import type { BackoffOptions } from '../model/state-options.js';

/**
 * The wait before retry `attempt` (1 for the first retry): exponential, capped, with full jitter by
 * default ("Exponential Backoff And Jitter", AWS Architecture Blog): many jobs failing together do
 * not come back together.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialMs ?? 100;
  const max = options.maxMs ?? 30_000;
  const multiplier = options.multiplier ?? 2;
  const ceiling = Math.min(max, initial * multiplier ** Math.max(0, attempt - 1));
  return options.jitter === 'none' ? ceiling : Math.floor(random() * ceiling);
}
