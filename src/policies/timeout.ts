import type { TimeoutOptions } from '../model/state-options.js';

/**
 * What the timeout policy says about an attempt that ran out of time: start a fresh attempt at
 * once, or send the job to the timeout's `failState`.
 *
 * @example
 * ```ts
 * const d: TimeoutDecision = decideTimeout({ ms: 100, failState: 'fetch-failed' }, 1);
 * // { kind: 'fail-state', to: 'fetch-failed' }
 * ```
 */
export type TimeoutDecision = { readonly kind: 'retry' } | { readonly kind: 'fail-state'; readonly to: string };

/**
 * The timeout policy: after the `attempt`-th attempt of a visit (1 for the first) timed out, give
 * it another while `retries` (0 by default) are left, else route the job to `failState`.
 *
 * @example
 * ```ts
 * decideTimeout({ ms: 100, failState: 'gave-up', retries: 2 }, 2); // { kind: 'retry' }
 * decideTimeout({ ms: 100, failState: 'gave-up', retries: 2 }, 3); // { kind: 'fail-state', to: 'gave-up' }
 * ```
 */
export function decideTimeout(timeout: TimeoutOptions, attempt: number): TimeoutDecision {
  return attempt <= (timeout.retries ?? 0) ? RETRY : { kind: 'fail-state', to: timeout.failState };
}

const RETRY: TimeoutDecision = Object.freeze({ kind: 'retry' });

/**
 * What a timeout records in `job.errors[state]`, and the reason the attempt's signal aborts with.
 *
 * @example
 * ```ts
 * timedOutMessage(30_000); // 'timed out after 30000ms'
 * ```
 */
export function timedOutMessage(ms: number): string {
  return `timed out after ${ms}ms`;
}
