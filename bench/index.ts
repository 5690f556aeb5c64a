// The benchmark runner (`npm run bench`): runs every workload in one process, prints their
// human-readable lines, then as the last line one JSON object merging every workload's figures.
// Heap figures need `global.gc`, so without --expose-gc it re-executes itself with it.
// N: `--n 5000`, or env BENCH_N; 100,000 by default.
import { spawn } from 'node:child_process';
import { w3 } from './w3.js';

const DEFAULT_N = 100_000;

function parseN(argv: readonly string[]): number {
  const i = argv.indexOf('--n');
  const flag = i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith('--n='))?.slice('--n='.length);
  const raw = flag ?? process.env['BENCH_N'];
  if (raw === undefined) return DEFAULT_N;
  const n = Number(raw.replaceAll('_', ''));
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`bench: N must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

function reExecWithGc(): void {
  if (process.env['BENCH_REEXEC'] === '1') throw new Error('bench: still no global.gc after re-executing with --expose-gc');
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_REEXEC: '1' },
  });
  child.on('exit', (code, signal) => {
    if (signal !== null) process.kill(process.pid, signal);
    else process.exitCode = code ?? 1;
  });
}

async function main(): Promise<void> {
  const n = parseN(process.argv.slice(2));
  const log = (line: string) => console.log(line);
  const figures: Record<string, unknown> = {};
  // Each workload returns a flat figure object; later workloads add a line here with keys of
  // their own (a repeated key is a bug: it would silently hide another workload's figure).
  merge(figures, await w3(n, log));
  console.log(JSON.stringify(figures));
}

function merge(into: Record<string, unknown>, figures: object): void {
  for (const [key, value] of Object.entries(figures)) {
    if (key in into) throw new Error(`bench: two workloads report the figure "${key}"`);
    into[key] = value;
  }
}

if (globalThis.gc === undefined) reExecWithGc();
else await main();
