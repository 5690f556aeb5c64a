import { checkOptions, optionKeys } from '../model/check-option.js';

/**
 * Thrown by an exec when the service it calls said "too many requests": the state's rate limiter
 * backs off (`aimd()` measures what the service let through and goes under it; `aimd.classic()`
 * halves its rate), the state pauses for `retryAfterMs` when given (or as long as the limiter decides), and
 * the job goes back to the front of its state's queue. Not recorded as an error, not a retry.
 *
 * @example
 * ```ts
 * // the service's wait when it gives one: a precise one, else whole seconds (aimd() reads them as rounded up)
 * const ms = Number(res.headers['retry-after-ms'] ?? Number(res.headers['retry-after']) * 1000);
 * if (res.status === 429) throw new RateLimitError(res.statusText, Number.isFinite(ms) ? { retryAfterMs: ms } : {});
 * ```
 * @public
 */
export class RateLimitError extends Error {
  /** Always `'RateLimitError'`. */
  override readonly name = 'RateLimitError';
  /** How long the service asked us to wait, in ms, if it said. */
  readonly retryAfterMs: number | undefined;

  /**
   * Throws a TypeError when `options` is not an object or names an option it does not have
   * (`RateLimitError: unknown option "retryAfter" (did you mean "retryAfterMs"?)`): a wait given
   * in the wrong unit or under the wrong name would otherwise be lost without a word.
   */
  constructor(message = 'rate limited', options: { readonly retryAfterMs?: number | undefined; readonly cause?: unknown } = {}) {
    checkOptions('RateLimitError', options, RATE_LIMIT_ERROR_OPTION_KEYS, '{ retryAfterMs: 500 }');
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const after = options.retryAfterMs;
    this.retryAfterMs = after !== undefined && Number.isFinite(after) && after > 0 ? after : undefined;
  }
}

/** The keys of RateLimitError's options, for the unknown-option check (the compiler keeps it in step). */
const RATE_LIMIT_ERROR_OPTION_KEYS = optionKeys<NonNullable<ConstructorParameters<typeof RateLimitError>[1]>>({ retryAfterMs: true, cause: true });

/**
 * Whether `error` is a {@link RateLimitError} itself: a type guard. To find one wrapped in
 * another error's `cause`, or inside an `AggregateError`, use {@link findRateLimitError}.
 *
 * @example
 * ```ts
 * try { await call(); } catch (e) { if (isRateLimitError(e)) console.log(e.retryAfterMs); }
 * ```
 * @public
 */
export function isRateLimitError(error: unknown): error is RateLimitError {
  return error instanceof RateLimitError;
}

/**
 * The {@link RateLimitError} in `error`: the error itself, or the first found along its `cause`
 * chain (an HTTP client's error wrapping it, say) and among the `errors` of an `AggregateError`
 * (`Promise.any` over mirrors that all said 429), depth first, in order; undefined when there is
 * none. Cycles are followed once. This is what the processor applies to every thrown error.
 *
 * @example
 * ```ts
 * findRateLimitError(new Error('fetch failed', { cause: new RateLimitError('429', { retryAfterMs: 500 }) }))?.retryAfterMs; // 500
 * findRateLimitError(new AggregateError([new Error('503'), new RateLimitError()])); // the RateLimitError
 * ```
 * @public
 */
export function findRateLimitError(error: unknown): RateLimitError | undefined {
  try {
    return search(error);
  } catch {
    return undefined; // a revoked proxy or a throwing getter: no RateLimitError to be found
  }
}

function search(error: unknown): RateLimitError | undefined {
  if (error instanceof RateLimitError) return error;
  // the common case, an error with no cause, allocates nothing
  if (!isObject(error) || (causeOf(error) === undefined && !(error instanceof AggregateError))) return undefined;
  const seen = new Set<object>();
  const todo: object[] = [error];
  for (let e = todo.pop(); e !== undefined; e = todo.pop()) {
    if (seen.has(e)) continue;
    if (e instanceof RateLimitError) return e;
    seen.add(e);
    const cause = causeOf(e);
    if (isObject(cause)) todo.push(cause);
    // pushed last, popped first: an aggregate's errors, in order, before its own cause
    if (e instanceof AggregateError && Array.isArray(e.errors)) {
      for (let i = e.errors.length - 1; i >= 0; i--) {
        const inner: unknown = e.errors[i];
        if (isObject(inner)) todo.push(inner);
      }
    }
  }
  return undefined;
}

function causeOf(error: object): unknown {
  return (error as { cause?: unknown }).cause;
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}
