/**
 * Thrown by an exec when the service it calls said "too many requests": the state's rate limiter
 * backs off (an AIMD limiter halves its rate), the state pauses for `retryAfterMs` when given, and
 * the job goes back to the front of its state's queue. Not recorded as an error, not a retry.
 *
 * @example
 * ```ts
 * if (res.status === 429) throw new RateLimitError(res.statusText, { retryAfterMs: Number(res.headers['retry-after']) * 1000 });
 * ```
 * @public
 */
export class RateLimitError extends Error {
  /** Always `'RateLimitError'`. */
  override readonly name = 'RateLimitError';
  /** How long the service asked us to wait, in ms, if it said. */
  readonly retryAfterMs: number | undefined;

  constructor(message = 'rate limited', options: { readonly retryAfterMs?: number | undefined; readonly cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const after = options.retryAfterMs;
    this.retryAfterMs = after !== undefined && Number.isFinite(after) && after > 0 ? after : undefined;
  }
}

/**
 * Whether `error` is a {@link RateLimitError}, or has one in its `cause` chain (an HTTP client's
 * error wrapping it, say). Returns the one found, or undefined.
 *
 * @example
 * ```ts
 * const limited = isRateLimitError(new Error('fetch failed', { cause: new RateLimitError() }));
 * ```
 * @public
 */
export function isRateLimitError(error: unknown): RateLimitError | undefined {
  const seen = new Set<unknown>();
  for (let e = error; e !== null && typeof e === 'object' && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    if (e instanceof RateLimitError) return e;
    seen.add(e);
  }
  return undefined;
}
