import { SpanKind, trace, type Attributes, type Link, type Tracer } from '@opentelemetry/api';
import { ownPackage } from '../cli/own-package.js';
import type { AttemptObserver, AttemptStart } from '../model/attempt-observer.js';
import { aFunction, checkOption, checkOptions, optional, optionKeys, rule, wholeNumber } from '../model/check-option.js';
import { AttemptSpan } from './attempt-span.js';
import { hrTimeOf } from './hr-time.js';
import { KickMemory } from './kick-memory.js';
import type { OtelTracingOptions } from './otel-tracing-options.js';

const OWNER = 'otelTracing';
const OTEL_TRACING_OPTION_KEYS = optionKeys<OtelTracingOptions>({ tracer: true, spanName: true, maxRemembered: true });
const A_TRACER = rule('a Tracer of @opentelemetry/api (with startSpan)', (value): value is Tracer => typeof (value as Partial<Tracer> | null)?.startSpan === 'function');
const DEFAULT_MAX_REMEMBERED = 100_000;
/** The attribute of a link from a kicked job's first attempt to the attempt that kicked it. */
const KICKED_BY: Attributes = Object.freeze({ 'jorb.link': 'kicked-by' });

/**
 * An attempt observer that makes an OpenTelemetry span of every attempt of every state's exec:
 * give it to a processor (`observers: [otelTracing()]`). `@opentelemetry/api` is an optional peer
 * dependency of jorb-ts: install it (and an SDK to export the spans) to use `jorb-ts/otel`; the
 * root entry `jorb-ts` never loads it.
 *
 * Each span is named `jorb <state>` (see `spanName`), of kind INTERNAL, from the attempt's start to
 * its end by the processor's clock, and starts a trace of its own (a run of a million attempts
 * is not one trace). Its attributes: `jorb.run` (the run's name), `jorb.state`, `jorb.job.id`,
 * `jorb.job.parent_id` (for a kicked job), `jorb.attempt` (1 for the first attempt of a visit of
 * the state, 2 for its first retry, …); and as it ends, for an exec that returned, `jorb.to` (the
 * state it moved to), `jorb.kicks` (how many children it kicked) and, when the transition records
 * an error while moving on, `jorb.error` (its message; the status stays UNSET: the exec decided).
 *
 * An exec that threw ends its span with status ERROR and the error's message, the error recorded
 * as an exception event; a timeout, with status ERROR and `timed out after <ms>ms` (the message the
 * job records). A `RateLimitError` is flow control, not a failure (the job waits and runs again,
 * and no error is recorded): its span keeps status UNSET, with `jorb.rate_limited: true` and
 * `jorb.retry_after_ms` when the service said. An attempt stopped by the run's abort ends with
 * status UNSET and `jorb.aborted: true`.
 *
 * The exec runs with the attempt's span active, so what it calls that is instrumented (an HTTP
 * client, a database driver) is traced beneath the attempt — given a context manager, as the
 * OpenTelemetry Node SDK registers.
 *
 * Kicks are links: a kicked job's first attempt links (attribute `jorb.link: 'kicked-by'`) to the
 * span of the attempt that kicked it, when that attempt ended in this process and is still
 * remembered (see `maxRemembered`). A child kicked before a restart, by an attempt of an earlier
 * process, gets no link.
 *
 * Throws a `TypeError` for an option that is not one, naming it:
 * `otelTracing: maxRemembered must be a whole number from 0 up, got -1`.
 *
 * @example
 * ```ts
 * import { NodeSDK } from '@opentelemetry/sdk-node';
 * import { otelTracing } from 'jorb-ts/otel';
 *
 * new NodeSDK({ serviceName: 'crawler' }).start(); // exports to OTEL_EXPORTER_OTLP_ENDPOINT
 * await new Processor(crawl, ac, { store, observers: [otelTracing()] }).exec(run);
 * ```
 * @public
 */
export function otelTracing(options: OtelTracingOptions = {}): AttemptObserver {
  checkOptions(OWNER, options, OTEL_TRACING_OPTION_KEYS, '{ tracer }');
  const tracer = checkOption(OWNER, 'tracer', options.tracer, optional(A_TRACER)) ?? trace.getTracer('jorb-ts', ownPackage().version);
  const spanName = (checkOption(OWNER, 'spanName', options.spanName, optional(aFunction)) as ((start: AttemptStart) => string) | undefined) ?? defaultSpanName;
  const maxRemembered = checkOption(OWNER, 'maxRemembered', options.maxRemembered, optional(wholeNumber(0))) ?? DEFAULT_MAX_REMEMBERED;
  const kickers = new KickMemory(maxRemembered);
  return {
    attemptStarted(start: AttemptStart): AttemptSpan {
      const job = start.job;
      const attributes: Attributes = { 'jorb.run': start.run, 'jorb.state': start.state, 'jorb.job.id': job.id, 'jorb.attempt': start.attempt };
      let links: Link[] | undefined;
      if (job.parentId !== undefined) {
        attributes['jorb.job.parent_id'] = job.parentId;
        const kicker = firstAttempt(start) ? kickers.kickerOf(job.parentId, (job.history[0] as { at: number }).at) : undefined;
        if (kicker !== undefined) links = [{ context: kicker, attributes: KICKED_BY }];
      }
      const span = tracer.startSpan(spanName(start), { kind: SpanKind.INTERNAL, root: true, startTime: hrTimeOf(start.at), attributes, ...(links === undefined ? {} : { links }) });
      return new AttemptSpan(span, job.id, kickers);
    },
  };
}

function defaultSpanName(start: AttemptStart): string {
  return `jorb ${start.state}`;
}

/** Whether this is a kicked job's first attempt: its first try in the state it was kicked into, which its history holds alone. */
function firstAttempt(start: AttemptStart): boolean {
  const history = start.job.history;
  return start.attempt === 1 && history.length === 1 && (history[0] as { state: string }).state === start.state;
}
