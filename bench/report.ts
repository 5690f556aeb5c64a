// Formatting shared by the workloads' human-readable lines.

/** 1234567 -> "1,234,567". */
export function fmt(x: number): string {
  return x.toLocaleString('en-US');
}

export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** "20,677,863 bytes (19.7 MiB)". */
export function fmtBytes(bytes: number): string {
  if (bytes < 1 << 20) return `${fmt(bytes)} bytes`;
  const mib = bytes / (1 << 20);
  return `${fmt(bytes)} bytes (${mib >= 10 ? mib.toFixed(0) : mib.toFixed(1)} MiB)`;
}

/** Seconds with three decimals. */
export function fmtSeconds(s: number): string {
  return `${s.toFixed(3)} s`;
}

/** The verdict a target line ends with. */
export function verdict(met: boolean): string {
  return met ? 'MET' : 'MISSED';
}
