import type { Tracer } from '@opentelemetry/api';
import type { AttemptStart } from '../model/attempt-observer.js';

/**
 * Options of {@link otelTracing}.
 *
 * @example
 * ```ts
 * import { trace } from '@opentelemetry/api';
 * const options: OtelTracingOptions = { tracer: trace.getTracer('crawler'), spanName: (start) => `crawl ${start.state}` };
 * new Processor(wf, ac, { observers: [otelTracing(options)] });
 * ```
 * @public
 */
export interface OtelTracingOptions {
  /**
   * The tracer that makes the spans.
   * @defaultValue `trace.getTracer('jorb-ts', <jorb-ts's version>)`: the global tracer provider's,
   * so the spans go wherever the application's OpenTelemetry SDK sends its own (none, and nothing
   * is recorded, while no SDK is registered)
   * @example
   * ```ts
   * const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
   * otelTracing({ tracer: provider.getTracer('jorb-ts') });
   * ```
   */
  readonly tracer?: Tracer;
  /**
   * The name of an attempt's span. Keep it to few distinct names (a tracing backend groups by
   * name): the state's, not the job's.
   * @defaultValue `jorb <state>`: `(start) => 'jorb ' + start.state`
   * @example
   * ```ts
   * otelTracing({ spanName: (start) => `${start.run}/${start.state}` });
   * ```
   */
  readonly spanName?: (start: AttemptStart) => string;
  /**
   * How many kicking attempts (attempts whose exec kicked children) are remembered, so that each
   * child's first attempt can link to the span of the attempt that kicked it. The oldest is
   * forgotten first, and a job's 8 latest are kept at most; each costs about 400 bytes (the
   * default, about 40 MB once full). A child that starts after its kicking attempt was forgotten,
   * or that was kicked by an attempt of an earlier process (before a restart), gets no link.
   * 0 remembers none (no links).
   *
   * Minimum: 0 (a whole number).
   * @defaultValue 100_000
   * @example
   * ```ts
   * otelTracing({ maxRemembered: 1_000_000 }); // a run whose children wait long behind a big backlog
   * ```
   */
  readonly maxRemembered?: number;
}
