// Workload "ratelimit": how fast an adaptive rate limit learns a real service's hidden quota.
//
// A node:http server on 127.0.0.1 (bench/ratelimit-server.ts, a child process of its own, so that
// it does not share the client's event loop) enforces a token-bucket quota the client is not told:
// refilled at `quota` requests a second, holding 100 ms of it (at least 2 requests), starting full.
// Over the quota it answers 429 with `Retry-After` (whole seconds, as HTTP has it, at least 1)
// and `Retry-After-Ms` (the exact wait until the next token, with fractions).
//
// The client is a jorb-ts workflow, call -> done, one GET per job through node:http with a
// keep-alive agent, concurrency 256 (far above quota × latency, so concurrency never binds) and
// `rateLimit: aimd(...)`. A 429 throws `RateLimitError({ retryAfterMs })`, where retryAfterMs is
// `Retry-After-Ms` when the response has it, else `Retry-After` × 1000 (or an HTTP date's distance
// from now); the engine then backs the limiter off and pauses the state that long.
//
// For each hidden quota (10, 100, 1,000, 5,000 a second) it runs the default limiter and
// `aimd.classic()`, with the same options (initial 50), for RUN_SECONDS of real time each, and
// reports from the client's side:
//   - time to 90 %: the first moment the successes of the last second (a sliding 1 s window)
//     reach 90 % of the quota;
//   - steady goodput: successes over the last half of the run, a second, divided by the quota
//     (it can pass 100 % by a little: what the server's bucket saved up while the client was
//     under the quota is spent when it probes above it);
//   - 429 share: responses that were 429, of all responses.
// Targets (for the default): 90 % within 10 s, steady goodput >= 90 %, 429s <= 5 %.
// Env BENCH_RATELIMIT_SECONDS and BENCH_RATELIMIT_QUOTAS (e.g. "10,5000") shorten it for development;
// BENCH_RATELIMIT_WHOLE_SECONDS=1 makes the client read only `Retry-After` (whole seconds), to see
// what a rounded-up retry-after costs: every 429 then pauses the state for a second.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { Agent, request } from 'node:http';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { aimd, Processor, RateLimitError, workflow } from '../src/index.js';
import type { AimdLimiter } from '../src/index.js';
import { fmt, round3, verdict } from './report.js';

const RUN_SECONDS = 20;
const QUOTAS = [10, 100, 1000, 5000] as const;
const CONCURRENCY = 256;
const INITIAL = 50;
/** The server's bucket holds this much time's worth of quota... */
const SERVER_BURST_MS = 100;
/** ...and at least this many requests (a bucket of one would refuse any jitter at all). */
const SERVER_MIN_BURST = 2;
const TARGET_SECONDS_TO_90 = 10;
const TARGET_GOODPUT = 0.9;
const TARGET_429_SHARE = 0.05;

const LIMITERS = {
  default: { label: `aimd({ initial: ${INITIAL} })`, make: (): AimdLimiter => aimd({ initial: INITIAL }) },
  classic: { label: `aimd.classic({ initial: ${INITIAL} })`, make: (): AimdLimiter => aimd.classic({ initial: INITIAL }) },
} as const;
type LimiterName = keyof typeof LIMITERS;

type ServerMessage = { type: 'listening'; port: number } | { type: 'quota-set' } | { type: 'stats'; ok: number; limited: number };

/** The rate-limited server in its child process. */
class Server {
  readonly #proc: ChildProcess;
  readonly port: number;

  private constructor(proc: ChildProcess, port: number) {
    this.#proc = proc;
    this.port = port;
  }

  static async start(): Promise<Server> {
    const file = fileURLToPath(new URL('./ratelimit-server.ts', import.meta.url));
    const proc = spawn(process.execPath, ['--import', 'tsx', file], { cwd: dirname(dirname(file)), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const port = await new Promise<number>((resolve, reject) => {
      proc.once('error', reject);
      proc.once('exit', (code) => reject(new Error(`ratelimit: the server exited with ${code} before listening`)));
      proc.once('message', (m: ServerMessage) => (m.type === 'listening' ? resolve(m.port) : reject(new Error(`ratelimit: unexpected ${JSON.stringify(m)}`))));
    });
    proc.removeAllListeners('exit');
    return new Server(proc, port);
  }

  #ask<T extends ServerMessage['type']>(message: object, answer: T): Promise<Extract<ServerMessage, { type: T }>> {
    return new Promise((resolve, reject) => {
      this.#proc.once('message', (m: ServerMessage) => (m.type === answer ? resolve(m as Extract<ServerMessage, { type: T }>) : reject(new Error(`ratelimit: unexpected ${JSON.stringify(m)}`))));
      this.#proc.send(message);
    });
  }

  async setQuota(quota: number): Promise<void> {
    const burst = Math.max(SERVER_MIN_BURST, (quota * SERVER_BURST_MS) / 1000);
    await this.#ask({ type: 'quota', quota, burst }, 'quota-set');
  }

  stats(): Promise<{ ok: number; limited: number }> {
    return this.#ask({ type: 'stats' }, 'stats');
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#proc.exitCode !== null) return resolve();
      this.#proc.once('exit', () => resolve());
      this.#proc.send({ type: 'stop' });
    });
  }
}

/**
 * The wait a 429 asks for, in ms: `Retry-After-Ms` when given (fractions kept), else
 * `Retry-After` as delta-seconds or as an HTTP date; undefined when neither is usable.
 */
export function retryAfterMs(headers: Record<string, string | string[] | undefined>, now = Date.now()): number | undefined {
  const one = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const ms = Number(one('retry-after-ms'));
  if (one('retry-after-ms') !== undefined && Number.isFinite(ms) && ms >= 0) return ms;
  const raw = one('retry-after');
  if (raw === undefined) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(raw)) return Number(raw) * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

interface Client {
  readonly get: (signal: AbortSignal) => Promise<{ status: number; retryAfterMs: number | undefined }>;
}

function httpClient(port: number, agent: Agent, wholeSeconds: boolean): Client {
  const seen = new WeakSet<AbortSignal>();
  return {
    get: (signal) =>
      new Promise((resolve, reject) => {
        // every request in flight listens on the state's one signal: 256 of them, not a leak
        if (!seen.has(signal)) {
          setMaxListeners(0, signal);
          seen.add(signal);
        }
        const req = request({ host: '127.0.0.1', port, path: '/', agent, signal }, (res) => {
          const status = res.statusCode ?? 0;
          const headers = wholeSeconds ? { ...res.headers, 'retry-after-ms': undefined } : res.headers;
          const after = status === 429 ? retryAfterMs(headers) : undefined;
          res.resume();
          res.once('end', () => resolve({ status, retryAfterMs: after }));
          res.once('error', reject);
        });
        req.once('error', reject);
        req.end();
      }),
  };
}

interface Measured {
  /** ms from the start of the run at which each success arrived, in order. */
  readonly successes: number[];
  limited: number;
  other: number;
}

function buildWorkflow(limiter: AimdLimiter, measured: Measured, start: () => number) {
  return workflow<Client, object, { n: number }>('ratelimit')
    .state('call', { concurrency: CONCURRENCY, rateLimit: limiter })
    .to('done')
    .exec(async ({ ac, jc, signal }) => {
      const { status, retryAfterMs: wait } = await ac.get(signal);
      if (status === 429) {
        measured.limited++;
        throw new RateLimitError('429 Too Many Requests', { retryAfterMs: wait });
      }
      if (status !== 200) {
        measured.other++;
        throw new Error(`HTTP ${status}`);
      }
      measured.successes.push(performance.now() - start());
      return { state: 'done', jc };
    })
    .terminal('done')
    .build();
}

export interface PairResult {
  readonly quota: number;
  readonly limiter: LimiterName;
  /** Seconds to the first 1 s window with >= 90 % of the quota; null if never. */
  readonly secondsTo90: number | null;
  /** Successes a second over the last half of the run, over the quota. */
  readonly steadyGoodput: number;
  readonly share429: number;
  readonly limited: number;
  readonly requests: number;
  readonly finalRate: number;
  readonly backoffs: number;
}

/** The first time (s) the successes within the last second reach `need`; null if never. */
export function secondsToReach(successes: readonly number[], need: number): number | null {
  let from = 0;
  for (let i = 0; i < successes.length; i++) {
    const t = successes[i] as number;
    while ((successes[from] as number) <= t - 1000) from++;
    if (i - from + 1 >= need) return t / 1000;
  }
  return null;
}

async function runPair(server: Server, agent: Agent, quota: number, name: LimiterName, seconds: number): Promise<PairResult> {
  await server.setQuota(quota);
  const limiter = LIMITERS[name].make();
  const measured: Measured = { successes: [], limited: 0, other: 0 };
  let t0 = 0;
  const wf = buildWorkflow(limiter, measured, () => t0);
  const run = wf.newRun(`ratelimit-${quota}-${name}`, {});
  const jobs = Math.ceil(quota * seconds * 1.3) + 2 * CONCURRENCY;
  for (let i = 0; i < jobs; i++) run.add({ n: i }, 'call');
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('the run is over')), seconds * 1000);
  t0 = performance.now();
  const wholeSeconds = process.env['BENCH_RATELIMIT_WHOLE_SECONDS'] === '1';
  const result = await new Processor(wf, httpClient(server.port, agent, wholeSeconds)).exec(run, { signal: controller.signal });
  clearTimeout(timer);
  if (result.outcome !== 'aborted') throw new Error(`ratelimit: the run ran out of jobs (${JSON.stringify(result)})`);
  if (measured.other > 0 || result.failed > 0) throw new Error(`ratelimit: ${measured.other} unexpected responses, ${result.failed} failed jobs`);

  const ms = seconds * 1000;
  const successes = measured.successes.filter((t) => t <= ms);
  const steady = successes.filter((t) => t > ms / 2).length / (seconds / 2) / quota;
  const requests = measured.successes.length + measured.limited;
  const snapshot = limiter.snapshot();
  return {
    quota,
    limiter: name,
    secondsTo90: secondsToReach(successes, 0.9 * quota),
    steadyGoodput: steady,
    share429: requests === 0 ? 0 : measured.limited / requests,
    limited: measured.limited,
    requests,
    finalRate: snapshot.rate,
    backoffs: snapshot.backoffs,
  };
}

function pct(x: number): string {
  return `${(x * 100).toFixed(x < 0.01 ? 2 : 1)} %`;
}

function envList(name: string): number[] | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const values = raw.split(',').map((s) => Number(s.trim().replaceAll('_', '')));
  if (values.some((v) => !Number.isFinite(v) || v <= 0)) throw new Error(`bench: ${name} must be positive numbers, got ${JSON.stringify(raw)}`);
  return values;
}

export async function rateLimit(log: (line: string) => void): Promise<Record<string, number | boolean | null>> {
  const seconds = envList('BENCH_RATELIMIT_SECONDS')?.[0] ?? RUN_SECONDS;
  const quotas = envList('BENCH_RATELIMIT_QUOTAS') ?? [...QUOTAS];
  const names = Object.keys(LIMITERS) as LimiterName[];
  log(
    `RATELIMIT real HTTP on 127.0.0.1: hidden token-bucket quota (${SERVER_BURST_MS} ms of quota, at least ${SERVER_MIN_BURST} requests), ` +
      `429 with Retry-After and Retry-After-Ms; concurrency ${CONCURRENCY}, keep-alive; ` +
      `each (quota, limiter) pair runs ${seconds} s of real time: ${quotas.length * names.length} runs, about ${Math.round(quotas.length * names.length * seconds)} s`,
  );
  const figures: Record<string, number | boolean | null> = { ratelimit_seconds_per_run: seconds, ratelimit_initial: INITIAL };
  const server = await Server.start();
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let met = 0;
  let targets = 0;
  try {
    for (const quota of quotas) {
      for (const name of names) {
        const r = await runPair(server, agent, quota, name, seconds);
        const served = await server.stats();
        const key = `ratelimit_q${quota}_${name}`;
        figures[`${key}_s_to_90`] = r.secondsTo90 === null ? null : round3(r.secondsTo90);
        figures[`${key}_goodput`] = round3(r.steadyGoodput);
        figures[`${key}_429_share`] = Math.round(r.share429 * 1e4) / 1e4;
        figures[`${key}_429s`] = r.limited;
        figures[`${key}_requests`] = r.requests;
        figures[`${key}_final_rate`] = Math.round(r.finalRate * 10) / 10;
        const to90 = r.secondsTo90 === null ? 'never' : `${r.secondsTo90.toFixed(1)} s`;
        log(
          `RATELIMIT quota ${fmt(quota)}/s ${LIMITERS[name].label}: 90 % of quota after ${to90}, steady goodput ${pct(r.steadyGoodput)} of quota, ` +
            `429s ${pct(r.share429)} of ${fmt(r.requests)} requests (server: ${fmt(served.ok)} ok, ${fmt(served.limited)} 429), ` +
            `rate at the end ${fmt(Math.round(r.finalRate))}/s after ${r.backoffs} backoffs`,
        );
        if (name !== 'default') continue;
        const checks: [string, boolean][] = [
          [`90 % within ${TARGET_SECONDS_TO_90} s`, r.secondsTo90 !== null && r.secondsTo90 <= TARGET_SECONDS_TO_90],
          [`steady goodput >= ${TARGET_GOODPUT * 100} %`, r.steadyGoodput >= TARGET_GOODPUT],
          [`429s <= ${TARGET_429_SHARE * 100} %`, r.share429 <= TARGET_429_SHARE],
        ];
        for (const [, ok] of checks) {
          targets++;
          if (ok) met++;
        }
        log(`RATELIMIT quota ${fmt(quota)}/s targets for the default: ${checks.map(([what, ok]) => `${what} ${verdict(ok)}`).join('; ')}`);
      }
    }
  } finally {
    agent.destroy();
    await server.stop();
  }
  log(`RATELIMIT default: ${met} of ${targets} targets met`);
  figures['ratelimit_targets_met'] = met;
  figures['ratelimit_targets'] = targets;
  return figures;
}
