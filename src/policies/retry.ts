import type { RetryOptions } from '../model/state-options.js';
import { renderValue } from '../model/render-value.js';
import { backoffDelay } from './backoff.js';

/**
 * What the retry policy says about an exec that threw: run it again after `inMs` (the job waits
 * holding no slot), send the job to the retry's `then` state, or leave it where it is, marked
 * failed. `note` is what to add to the recorded error, when there is something to add (a
 * `retryOn` that threw).
 *
 * @example
 * ```ts
 * const d: RetryDecision = decideRetry({ attempts: 3, then: 'gave-up' }, 3, new Error('503'));
 * // { kind: 'then', to: 'gave-up' }
 * ```
 */
export type RetryDecision =
  | { readonly kind: 'retry'; readonly inMs: number }
  | { readonly kind: 'then'; readonly to: string; readonly note?: string }
  | { readonly kind: 'fail'; readonly note?: string };

/**
 * The retry policy: after the `attempt`-th attempt of a visit (1 for the first) threw `error`,
 * retry while attempts remain and `retryOn` (by default every error) accepts the error, waiting
 * {@link backoffDelay}; else go to `then`, or fail where the job is when there is no `then` (or no
 * retry policy at all). A `retryOn` that throws counts as "do not retry", and what it threw is
 * noted, so a bug in it never stops the engine.
 *
 * @param random - The jitter's source, `Math.random` by default (tests pass a fixed one).
 * @example
 * ```ts
 * decideRetry({ attempts: 3, backoff: { initialMs: 100, jitter: 'none' } }, 1, new Error('503')); // { kind: 'retry', inMs: 100 }
 * decideRetry(undefined, 1, new Error('503'));                                                    // { kind: 'fail' }
 * ```
 */
export function decideRetry(retry: RetryOptions | undefined, attempt: number, error: unknown, random: () => number = Math.random): RetryDecision {
  if (retry === undefined) return FAIL;
  let note: string | undefined;
  if (attempt < retry.attempts) {
    const accepted = retryOn(retry, error);
    if (accepted === true) return { kind: 'retry', inMs: backoffDelay(attempt, retry.backoff, random) };
    if (accepted !== false) note = accepted.note;
  }
  if (retry.then !== undefined) return note === undefined ? { kind: 'then', to: retry.then } : { kind: 'then', to: retry.then, note };
  return note === undefined ? FAIL : { kind: 'fail', note };
}

const FAIL: RetryDecision = Object.freeze({ kind: 'fail' });

function retryOn(retry: RetryOptions, error: unknown): boolean | { readonly note: string } {
  if (retry.retryOn === undefined) return true;
  try {
    return Boolean(retry.retryOn(error) ?? true); // as documented for typed callers; untyped ones get truthiness
  } catch (thrown) {
    return { note: `retry.retryOn threw ${thrown instanceof Error ? thrown.message || thrown.name : renderValue(thrown)}` };
  }
}
