import type { HrTime } from '@opentelemetry/api';

/**
 * Epoch milliseconds as OpenTelemetry's `[seconds, nanoseconds]`. A plain number would be read
 * by the SDK as a `performance.now()` reading when it is small (a fake clock's time near 0):
 * an HrTime is taken as it is.
 */
export function hrTimeOf(epochMs: number): HrTime {
  const seconds = Math.floor(epochMs / 1000);
  const nanos = Math.min(999_999_999, Math.round((epochMs - seconds * 1000) * 1e6));
  return [seconds, nanos];
}
