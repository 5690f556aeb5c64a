// Workload "ratelimit": how fast an adaptive rate limit learns a real service's hidden quota,
// for every quota shape of issue #21 (bench/ratelimit-shapes.ts): fixed windows of 1 s and of a
// "minute" (SCALED DOWN here to 10 s, three windows and a bit per run, to keep the matrix within
// minutes; test/aimd-shapes.test.ts runs the real 60 s window in simulated time), a sliding 1 s
// log, a token bucket holding a second of quota, a concurrency cap answering 503, and a token
// bucket whose quota is halved for the middle third of the run; each with no retry hint, with
// whole-second `Retry-After` and with `Retry-After-Ms` (the cap with none: it has no wait to give).
//
// The server is a node:http server on 127.0.0.1 in a child process (bench/ratelimit-server.ts)
// hosting one service per run. The client is a jorb-ts workflow, call -> done, one GET per job
// through node:http with a keep-alive agent, concurrency 256 and as `rateLimit` `aimd()` (the
// learning limiter of issue #21: src/policies/aimd-learner.ts), `aimd.cubic()` (the cubic limiter,
// aimd() before it) or `aimd.classic()`, each from 1 a second, knowing nothing of the quota. A 429 or
// 503 throws `RateLimitError({ retryAfterMs })` with the wait the hint gives (none, Retry-After ×
// 1000, or Retry-After-Ms); the engine backs the limiter off and pauses the state that long.
//
// Runs that load the machine little go side by side (a batch is at most BATCH_LOAD requests a
// second in all, a long window counted at half its window's quota a second: cellLoad); 10,000/s
// runs only for the shapes in QUOTA_10K_CELLS, one at a time, as do the concurrency caps of 1,000/s
// (a cap's goodput is k over the client's round trip, which a busy client lengthens: see alone).
// Per run, from the client's side (bench/ratelimit-sim.ts `measure`, as the tests measure):
//   - time to 90 %: from each rise of the quota (the start; the doubling) to the first 1 s window
//     of successes with 90 % of it;
//   - steady goodput: successes over the second half of each phase of the quota, over the quota;
//   - rejected: 429s and 503s over all calls.
// Goals (issue #21): 90 % within 10 s, steady goodput >= 90 %, rejected <= 5 %.
// BENCH_RATELIMIT_ORACLE=1 runs instead the 10,000/s concurrency cap against settings that know the
// cap (a fixed concurrency, a fixed rate), BENCH_RATELIMIT_ORACLE=1000 the 1,000/s one: see oracleCells.
// Env BENCH_RATELIMIT_QUOTAS (e.g. "10,1000"), BENCH_RATELIMIT_SHAPES (e.g. "fixed-1s,concurrency"),
// BENCH_RATELIMIT_HINTS (e.g. "none") and BENCH_RATELIMIT_LIMITERS (e.g. "aimd,cubic") narrow it for
// development, BENCH_RATELIMIT_BATCHES (e.g. "12") runs only those batches of the plan, by number,
// BENCH_RATELIMIT_BESIDE=1 runs the 1,000/s concurrency caps beside the other cells; BENCH_RATELIMIT_TRACE=1 prints each run's limiter snapshot and its last 250 ms
// every 250 ms (successes, rejections, calls started; the event loop's lag; aimd()'s cap).
// aimd()'s lines say the concurrency cap it ended with, if it learned one; the concurrency
// cap's, how late the server's timers answered (its own lag, not the service's).
import { setMaxListeners } from 'node:events';
import { Agent, request } from 'node:http';
import { aimd, fixedRate, Processor, RateLimitError, workflow } from '../src/index.js';
import type { AimdLimiter, RateLimiter } from '../src/index.js';
// internal: the class aimd() makes, for the concurrency cap it learned (capSnapshot)
import { AimdLearner } from '../src/policies/aimd-learner.js';
import { fmt, round3, verdict } from './report.js';
import { ServerProcess } from './server-process.js';
import { concurrencyCap, HINTS, SHAPES } from './ratelimit-shapes.js';
import type { Hint, ShapeName, ShapeSettings } from './ratelimit-shapes.js';
import { measure, TARGET_GOODPUT, TARGET_REJECTED, TARGET_SECONDS_TO_90 } from './ratelimit-sim.js';
import type { Goals } from './ratelimit-sim.js';

const QUOTAS = [10, 100, 1000, 10_000] as const;
/** At 10,000/s each run has the machine to itself: only these cells, the common case of no hint. */
const QUOTA_10K_CELLS: readonly string[] = ['fixed-1s none', 'sliding-1s none', 'bucket-burst none', 'concurrency none'];
const CONCURRENCY = 256;
/** The bench's "minute": a fixed window of 10 s (scaled down from 60 s), the run starting 3 s into one. */
const LONG_WINDOW_MS = 10_000;
const LONG_WINDOW_OFFSET_MS = 3_000;
/** A batch of runs side by side asks for at most this many requests a second in all. */
const BATCH_LOAD = 6000;

const LIMITERS = {
  aimd: { label: 'aimd()', make: (): AimdLimiter => aimd() },
  cubic: { label: 'aimd.cubic()', make: (): AimdLimiter => aimd.cubic() },
  classic: { label: 'aimd.classic()', make: (): AimdLimiter => aimd.classic() },
} as const;
type LimiterName = keyof typeof LIMITERS;
const LIMITER_ORDER: readonly LimiterName[] = ['aimd', 'cubic', 'classic'];

function runMsFor(shape: ShapeName): number {
  return shape === 'fixed-60s' ? 4 * LONG_WINDOW_MS : shape === 'halve-double' ? 30_000 : 20_000;
}

/**
 * BENCH_RATELIMIT_ORACLE: instead of the matrix, a concurrency cap (1: the 10,000/s one, 100 in
 * flight, 10 ms each; 1000: the 1,000/s one, 10 in flight) against settings that know it: the
 * state's concurrency fixed at k and a little over (under a fixedRate far above the cap's), and
 * fixedRate(r) at concurrency 256 for r from 80 to 95 % of the cap's rate; each fixedRate with a
 * bucket of 10 ms. Were none to meet the goals, no limiter that knows nothing of the cap could: the
 * cell would measure this machine, not the limiter. Each runs with the machine to itself.
 */
const ORACLE_CONCURRENCY_OVER = [1, 1.05, 1.1, 1.2, 1.3, 1.4] as const;
const ORACLE_RATE_SHARES = [0.8, 0.85, 0.9, 0.95] as const;
/** The fixed concurrencies' rate: far above the cap's (a state with no limiter pauses on a RateLimitError; with one, it does not). */
const ORACLE_UNCAPPED = 50_000;
interface Oracle {
  readonly label: string;
  readonly concurrency: number;
  readonly rate?: number;
}

interface Cell {
  readonly id: string;
  /** Set for BENCH_RATELIMIT_ORACLE's runs: the setting used instead of the limiter. */
  readonly oracle?: Oracle;
  readonly shape: ShapeName;
  readonly hint: Hint;
  readonly quota: number;
  readonly limiter: LimiterName;
  readonly settings: Omit<ShapeSettings, 'start'>;
}

interface ServiceStats {
  readonly ok: number;
  readonly limited: number;
  /** How late the server's timers answered admitted calls of a shape with latency, on average (ms). */
  readonly lateMs: number;
}
type ServerMessage = { type: 'services-set' } | { type: 'stats'; stats: Record<string, ServiceStats> };

/** The rate-limited server in its child process. */
class Server {
  readonly #process: ServerProcess<ServerMessage>;

  private constructor(process: ServerProcess<ServerMessage>) {
    this.#process = process;
  }

  get port(): number {
    return this.#process.port;
  }

  static async start(): Promise<Server> {
    return new Server(await ServerProcess.start<ServerMessage>('ratelimit-server.ts', 'ratelimit'));
  }

  async setServices(cells: readonly Cell[]): Promise<void> {
    await this.#process.ask({ type: 'services', services: cells.map((c) => ({ id: c.id, ...c.settings })) }, 'services-set');
  }

  async stats(): Promise<Record<string, ServiceStats>> {
    return (await this.#process.ask({ type: 'stats' }, 'stats')).stats;
  }

  stop(): Promise<void> {
    return this.#process.stop();
  }
}

/**
 * The wait a rejection asks for, in ms, as a client reading `hint` sees it: `Retry-After-Ms`
 * (fractions kept) for 'precise', `Retry-After` as delta-seconds or an HTTP date for 'seconds',
 * nothing for 'none'; undefined when the header is missing or unusable.
 */
export function retryAfterMs(headers: Record<string, string | string[] | undefined>, hint: Hint, now = Date.now()): number | undefined {
  const one = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  if (hint === 'none') return undefined;
  if (hint === 'precise') {
    const ms = Number(one('retry-after-ms'));
    return one('retry-after-ms') !== undefined && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
  }
  const raw = one('retry-after');
  if (raw === undefined) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(raw)) return Number(raw) * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

interface Client {
  readonly get: (signal: AbortSignal) => Promise<{ status: number; retryAfterMs: number | undefined }>;
}

function httpClient(port: number, path: string, agent: Agent, hint: Hint): Client {
  const seen = new WeakSet<AbortSignal>();
  return {
    get: (signal) =>
      new Promise((resolve, reject) => {
        // every request in flight listens on the state's one signal: 256 of them, not a leak
        if (!seen.has(signal)) {
          setMaxListeners(0, signal);
          seen.add(signal);
        }
        const req = request({ host: '127.0.0.1', port, path, agent, signal }, (res) => {
          const status = res.statusCode ?? 0;
          const after = status === 429 || status === 503 ? retryAfterMs(res.headers, hint) : undefined;
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
  started: number;
}

function buildWorkflow(limiter: RateLimiter | undefined, concurrency: number, measured: Measured, start: () => number) {
  return workflow<Client, object, { n: number }>('ratelimit')
    .state('call', { concurrency, ...(limiter === undefined ? {} : { rateLimit: limiter }) })
    .to('done')
    .exec(async ({ ac, jc, signal }) => {
      measured.started++;
      const { status, retryAfterMs: wait } = await ac.get(signal);
      if (status === 429 || status === 503) {
        measured.limited++;
        throw new RateLimitError(status === 429 ? '429 Too Many Requests' : '503 Service Unavailable', { retryAfterMs: wait });
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

interface CellResult {
  readonly cell: Cell;
  readonly goals: Goals;
  readonly calls: number;
  readonly finalRate: number;
  /** The server's answers' lateness (a shape with latency). */
  lateMs?: number;
  /** aimd()'s concurrency cap at the end, if it learned one. */
  readonly cap?: number;
}

/**
 * Makes a cell's run ready (its workflow, its jobs, its client) and returns what starts it. A batch
 * makes all its cells ready before it starts any: adding a cell's jobs (up to 40,000) blocks the
 * event loop, and made one after another as each started, the later cells' jobs held up the earlier
 * ones' first calls while their clocks ran (in the matrix's batch of 76 runs, 3.1 s: every 100/s
 * cell's 90 % came after 7.5-8 s, not 4.5, and the concurrency cap at 1,000/s, first in it, never
 * got there).
 */
function prepareCell(port: number, cell: Cell): () => Promise<CellResult> {
  const { oracle } = cell;
  const learner = oracle === undefined ? LIMITERS[cell.limiter].make() : undefined;
  // a bucket of 10 ms of permits, as aimd()'s: the state's wake-ups come a whole ms apart at best
  const oracleRate = oracle?.rate ?? ORACLE_UNCAPPED;
  const limiter: RateLimiter | undefined = oracle === undefined ? learner : fixedRate(oracleRate, { burst: Math.ceil(oracleRate / 100) });
  const concurrency = oracle?.concurrency ?? CONCURRENCY;
  const measured: Measured = { successes: [], limited: 0, other: 0, started: 0 };
  let t0 = 0;
  const wf = buildWorkflow(limiter, concurrency, measured, () => t0);
  const run = wf.newRun(`ratelimit-${cell.id}`, {});
  const { runMs } = cell.settings;
  const jobs = Math.ceil((cell.quota * runMs) / 1000 * 2) + 2 * CONCURRENCY;
  for (let i = 0; i < jobs; i++) run.add({ n: i }, 'call');
  const agent = new Agent({ keepAlive: true, maxSockets: Math.max(CONCURRENCY, concurrency) });
  const processor = new Processor(wf, httpClient(port, `/${cell.id}`, agent, cell.hint));
  return async () => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('the run is over')), runMs);
    t0 = performance.now();
    const trace = process.env['BENCH_RATELIMIT_TRACE'] && learner !== undefined ? traceRun(cell, learner, measured, t0) : undefined;
    try {
      const result = await processor.exec(run, { signal: controller.signal });
      if (result.outcome !== 'aborted') throw new Error(`ratelimit: ${cell.id} ran out of jobs (${JSON.stringify(result)})`);
      if (measured.other > 0 || result.failed > 0) throw new Error(`ratelimit: ${cell.id}: ${measured.other} unexpected responses, ${result.failed} failed jobs`);
    } finally {
      clearTimeout(timer);
      if (trace !== undefined) clearInterval(trace);
      agent.destroy();
    }
    const successes = measured.successes.filter((t) => t <= runMs);
    const goals = measure(cell.shape, cell.quota, { successes, rejected: measured.limited, runMs });
    const cap = learner instanceof AimdLearner ? learner.capSnapshot().limit : Infinity;
    const finalRate = learner?.current() ?? oracle?.rate ?? Infinity;
    return { cell, goals, calls: measured.successes.length + measured.limited, finalRate, ...(cap < Infinity ? { cap } : {}) };
  };
}

/** BENCH_RATELIMIT_TRACE: every TRACE_MS, the limiter's snapshot and what the last TRACE_MS saw. */
const TRACE_MS = 250;
function traceRun(cell: Cell, limiter: AimdLimiter, measured: Measured, t0: number): NodeJS.Timeout {
  let last = { ok: 0, limited: 0, started: 0, at: performance.now() };
  return setInterval(() => {
    const now = performance.now();
    const s = limiter.snapshot();
    const ok = measured.successes.length;
    const lag = now - last.at - TRACE_MS;
    const cap = limiter instanceof AimdLearner ? ` cap ${JSON.stringify(limiter.capSnapshot())}` : '';
    console.log(
      `TRACE ${cell.id} t ${((now - t0) / 1000).toFixed(2)} ${s.phase} rate ${Math.round(s.rate)} est ${Math.round(s.estimate)} ` +
        `ok ${ok - last.ok} rej ${measured.limited - last.limited} started ${measured.started - last.started} in flight ${measured.started - ok - measured.limited} lag ${Math.round(lag)} ms${cap}`,
    );
    last = { ok, limited: measured.limited, started: measured.started, at: now };
  }, TRACE_MS);
}

function pct(x: number): string {
  return `${(x * 100).toFixed(x < 0.01 ? 2 : 1)} %`;
}

function envList(name: string): string[] | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  return raw.split(',').map((s) => s.trim().replaceAll('_', ''));
}

function cellsFor(quotas: readonly number[], shapes: readonly ShapeName[], hints: readonly Hint[], limiters: readonly LimiterName[]): Cell[] {
  const cells: Cell[] = [];
  for (const shape of shapes) {
    for (const hint of hints) {
      if (shape === 'concurrency' && hint !== 'none') continue;
      for (const quota of quotas) {
        if (quota >= 10_000 && !QUOTA_10K_CELLS.includes(`${shape} ${hint}`)) continue;
        for (const limiter of limiters) {
          const settings = { shape, quota, runMs: runMsFor(shape), longWindowMs: LONG_WINDOW_MS, offsetMs: shape === 'fixed-60s' ? LONG_WINDOW_OFFSET_MS : 0 };
          cells.push({ id: `${shape}-${hint}-${quota}-${limiter}`, shape, hint, quota, limiter, settings });
        }
      }
    }
  }
  return cells;
}

/**
 * The requests a second a cell may ask of the client at its peak. Classic climbs +1/s: it asks for
 * little. A long window lets its whole window's quota (`quota` × its seconds) through as fast as the
 * client sends it, and slow start finds that out at 16-32k/s for 1,000/s: half the window's quota a
 * second, not `quota`. (Counted at `quota`, the six 1,000/s long windows of aimd() and aimd.cubic()
 * ran in one batch, and the client's event loop ran 100-250 ms late: their figures measured the
 * client, 75-95 % goodput from run to run.)
 */
function cellLoad(c: Cell): number {
  if (alone(c)) return BATCH_LOAD;
  if (c.limiter === 'classic') return Math.min(c.quota, 50);
  if (c.shape === 'fixed-60s') return (c.quota * LONG_WINDOW_MS) / 1000 / 2;
  return c.quota;
}

/**
 * A concurrency cap of 1,000 a second or more runs with the machine to itself (but under
 * aimd.classic(), which never sends more than a few dozen a second there). Its goodput is k calls
 * in flight over the client's round trip, and the client's own event loop is part of that round
 * trip: a fixed concurrency of 10 against the cap of 10 in flight at 10 ms (knowing the cap, so no
 * limiter could do better) was served 87.2 % and 86.9 % beside the 75 runs of the 10 and 100/s
 * cells, and aimd(), which learned the cap exactly, 85.6-87.4 % in three runs there, against 90-96 %
 * alone. BENCH_RATELIMIT_BESIDE=1 runs them beside the others again.
 */
function alone(c: Cell): boolean {
  if (process.env['BENCH_RATELIMIT_BESIDE']) return false;
  return c.shape === 'concurrency' && c.quota >= 1000 && c.limiter !== 'classic';
}

/** BENCH_RATELIMIT_ORACLE's runs: the concurrency cap of `quota` a second against settings that know it. */
function oracleCells(quota: number): Cell[] {
  const { k } = concurrencyCap(quota);
  const ks = [...new Set(ORACLE_CONCURRENCY_OVER.map((over) => Math.round(k * over)))];
  const oracles: Oracle[] = [
    ...ks.map((n) => ({ label: `concurrency ${n}`, concurrency: n })),
    ...ORACLE_RATE_SHARES.map((share) => ({ label: `fixedRate(${quota * share})`, concurrency: CONCURRENCY, rate: quota * share })),
  ];
  const shape = 'concurrency';
  const settings = { shape, quota, runMs: runMsFor(shape), longWindowMs: LONG_WINDOW_MS, offsetMs: 0 } as const;
  return oracles.map((o, i) => ({ id: `oracle-${i}`, shape, hint: 'none', quota, limiter: 'aimd', settings, oracle: o }));
}

/** Packs cells into batches of at most BATCH_LOAD (see cellLoad), longest first. */
function batches(cells: readonly Cell[]): Cell[][] {
  const load = cellLoad;
  const sorted = [...cells].sort((a, b) => b.settings.runMs - a.settings.runMs || load(b) - load(a));
  const out: { cells: Cell[]; load: number }[] = [];
  for (const c of sorted) {
    const fit = out.find((b) => b.cells[0]?.settings.runMs === c.settings.runMs && b.load + load(c) <= BATCH_LOAD);
    if (fit) {
      fit.cells.push(c);
      fit.load += load(c);
    } else out.push({ cells: [c], load: load(c) });
  }
  return out.map((b) => b.cells);
}

export async function rateLimit(log: (line: string) => void): Promise<Record<string, number | boolean | null>> {
  const quotas = envList('BENCH_RATELIMIT_QUOTAS')?.map(Number) ?? [...QUOTAS];
  if (quotas.some((q) => !Number.isFinite(q) || q <= 0)) throw new Error(`bench: BENCH_RATELIMIT_QUOTAS must be positive numbers`);
  const shapes = (envList('BENCH_RATELIMIT_SHAPES') ?? [...SHAPES]) as ShapeName[];
  const unknown = shapes.filter((s) => !(SHAPES as readonly string[]).includes(s));
  if (unknown.length > 0) throw new Error(`bench: BENCH_RATELIMIT_SHAPES takes ${SHAPES.join(', ')}, got ${unknown.join(', ')}`);
  const hints = (envList('BENCH_RATELIMIT_HINTS') ?? [...HINTS]) as Hint[];
  const limiters = (envList('BENCH_RATELIMIT_LIMITERS') ?? [...LIMITER_ORDER]) as LimiterName[];
  if (hints.some((h) => !(HINTS as readonly string[]).includes(h))) throw new Error(`bench: BENCH_RATELIMIT_HINTS takes ${HINTS.join(', ')}`);
  if (limiters.some((l) => !LIMITER_ORDER.includes(l))) throw new Error(`bench: BENCH_RATELIMIT_LIMITERS takes ${LIMITER_ORDER.join(', ')}`);
  const oracleQuota = process.env['BENCH_RATELIMIT_ORACLE'] ? Number(process.env['BENCH_RATELIMIT_ORACLE']) : undefined;
  if (oracleQuota !== undefined && oracleQuota !== 1 && oracleQuota !== 1000 && oracleQuota !== 10_000) {
    throw new Error(`bench: BENCH_RATELIMIT_ORACLE takes 1 (the 10,000/s concurrency cap), 1000 or 10000, got ${process.env['BENCH_RATELIMIT_ORACLE']}`);
  }
  const oracle = oracleQuota === undefined ? undefined : oracleCells(oracleQuota === 1 ? 10_000 : oracleQuota);
  const cells = oracle ?? cellsFor(quotas, shapes, hints, limiters);
  // the oracle's runs one at a time: each has the machine to itself
  const planned = oracle === undefined ? batches(cells) : oracle.map((c) => [c]);
  // BENCH_RATELIMIT_BATCHES (e.g. "12"): only those batches of the plan, by number from 1 (to trace one as the matrix runs it)
  const only = envList('BENCH_RATELIMIT_BATCHES')?.map(Number);
  const plan = only === undefined ? planned : planned.filter((_, i) => only.includes(i + 1));
  const seconds = plan.reduce((sum, b) => sum + (b[0]?.settings.runMs ?? 0) / 1000, 0);
  log(
    `RATELIMIT real HTTP on 127.0.0.1, issue #21's quota shapes (the per-minute window SCALED DOWN to ${LONG_WINDOW_MS / 1000} s here), ` +
      `every limiter from its defaults (1/s), concurrency ${CONCURRENCY}, keep-alive; ${cells.length} runs in ${plan.length} batches side by side, about ${Math.round(seconds)} s; ` +
      `a concurrency cap of k in flight at latency L: ${[10, 100, 1000, 10_000].map((q) => `${fmt(q)}/s k ${concurrencyCap(q).k} L ${concurrencyCap(q).latencyMs} ms`).join(', ')}`,
  );
  if (only !== undefined) log(`RATELIMIT the plan's batches: ${planned.map((b, i) => `${i + 1}: ${b.length} runs (${b[0]?.id ?? ''}…)`).join(', ')}; only ${only.join(', ')}: ${plan.map((b) => b.map((c) => c.id).join(' ')).join(' | ')}`);
  const figures: Record<string, number | boolean | null> = { ratelimit_runs: cells.length };
  const server = await Server.start();
  const results: CellResult[] = [];
  try {
    for (const batch of plan) {
      // every run made ready first, then the services (their windows and phases start now), then the runs
      const starts = batch.map((cell) => prepareCell(server.port, cell));
      await server.setServices(batch);
      const done = await Promise.all(starts.map((start) => start()));
      const stats = await server.stats();
      for (const r of done) {
        const late = stats[r.cell.id]?.lateMs;
        if (late !== undefined) r.lateMs = late;
      }
      results.push(...done);
    }
  } finally {
    await server.stop();
  }
  const met: Record<LimiterName, number> = { aimd: 0, cubic: 0, classic: 0 };
  let total = 0;
  const order = (r: CellResult) => [SHAPES.indexOf(r.cell.shape), HINTS.indexOf(r.cell.hint), r.cell.quota, LIMITER_ORDER.indexOf(r.cell.limiter)];
  results.sort((a, b) => {
    const [x, y] = [order(a), order(b)];
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
    return 0;
  });
  for (const { cell, goals: g, calls, finalRate, lateMs, cap } of results) {
    const key = `ratelimit_${cell.shape.replace('-', '_')}_${cell.hint}_q${cell.quota}_${cell.limiter}`;
    figures[`${key}_s_to_90`] = g.secondsTo90 === null ? null : round3(g.secondsTo90);
    figures[`${key}_goodput`] = round3(g.goodput);
    figures[`${key}_rejected`] = Math.round(g.rejected * 1e4) / 1e4;
    if (cell.oracle === undefined && cell.limiter === limiters[0]) total++;
    if (cell.oracle === undefined && g.pass.all) met[cell.limiter]++;
    const to90 = g.secondsTo90 === null ? 'never' : `${g.secondsTo90.toFixed(1)} s`;
    log(
      `RATELIMIT ${cell.shape.padEnd(12)} hint ${cell.hint.padEnd(7)} ${`${fmt(cell.quota)}/s`.padStart(8)} ${(cell.oracle?.label ?? LIMITERS[cell.limiter].label).padEnd(14)}: ` +
        `90 % after ${to90} ${verdict(g.pass.to90)}, goodput ${pct(g.goodput)} ${verdict(g.pass.goodput)}, rejected ${pct(g.rejected)} of ${fmt(calls)} ${verdict(g.pass.rejected)}, ` +
        `rate at the end ${fmt(Math.round(finalRate))}/s${cap === undefined ? '' : `, in flight capped at ${cap}`}` +
        `${lateMs === undefined || lateMs === 0 ? '' : ` (the server's answers ${Math.max(0, lateMs).toFixed(1)} ms late)`}: ${g.pass.all ? 'PASS' : 'FAIL'}`,
    );
  }
  const goals = `(90 % within ${TARGET_SECONDS_TO_90} s, goodput >= ${TARGET_GOODPUT * 100} %, rejected <= ${TARGET_REJECTED * 100} %)`;
  if (oracle !== undefined) {
    log(`RATELIMIT oracle: ${results.filter((r) => r.goals.pass.all).length} of ${results.length} settings that know the cap meet all three goals ${goals}`);
    return figures;
  }
  for (const name of limiters) {
    log(`RATELIMIT ${LIMITERS[name].label}: ${met[name]} of ${total} cells meet all three goals ${goals}`);
    figures[`ratelimit_${name}_cells_met`] = met[name];
  }
  log(`RATELIMIT ${limiters.map((name) => `${LIMITERS[name].label}: ${met[name]} of ${total}`).join(' · ')}`);
  figures['ratelimit_cells'] = total;
  return figures;
}
