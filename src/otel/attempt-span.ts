import { context, isSpanContextValid, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { AttemptEnd, AttemptWatch } from '../model/attempt-observer.js';
import { renderValue } from '../model/render-value.js';
import { findRateLimitError } from '../policies/rate-limit-error.js';
import { hrTimeOf } from './hr-time.js';
import type { KickMemory } from './kick-memory.js';

/** The span of one attempt: the exec runs with it active, and it ends as the attempt does. */
export class AttemptSpan implements AttemptWatch {
  readonly #span: Span;
  readonly #jobId: string;
  readonly #kickers: KickMemory;

  constructor(span: Span, jobId: string, kickers: KickMemory) {
    this.#span = span;
    this.#jobId = jobId;
    this.#kickers = kickers;
  }

  within<T>(exec: () => T): T {
    return context.with(trace.setSpan(context.active(), this.#span), exec);
  }

  end(end: AttemptEnd): void {
    const span = this.#span;
    const at = hrTimeOf(end.at);
    switch (end.kind) {
      case 'returned':
        span.setAttribute('jorb.to', end.to);
        span.setAttribute('jorb.kicks', end.kicks);
        // A job moved on with an error recorded (a failure route taken by the exec): the span says which.
        if (end.error !== undefined) span.setAttribute('jorb.error', end.error);
        if (end.kicks > 0) {
          const kicker = span.spanContext();
          if (isSpanContextValid(kicker)) this.#kickers.remember(this.#jobId, kicker, end.at);
        }
        break;
      case 'threw': {
        // Flow control, not a failure (the job waits and runs again; the ledger counts no error).
        const limited = findRateLimitError(end.error);
        if (limited !== undefined) {
          span.setAttribute('jorb.rate_limited', true);
          if (limited.retryAfterMs !== undefined) span.setAttribute('jorb.retry_after_ms', limited.retryAfterMs);
          break;
        }
        span.recordException(exceptionOf(end.error), at);
        span.setStatus({ code: SpanStatusCode.ERROR, message: messageOf(end.error) });
        break;
      }
      case 'timed-out':
        span.setStatus({ code: SpanStatusCode.ERROR, message: `timed out after ${end.ms}ms` });
        break;
      case 'aborted':
        span.setAttribute('jorb.aborted', true);
        break;
    }
    span.end(at);
  }
}

/** The span's status message: an Error's message (its name when it has none), a string as it is, anything else rendered. */
function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return typeof error === 'string' ? error : renderValue(error);
}

/** What `recordException` takes: an Error as it is (its name, message and stack), anything else as its text. */
function exceptionOf(error: unknown): Error | string {
  return error instanceof Error ? error : messageOf(error);
}
