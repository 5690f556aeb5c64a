// What the issue #16 workloads (kill, priority, memstore, million, the restart baseline) share:
// the verdict of a goal and the machine's load, printed with every workload since other work on a
// shared 2-core machine skews every figure.
import { loadavg } from 'node:os';

/** The verdict a goal line ends with. */
export function passFail(met: boolean): string {
  return met ? 'PASS' : 'FAIL';
}

/** The 1-minute load average, one decimal. */
export function load1(): number {
  return Math.round((loadavg()[0] ?? 0) * 10) / 10;
}

/** Runs a workload between two lines that give the machine's load before and after it. */
export async function withLoadLines<T>(name: string, log: (line: string) => void, body: () => Promise<T>): Promise<T> {
  const start = performance.now();
  log(`${name} load average ${load1()} at the start`);
  const result = await body();
  log(`${name} ${((performance.now() - start) / 1000).toFixed(1)} s in all; load average ${load1()} at the end`);
  return result;
}
