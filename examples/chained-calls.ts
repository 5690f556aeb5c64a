/**
 * rio's chained calls (github.com/susamn/rio) as a jorb-ts workflow: call a service, turn its answer
 * into the next call's request, call the next one — each call with its own timeout and retries.
 *
 *   profile ──▶ currency ──▶ rate ──▶ priced        price an amount in US dollars in the user's currency
 *      │           │          │
 *      └───────────┴──────────┴──▶ gave-up          a call that failed 3 times, or cannot succeed
 *
 * One job per request. Each state is one call: its exec calls the service and returns the next
 * state with the answer folded into the job context, which is where the next exec reads its
 * request from (rio's FollowedBy with its transform function). Every call state has
 *
 *   timeout: { ms: 100, failState: 'gave-up', retries: 2 }      a slow call is cut off at 100 ms and tried again
 *   retry: { attempts: 3, backoff: { initialMs: 50, jitter: 'none' }, retryOn, then: 'gave-up' }
 *
 * Timeouts and thrown errors count the same attempts: a call is tried at most 3 times in all, the
 * first included, whatever each try failed of. A timed-out call is tried again at once, one that
 * threw after its backoff (50 ms, then 100 ms); a NotFoundError is not tried again (`retryOn`).
 * Every timeout and error is recorded in `job.errors[state]`.
 *
 * The services are simulated in-process and flaky on purpose: seeded, so each call's fate (fast,
 * slow, or a 503) depends only on the seed, the service, the request and how many times it was
 * made, never on timing: the same seed gives the same story every time. They wait on the clock
 * they are given, so a test runs this on a FakeClock in no time (see test/examples.test.ts).
 *
 * Run it with `npx tsx examples/chained-calls.ts` (`--seed <n>` tells another story).
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Processor, systemClock, workflow, type Clock, type RetryOptions, type TimeoutOptions } from '../src/index.js';

/** The job context: the request (`user`, `usd`), then each call's answer. */
export type JC = {
  user: string;
  /** The amount to price, in US cents. */
  usd: number;
  /** From the profile call: the user's country. */
  country?: string;
  /** From the currency call: the country's currency. */
  currency?: string;
  /** From the rate call: units of the currency per dollar. */
  rate?: number;
  /** The price in the user's currency, rounded to hundredths. */
  price?: number;
};

/** A call the service answers the same way however often it is made: retrying it is pointless. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

/** One call a simulated service received, and how it ended. */
export interface CallLog {
  /** When it ended, in ms of the clock since the services were made. */
  readonly ms: number;
  readonly service: string;
  readonly request: string;
  /** 1 for the first call with this request, 2 for the second… */
  readonly n: number;
  readonly outcome: string;
}

export interface FlakyServiceOptions<Req, Res> {
  readonly name: string;
  readonly clock: Clock;
  readonly seed: number;
  /** The request as a string: what a call's fate is drawn from (with the seed and the call's number). */
  readonly key: (request: Req) => string;
  readonly answer: (request: Req) => Res;
  /** Latency of a normal call, in ms, from a to b. @defaultValue [5, 40] */
  readonly latencyMs?: readonly [number, number];
  /** Share of calls that hang for `slowMs` (longer than any timeout here). @defaultValue 0.2 */
  readonly slowRate?: number;
  readonly slowMs?: number;
  /** Share of calls answered with a 503. @defaultValue 0.15 */
  readonly errorRate?: number;
  readonly log: (call: Omit<CallLog, 'ms'>) => void;
}

/** A service that is sometimes slow and sometimes fails, deterministically: see the module comment. */
export class FlakyService<Req, Res> {
  readonly #o: FlakyServiceOptions<Req, Res>;
  readonly #calls = new Map<string, number>();

  constructor(options: FlakyServiceOptions<Req, Res>) {
    this.#o = options;
  }

  /** Calls the service; an abort of `signal` (a timeout, a shutdown) ends the call at once. */
  async call(request: Req, signal: AbortSignal): Promise<Res> {
    const { name, clock, seed, slowRate = 0.2, slowMs = 1_000, errorRate = 0.15, latencyMs = [5, 40] } = this.#o;
    const key = this.#o.key(request);
    const n = (this.#calls.get(key) ?? 0) + 1;
    this.#calls.set(key, n);
    const fate = draw(seed, `${name}|${key}|${n}|fate`);
    const slow = fate < slowRate;
    const failed = !slow && fate < slowRate + errorRate;
    const ms = slow ? slowMs : Math.round(latencyMs[0] + draw(seed, `${name}|${key}|${n}|ms`) * (latencyMs[1] - latencyMs[0]));
    const log = (outcome: string) => this.#o.log({ service: name, request: key, n, outcome });
    try {
      await sleep(clock, ms, signal);
    } catch (error) {
      log(`cut off after ${ms === slowMs ? 'hanging' : 'waiting'}: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
    if (failed) {
      log('503 Service Unavailable');
      throw new Error(`${name}: 503 Service Unavailable`);
    }
    try {
      const answer = this.#o.answer(request);
      log(`ok in ${ms} ms`);
      return answer;
    } catch (error) {
      log(error instanceof Error ? error.message : String(error));
      throw error;
    }
  }
}

const PROFILES: Readonly<Record<string, { readonly name: string; readonly country: string }>> = {
  u1: { name: 'Ada', country: 'SE' },
  u2: { name: 'Bo', country: 'JP' },
  u3: { name: 'Cy', country: 'BR' },
  u4: { name: 'Di', country: 'DE' },
};
const CURRENCIES: Readonly<Record<string, string>> = { SE: 'SEK', JP: 'JPY', BR: 'BRL', DE: 'EUR' };
/** Units per dollar. */
const RATES: Readonly<Record<string, number>> = { SEK: 10.5, JPY: 155.2, BRL: 5.1, EUR: 0.92 };

/** The three services of the chain, sharing one call log. */
export function makeServices(options: { readonly clock?: Clock; readonly seed?: number } = {}) {
  const clock = options.clock ?? systemClock;
  const seed = options.seed ?? 7;
  const start = clock.now();
  const calls: CallLog[] = [];
  const log = (call: Omit<CallLog, 'ms'>) => calls.push({ ms: clock.now() - start, ...call });
  const common = { clock, seed, log };
  return {
    calls,
    profiles: new FlakyService<string, { name: string; country: string }>({
      ...common,
      name: 'profiles',
      key: (user) => user,
      answer: (user) => {
        const profile = PROFILES[user];
        if (profile === undefined) throw new NotFoundError(`profiles: no user ${user}`);
        return profile;
      },
    }),
    currencies: new FlakyService<string, string>({
      ...common,
      name: 'currencies',
      key: (country) => country,
      answer: (country) => CURRENCIES[country] ?? 'USD',
    }),
    rates: new FlakyService<string, number>({
      ...common,
      name: 'rates',
      key: (currency) => `USD->${currency}`,
      answer: (currency) => RATES[currency] ?? 1,
    }),
  };
}

export type AC = ReturnType<typeof makeServices>;

/** Per call: cut off at 100 ms and tried again, up to 3 tries in all; a NotFoundError is not retried. */
const TIMEOUT: TimeoutOptions<'gave-up'> = { ms: 100, failState: 'gave-up', retries: 2 };
const RETRY: RetryOptions<'gave-up'> = {
  attempts: 3,
  backoff: { initialMs: 50, jitter: 'none' }, // 50 ms, then 100 ms: exact, so the story is the same every time
  retryOn: (error) => !(error instanceof NotFoundError),
  then: 'gave-up',
};

export const chain = workflow<AC, object, JC>('chained-calls')
  .state('profile', { concurrency: 2, timeout: TIMEOUT, retry: RETRY })
  .to('currency', 'gave-up')
  .exec(async ({ ac, jc, signal }) => {
    const profile = await ac.profiles.call(jc.user, signal);
    return { state: 'currency', jc: { ...jc, country: profile.country } }; // the transform: profile → the currency call's request
  })
  .state('currency', { concurrency: 2, timeout: TIMEOUT, retry: RETRY })
  .to('rate', 'gave-up')
  .exec(async ({ ac, jc, signal }) => ({ state: 'rate', jc: { ...jc, currency: await ac.currencies.call(jc.country ?? '', signal) } }))
  .state('rate', { concurrency: 2, timeout: TIMEOUT, retry: RETRY })
  .to('priced', 'gave-up')
  .exec(async ({ ac, jc, signal }) => {
    const rate = await ac.rates.call(jc.currency ?? 'USD', signal);
    return { state: 'priced', jc: { ...jc, rate, price: Math.round(jc.usd * rate) / 100 } };
  })
  .terminal('priced', 'gave-up')
  .build();

export interface ChainedCallsOptions {
  /** The clock the services and the processor run on. @defaultValue systemClock */
  readonly clock?: Clock;
  /** The services' seed. @defaultValue 7 */
  readonly seed?: number;
  /** The requests: a user and an amount in US cents each. @defaultValue u1 … u4 and an unknown u9 */
  readonly requests?: readonly { readonly user: string; readonly usd: number }[];
}

export interface ChainedCallsResult {
  readonly outcome: 'complete' | 'aborted';
  /** Time the run took on the clock, in ms. */
  readonly elapsedMs: number;
  readonly jobs: readonly { readonly user: string; readonly usd: number; readonly state: string; readonly currency?: string; readonly price?: number; readonly errors: Readonly<Record<string, readonly string[]>> }[];
  readonly calls: readonly CallLog[];
}

export const DEFAULT_REQUESTS = [
  { user: 'u1', usd: 1_999 },
  { user: 'u2', usd: 4_500 },
  { user: 'u3', usd: 12_000 },
  { user: 'u4', usd: 250 },
  { user: 'u9', usd: 100 },
] as const;

/** Runs one job per request through the chain and returns what happened to each, and every call made. */
export async function runChainedCalls(options: ChainedCallsOptions = {}): Promise<ChainedCallsResult> {
  const clock = options.clock ?? systemClock;
  const ac = makeServices({ clock, ...(options.seed === undefined ? {} : { seed: options.seed }) });
  const run = chain.newRun('chained-calls', {});
  for (const r of options.requests ?? DEFAULT_REQUESTS) run.add({ user: r.user, usd: r.usd }, 'profile', { id: r.user });
  const start = clock.now();
  const result = await new Processor(chain, ac, { clock }).exec(run);
  const jobs = [...run.jobs.values()].map((job) => ({
    user: job.jc.user,
    usd: job.jc.usd,
    state: job.state,
    ...(job.jc.currency === undefined ? {} : { currency: job.jc.currency }),
    ...(job.jc.price === undefined ? {} : { price: job.jc.price }),
    errors: job.errors,
  }));
  return { outcome: result.outcome, elapsedMs: clock.now() - start, jobs, calls: ac.calls };
}

/** A number in [0, 1) from the seed and a string, the same every time (FNV-1a, then a mulberry32 round). */
function draw(seed: number, text: string): number {
  let h = (2166136261 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  h = (h + 0x6d2b79f5) >>> 0;
  let t = Math.imul(h ^ (h >>> 15), h | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** Waits `ms` on the clock; an abort of `signal` rejects at once with its reason. */
function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clock.clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function print(r: ChainedCallsResult): void {
  for (const c of r.calls) console.log(`  +${String(c.ms).padStart(4)} ms  ${c.service}(${c.request}) call ${c.n}: ${c.outcome}`);
  console.log(`\nDone in ${r.elapsedMs} ms:`);
  for (const job of r.jobs) {
    const what = job.state === 'priced' ? `$${(job.usd / 100).toFixed(2)} is ${job.price?.toFixed(2)} ${job.currency}` : job.state;
    const errors = Object.entries(job.errors).map(([state, list]) => `${state}: ${list.join(', ')}`);
    console.log(`  ${job.user}: ${what}${errors.length > 0 ? `  (errors: ${errors.join('; ')})` : ''}`);
  }
}

async function main(argv: readonly string[]): Promise<void> {
  let seed: number;
  try {
    const { values } = parseArgs({ args: [...argv], strict: true, options: { seed: { type: 'string', default: '7' } } });
    seed = Number(values.seed);
    if (!Number.isSafeInteger(seed)) throw new Error(`--seed must be a whole number, got "${values.seed}"`);
  } catch (error) {
    console.error(`chained-calls: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 2;
    return;
  }
  console.log(`Pricing ${DEFAULT_REQUESTS.length} amounts: profile → currency → rate, each call cut off at 100 ms, 3 tries at most (seed ${seed})\n`);
  print(await runChainedCalls({ seed }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(process.argv.slice(2));
