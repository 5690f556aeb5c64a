// Workload "adaptive": adaptive() concurrency (issue #21 part 2) against a real HTTP server on
// 127.0.0.1 (bench/adaptive-server.ts, a child process) whose latency climbs once more than 8
// calls are in flight: 50 ms up to 8, 50 × (n / 8)² ms beyond (±5 % seeded jitter; the model is
// bench/adaptive-service.ts, which the fake-clock tests in test/adaptive-scenarios.test.ts share).
// The client is a jorb-ts workflow, call -> done, one GET per job through node:http with a
// keep-alive agent; a 503 throws RateLimitError (no retry hint: the engine pauses the state 1 s).
//
// Runs, one at a time (about 2 min 10 s in all):
//   - concurrency 1 for 4 s: the unloaded latency (median);
//   - fixed concurrency 4, 6, 8, 10, 12, 16 for 10 s each: throughput and p95;
//   - adaptive() from its defaults for 65 s: [0, 30 s) steady, a burst of 503s over [30 s, 40 s),
//     then 25 s more.
// Goals (issue #21), measured as the tests measure them: settles in 6-12 within 30 s (the limit,
// sampled every 100 ms, stays in the band from then to 30 s); throughput over [0, 30 s) >= 90 %
// of the best fixed one's over its run; p95 latency over [0, 30 s) <= 2x unloaded; the lowest
// limit within 2 s of the burst's start <= half the limit before it; back in 6-12 (and staying,
// to the end of the run) within 30 s of its end.
import { setMaxListeners } from 'node:events';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { adaptive, Processor, RateLimitError, workflow } from '../src/index.js';
import type { AdaptiveConcurrency } from '../src/index.js';
import {
  DEFAULT_SERVICE,
  DROP_WITHIN_MS,
  latencyPercentile,
  limitAt,
  lowestLimit,
  P95_FACTOR,
  RECOVER_WITHIN_MS,
  recorder,
  SETTLE_BAND,
  SETTLE_WITHIN_MS,
  settledAt,
  THROUGHPUT_SHARE,
  throughput,
} from './adaptive-service.js';
import type { KneeServiceSettings, Recorded } from './adaptive-service.js';
import { round3 } from './report.js';
import { ServerProcess } from './server-process.js';

const FIXED = [4, 6, 8, 10, 12, 16] as const;
const UNLOADED_MS = 4_000;
const FIXED_MS = 10_000;
const STEADY_MS = 30_000;
const BURST: readonly [number, number] = [30_000, 40_000];
const ADAPTIVE_MS = 65_000;

type ServerMessage = { type: 'service-set' };

/** The knee service's server in its child process. */
class Server {
  readonly #process: ServerProcess<ServerMessage>;

  private constructor(process: ServerProcess<ServerMessage>) {
    this.#process = process;
  }

  get port(): number {
    return this.#process.port;
  }

  static async start(): Promise<Server> {
    return new Server(await ServerProcess.start<ServerMessage>('adaptive-server.ts', 'adaptive'));
  }

  async service(id: string, settings: KneeServiceSettings): Promise<void> {
    await this.#process.ask({ type: 'service', id, settings }, 'service-set');
  }

  stop(): Promise<void> {
    return this.#process.stop();
  }
}

type Get = (signal: AbortSignal) => Promise<number>;

function httpGet(port: number, path: string, agent: Agent): Get {
  const seen = new WeakSet<AbortSignal>();
  return (signal) =>
    new Promise((resolve, reject) => {
      if (!seen.has(signal)) {
        setMaxListeners(0, signal);
        seen.add(signal);
      }
      const req = request({ host: '127.0.0.1', port, path, agent, signal }, (res) => {
        const status = res.statusCode ?? 0;
        res.resume();
        res.once('end', () => resolve(status));
        res.once('error', reject);
      });
      req.once('error', reject);
      req.end();
    });
}

/** One run against a fresh service: `concurrency` for `runMs`, the limit sampled every 100 ms. */
async function runOne(server: Server, id: string, concurrency: number | AdaptiveConcurrency, runMs: number, settings: KneeServiceSettings): Promise<Recorded> {
  const rec = recorder(100);
  let t0 = 0;
  const wf = workflow<Get, object, { n: number }>('adaptive-bench')
    .state('call', { concurrency })
    .to('done')
    .exec(async ({ ac, jc, signal }) => {
      const started = performance.now();
      const status = await ac(signal);
      if (status === 503) {
        rec.rejected++;
        throw new RateLimitError('503 Service Unavailable');
      }
      if (status !== 200) throw new Error(`HTTP ${status}`);
      const now = performance.now();
      rec.doneAt.push(now - t0);
      rec.latencyMs.push(now - started);
      return { state: 'done', jc };
    })
    .terminal('done')
    .build();
  const run = wf.newRun(id, {});
  const jobs = Math.ceil((runMs / 1000) * 400);
  for (let n = 0; n < jobs; n++) run.add({ n }, 'call');
  await server.service(id, settings);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const controller = new AbortController();
  const current = () => (typeof concurrency === 'number' ? concurrency : concurrency.current());
  t0 = performance.now();
  rec.limits.push(current());
  const sampler = setInterval(() => rec.limits.push(current()), rec.sampleMs);
  const timer = setTimeout(() => controller.abort(new Error('the run is over')), runMs);
  try {
    const result = await new Processor(wf, httpGet(server.port, `/${id}`, agent), { graceMs: 1000 }).exec(run, { signal: controller.signal });
    if (result.outcome !== 'aborted') throw new Error(`adaptive: ${id} ran out of jobs (${JSON.stringify(result)})`);
    if (result.failed > 0) throw new Error(`adaptive: ${id}: ${result.failed} failed jobs`);
  } finally {
    clearTimeout(timer);
    clearInterval(sampler);
    agent.destroy();
  }
  return rec;
}

const pass = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
const f1 = (x: number) => x.toFixed(1);

export async function adaptiveConcurrency(log: (line: string) => void): Promise<Record<string, number | boolean | null>> {
  const settings = DEFAULT_SERVICE;
  log(
    `ADAPTIVE real HTTP on 127.0.0.1: a service answering in ${settings.baseMs} ms up to ${settings.knee} in flight, ${settings.baseMs} × (n/${settings.knee})² ms beyond (±${settings.jitter * 100} %); ` +
      `fixed concurrency ${FIXED.join(', ')} for ${FIXED_MS / 1000} s each, then adaptive() from its defaults for ${ADAPTIVE_MS / 1000} s with 503s over ${BURST[0] / 1000}-${BURST[1] / 1000} s; one run at a time`,
  );
  const figures: Record<string, number | boolean | null> = {};
  const server = await Server.start();
  try {
    const unloaded = latencyPercentile(await runOne(server, 'unloaded', 1, UNLOADED_MS, settings), 50, 0, UNLOADED_MS);
    log(`ADAPTIVE unloaded (concurrency 1): median latency ${f1(unloaded)} ms`);
    figures['adaptive_unloaded_ms'] = round3(unloaded);
    let best = { concurrency: 0, throughput: 0 };
    for (const c of FIXED) {
      const r = await runOne(server, `fixed-${c}`, c, FIXED_MS, settings);
      const t = throughput(r, 0, FIXED_MS);
      const p95 = latencyPercentile(r, 95, 0, FIXED_MS);
      log(`ADAPTIVE fixed concurrency ${String(c).padStart(2)}: ${f1(t)}/s, p95 ${f1(p95)} ms`);
      figures[`adaptive_fixed_${c}_per_s`] = round3(t);
      if (t > best.throughput) best = { concurrency: c, throughput: t };
    }
    const limit = adaptive();
    const r = await runOne(server, 'adaptive', limit, ADAPTIVE_MS, { ...settings, bursts: [BURST] });
    const settled = settledAt(r, STEADY_MS);
    const t = throughput(r, 0, STEADY_MS);
    const p95 = latencyPercentile(r, 95, 0, STEADY_MS);
    const before = limitAt(r, BURST[0] - r.sampleMs);
    const low = lowestLimit(r, BURST[0], BURST[0] + DROP_WITHIN_MS);
    const back = settledAt(r, ADAPTIVE_MS, BURST[1]);
    const recovery = back === undefined ? undefined : back - BURST[1];
    const goals = {
      settle: settled !== undefined && settled <= SETTLE_WITHIN_MS,
      throughput: t >= THROUGHPUT_SHARE * best.throughput,
      p95: p95 <= P95_FACTOR * unloaded,
      drop: low <= before / 2,
      recover: recovery !== undefined && recovery <= RECOVER_WITHIN_MS,
    };
    const band = SETTLE_BAND.join('-');
    log(`ADAPTIVE settles: in ${band} from ${settled === undefined ? 'never' : `${f1(settled / 1000)} s`} to ${STEADY_MS / 1000} s (goal: within ${SETTLE_WITHIN_MS / 1000} s), limit ${before} before the burst: ${pass(goals.settle)}`);
    log(`ADAPTIVE throughput: ${f1(t)}/s over 0-${STEADY_MS / 1000} s, ${f1((t / best.throughput) * 100)} % of the best fixed (${best.concurrency}: ${f1(best.throughput)}/s) (goal >= ${THROUGHPUT_SHARE * 100} %): ${pass(goals.throughput)}`);
    log(`ADAPTIVE p95 latency: ${f1(p95)} ms over 0-${STEADY_MS / 1000} s, ${(p95 / unloaded).toFixed(2)}x unloaded (goal <= ${P95_FACTOR}x): ${pass(goals.p95)}`);
    log(`ADAPTIVE 503 burst ${BURST[0] / 1000}-${BURST[1] / 1000} s: limit ${before} -> lowest ${low} within ${DROP_WITHIN_MS / 1000} s (goal <= half): ${pass(goals.drop)}; back in ${band} (and staying to ${ADAPTIVE_MS / 1000} s) ${recovery === undefined ? 'never' : `${f1(recovery / 1000)} s after it ended`} (goal <= ${RECOVER_WITHIN_MS / 1000} s): ${pass(goals.recover)}; ${r.rejected} calls refused`);
    const s = limit.snapshot();
    log(`ADAPTIVE decisions: ${s.decisions}, the last: ${s.last?.reason} ${s.last?.from} -> ${s.last?.to} (${s.last?.detail}); limit sampled every 100 ms over 0-${STEADY_MS / 1000} s: ${histogram(r.limits.slice(0, STEADY_MS / r.sampleMs))}`);
    const all = Object.values(goals).every(Boolean);
    log(`ADAPTIVE all five goals: ${pass(all)}`);
    Object.assign(figures, {
      adaptive_settled_s: settled === undefined ? null : round3(settled / 1000),
      adaptive_per_s: round3(t),
      adaptive_share_of_best: round3(t / best.throughput),
      adaptive_best_fixed: best.concurrency,
      adaptive_p95_ms: round3(p95),
      adaptive_burst_before: before,
      adaptive_burst_lowest: low,
      adaptive_recovery_s: recovery === undefined ? null : round3(recovery / 1000),
      adaptive_goals_met: all,
    });
  } finally {
    await server.stop();
  }
  return figures;
}

/** "8: 91 %, 9: 6 %, 7: 2 %": how often each limit was sampled, most often first. */
function histogram(xs: readonly number[]): string {
  const counts = new Map<number, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([x, n]) => `${x}: ${Math.round((n / xs.length) * 100)} %`).join(', ');
}

// `npx tsx bench/adaptive.ts`: this workload alone (bench/index.ts runs it as `--only adaptive`).
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await adaptiveConcurrency((line) => console.log(line));
}
