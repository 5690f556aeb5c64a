/**
 * jorb-ts/otel: OpenTelemetry traces of a run, a span per attempt of a state's exec, the
 * attempts that kicked children linked from their children's first attempts. Needs
 * `@opentelemetry/api` (an optional peer dependency of jorb-ts), and an SDK to send the spans.
 *
 * @packageDocumentation
 */

export { otelTracing } from './otel-tracing.js';
export type { OtelTracingOptions } from './otel-tracing-options.js';
