/**
 * A duration in milliseconds as a diagram label shows it: `200ms`, `1.5s`, `30s`, `2min`, `1.25h`.
 * Below a second it keeps one decimal (a mean of `0.4ms`); above, up to three decimals of the unit,
 * so a configured timeout reads exactly as it was written.
 *
 * @example
 * ```ts
 * formatDuration(30_000); // '30s'
 * formatDuration(200);    // '200ms'
 * ```
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return `${ms}ms`;
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${sign}${trim(abs, 1)}ms`;
  if (abs < 60_000) return `${sign}${trim(abs / 1000, 3)}s`;
  if (abs < 3_600_000) return `${sign}${trim(abs / 60_000, 3)}min`;
  return `${sign}${trim(abs / 3_600_000, 3)}h`;
}

/** `value` rounded to at most `decimals` decimals, without trailing zeros. */
function trim(value: number, decimals: number): string {
  return String(Number(value.toFixed(decimals)));
}
