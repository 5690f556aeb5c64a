// Workload "ledger" (#20): the live ledger's cost and its verdicts on the real clock.
// 1. W3 (fetch -> parse -> done, concurrency 10, no-op execs) with the ledger on against off, each
//    in child processes of its own, alternating: throughput on over off (target >= 0.95).
// 2. fast -> middle (100 ms per job) -> fast, the middle at concurrency 2 (20 jobs/s), then at
//    concurrency 10 behind a 10/s fixedRate: the ledger's verdict after 4 s, and the throughput
//    it measured (target: the middle state named, within 10 % of 20/s resp. 10/s).
// Run alone: `npx tsx bench/ledger.ts [N]`; or from bench/index.ts as `--only ledger`.
import { fixedRate, Processor, workflow } from '../src/index.js';
import { startChild } from './child-process.js';
import { fmt, round2 } from './report.js';

/**
 * Pairs of child processes, one with the ledger and one without, alternating which goes first,
 * each timing one exec of W3 after a warm-up. Apart, because in one process the two modes share
 * compiled code, and taking work out of one path changes how fast the other runs. One exec per
 * process, because the execs after the first run slower and slower in the same process (508 ms
 * to 780 ms over six on this machine, ledger off), and a process's first exec varies by about
 * ±8 % from one process to the next (466-544 ms in ten, ledger off), with the same code and the
 * same seeds, with garbage collection on one thread or a larger young generation: many pairs, and
 * their median (the median of 16 pairs moved by ±5 % from one bench run to the next, of 48 pairs
 * by ±3 %: 0.98, 0.94, 0.97 and 1.01 in four runs of the same code; 96 pairs narrow that by √2).
 */
const PROCESS_PAIRS = 96;
const ROUNDS_PER_PROCESS = 1;

export interface LedgerFigures {
  readonly ledger_on_tps: number;
  readonly ledger_off_tps: number;
  readonly ledger_overhead_ratio: number;
  readonly ledger_overhead_ratio_of_medians: number;
  readonly ledger_concurrency_verdict: string;
  readonly ledger_concurrency_state_per_s: number;
  readonly ledger_concurrency_jobs_per_s: number;
  readonly ledger_rate_verdict: string;
  readonly ledger_rate_state_per_s: number;
}

function pipeline(middle: { concurrency: number; rateLimit?: ReturnType<typeof fixedRate> }) {
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  return workflow<object, object, { n: number }>('pipeline')
    .state('fast-in', { concurrency: 10 })
    .to('middle')
    .exec(async ({ jc }) => (await sleep(1), { state: 'middle', jc }))
    .state('middle', middle)
    .to('fast-out')
    .exec(async ({ jc }) => (await sleep(100), { state: 'fast-out', jc }))
    .state('fast-out', { concurrency: 10 })
    .to('done')
    .exec(async ({ jc }) => (await sleep(1), { state: 'done', jc }))
    .terminal('done')
    .build();
}

/** Runs the pipeline for `ms` of real time, then reads the ledger and stops the run. */
async function verdictAfter(middle: Parameters<typeof pipeline>[0], jobs: number, ms: number) {
  const wf = pipeline(middle);
  const run = wf.newRun('pipeline', {});
  for (let i = 0; i < jobs; i++) run.add({ n: i }, 'fast-in');
  const processor = new Processor(wf, {}, {});
  const controller = new AbortController();
  const done = processor.exec(run, { signal: controller.signal });
  await new Promise((resolve) => setTimeout(resolve, ms));
  const ledger = processor.ledger();
  controller.abort();
  await done;
  const state = ledger?.states.find((s) => s.state === 'middle');
  return { bottleneck: ledger?.bottleneck, perSecond: state?.completionsPerSecond ?? 0, jobsPerSecond: ledger?.jobsPerSecond ?? 0 };
}

function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** One child process's best W3 time with the ledger on or off (see bench/ledger-child.ts). */
async function childBest(mode: 'on' | 'off', n: number): Promise<number> {
  const { code, lines } = await startChild('ledger-child.ts', [mode, String(n), String(ROUNDS_PER_PROCESS)]).exited;
  const last = lines.at(-1);
  if (code !== 0 || last === undefined) throw new Error(`ledger bench: the ${mode} child exited with ${code}`);
  return (JSON.parse(last) as { best: number }).best;
}

export async function ledgerBench(n: number, log: (line: string) => void): Promise<LedgerFigures> {
  const times = { on: [] as number[], off: [] as number[] };
  const paired: number[] = [];
  for (let pair = 0; pair < PROCESS_PAIRS; pair++) {
    const best = { on: 0, off: 0 };
    for (const mode of pair % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) best[mode] = await childBest(mode, n);
    times.on.push(best.on);
    times.off.push(best.off);
    paired.push(best.off / best.on);
  }
  const onTps = Math.round((2 * n) / medianOf(times.on));
  const offTps = Math.round((2 * n) / medianOf(times.off));
  const median = round2(medianOf(paired));
  const bestRatio = Math.min(...times.off) / Math.min(...times.on);
  log(
    `ledger W3 n=${fmt(n)}: ${fmt(onTps)} transitions/s with the ledger, ${fmt(offTps)} without (medians of ${PROCESS_PAIRS} processes each, one exec per process): median of the ${PROCESS_PAIRS} pairs' ratios ${median.toFixed(2)} (target >= 0.95)${median >= 0.95 ? '' : '  MISSED'}; ratio of the medians ${(onTps / offTps).toFixed(2)}, of the bests ${bestRatio.toFixed(2)}`,
  );
  const ratio = median;

  const bound = await verdictAfter({ concurrency: 2 }, 200, 4_000);
  const boundOk = bound.bottleneck?.state === 'middle' && bound.bottleneck.kind === 'concurrency-bound' && Math.abs(bound.perSecond - 20) <= 2;
  log(`ledger verdict, middle 100 ms x 2 slots: ${bound.bottleneck?.kind} at ${bound.bottleneck?.state}, middle ${bound.perSecond.toFixed(1)}/s, run ${bound.jobsPerSecond.toFixed(1)} jobs/s (target: concurrency-bound at middle, 20/s +-10 %)${boundOk ? '' : '  MISSED'}`);
  const rated = await verdictAfter({ concurrency: 10, rateLimit: fixedRate(10) }, 100, 4_000);
  const ratedOk = rated.bottleneck?.state === 'middle' && rated.bottleneck.kind === 'rate-bound' && Math.abs(rated.perSecond - 10) <= 1;
  log(`ledger verdict, middle 10 slots behind fixedRate(10): ${rated.bottleneck?.kind} at ${rated.bottleneck?.state}, middle ${rated.perSecond.toFixed(1)}/s (target: rate-bound at middle, 10/s +-10 %)${ratedOk ? '' : '  MISSED'}`);
  return {
    ledger_on_tps: onTps,
    ledger_off_tps: offTps,
    ledger_overhead_ratio: ratio,
    ledger_overhead_ratio_of_medians: round2(onTps / offTps),
    ledger_concurrency_verdict: `${bound.bottleneck?.kind}@${bound.bottleneck?.state}`,
    ledger_concurrency_state_per_s: round2(bound.perSecond),
    ledger_concurrency_jobs_per_s: round2(bound.jobsPerSecond),
    ledger_rate_verdict: `${rated.bottleneck?.kind}@${rated.bottleneck?.state}`,
    ledger_rate_state_per_s: round2(rated.perSecond),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const n = Number(process.argv[2] ?? 100_000);
  await ledgerBench(n, (line) => console.log(line));
}
