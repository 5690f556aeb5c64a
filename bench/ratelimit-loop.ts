// A more faithful stand-in for the bench's client than `simulate` (bench/ratelimit-sim.ts): the
// engine's state on one Node event loop, in continuous simulated time, against a modelled service
// on a server process of its own. What `simulate`'s 1 ms steps leave out and the real HTTP bench has:
//   - the client's CPU: each call costs `startCostMs` to send and `answerCostMs` to take its answer
//     (node:http, the engine's bookkeeping), so past the loop's capacity answers queue, latency
//     climbs to 256 in flight over what the loop can take, and answers come in bursts;
//   - the server's CPU: a FIFO that spends `serverCostMs` on each request before admitting it;
//   - the network: a round trip of `rttMs` with up to `jitterMs` more at random (seeded);
//   - Date.now(): the limiter's clock reads whole ms;
//   - timers: the engine's wake-up fires `timerLagMs` after the ms it asked for (and up to
//     `timerLagSpreadMs` more at random), no sooner than 1 ms;
//   - the engine: one wake-up timer per state, a pause per rejection (for what the limiter's
//     onRateLimited returns, else the retry-after), a pump after each answer; successes measured
//     when the client takes the answer.
import type { RateLimiter } from '../src/index.js';
import { hintedWait, makeService } from './ratelimit-shapes.js';
import type { Hint, ShapeSettings } from './ratelimit-shapes.js';
import { enginePause } from './ratelimit-sim.js';
import type { Outcome } from './ratelimit-sim.js';
import { prng as random } from '../scripts/prng.js';

export interface LoopSettings extends Omit<ShapeSettings, 'start'> {
  readonly hint: Hint;
  readonly limiter: RateLimiter;
  /** Sets the limiter's clock (whole ms are what it reads). */
  readonly setNow: (ms: number) => void;
  readonly start: number;
  /** @defaultValue 256 */
  readonly concurrency?: number;
  /** Client CPU per call sent, ms (with answerCostMs, about 22,000 calls a second: what the bench's client reached at 256 in flight). @defaultValue 0.02 */
  readonly startCostMs?: number;
  /** Client CPU per answer taken, ms. @defaultValue 0.025 */
  readonly answerCostMs?: number;
  /** Server CPU per request, ms. @defaultValue 0.02 */
  readonly serverCostMs?: number;
  /** @defaultValue 0.2 */
  readonly rttMs?: number;
  /** @defaultValue 0.5 */
  readonly jitterMs?: number;
  /**
   * How late a wake-up fires, ms. 1: the bench's trace showed a state paced at 95 a second by a
   * bucket of one permit delivering 88 (12 ms a call where it asked for 11). @defaultValue 1
   */
  readonly timerLagMs?: number;
  /**
   * ...and up to this much more, at random for each wake-up (seeded). A busy event loop's wake-ups
   * come late by different amounts (0-9 ms in the bench's trace of the 76 runs side by side), and a
   * call sent a second ago later than the one now lets a sliding log refuse it. @defaultValue 0
   */
  readonly timerLagSpreadMs?: number;
  /** @defaultValue 1 */
  readonly seed?: number;
}

interface Answer {
  readonly at: number;
  readonly ok: boolean;
  readonly wait: number | undefined;
}

/** A binary min-heap of answers by arrival time. */
class Heap {
  readonly #xs: Answer[] = [];
  get size(): number {
    return this.#xs.length;
  }
  peek(): Answer | undefined {
    return this.#xs[0];
  }
  push(a: Answer): void {
    const xs = this.#xs;
    xs.push(a);
    let i = xs.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((xs[p] as Answer).at <= a.at) break;
      xs[i] = xs[p] as Answer;
      i = p;
    }
    xs[i] = a;
  }
  pop(): Answer | undefined {
    const xs = this.#xs;
    const top = xs[0];
    const last = xs.pop();
    if (top === undefined || last === undefined || xs.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= xs.length) break;
      const r = l + 1;
      const c = r < xs.length && (xs[r] as Answer).at < (xs[l] as Answer).at ? r : l;
      if ((xs[c] as Answer).at >= last.at) break;
      xs[i] = xs[c] as Answer;
      i = c;
    }
    xs[i] = last;
    return top;
  }
}


/** Runs the state against the service as the bench does, on the event-loop model above. */
export function simulateLoop(s: LoopSettings): Outcome {
  const service = makeService(s);
  const concurrency = s.concurrency ?? 256;
  const startCost = s.startCostMs ?? 0.02;
  const answerCost = s.answerCostMs ?? 0.025;
  const serverCost = s.serverCostMs ?? 0.02;
  const rtt = s.rttMs ?? 0.2;
  const jitter = s.jitterMs ?? 0.5;
  const timerLag = s.timerLagMs ?? 1;
  const timerLagSpread = s.timerLagSpreadMs ?? 0;
  const rand = random(s.seed ?? 1);
  const end = s.start + s.runMs;
  const answers = new Heap();
  // requests on their way to the server, in the order sent; the server takes them FIFO
  const successes: number[] = [];
  let rejected = 0;
  let inFlight = 0;
  let pausedUntil = 0;
  let wakeAt = Infinity;
  let serverFree = s.start;
  let t = s.start;
  const clock = () => s.setNow(Math.floor(t));
  // concurrency-cap answers: an admitted call frees its slot when its latency is over
  const frees: number[] = [];

  const send = (): void => {
    t += startCost;
    const arrive = t + rtt / 2 + rand() * jitter;
    serverFree = Math.max(serverFree, arrive) + serverCost;
    while (frees.length > 0 && (frees[0] as number) <= serverFree) {
      frees.shift();
      service.finished(serverFree);
    }
    const a = service.admit(serverFree);
    const ok = a.status === 200;
    const out = serverFree + (ok ? service.latencyMs : 0);
    if (ok && service.latencyMs > 0) frees.push(out);
    answers.push({ at: out + rtt / 2 + rand() * jitter, ok, wait: ok ? undefined : hintedWait(s.hint, a.waitMs) });
    inFlight++;
  };

  const pump = (): void => {
    while (inFlight < concurrency) {
      clock();
      const now = Math.floor(t);
      const paused = pausedUntil - now;
      const wait = paused > 0 ? paused : s.limiter.tryAcquire();
      if (wait > 0) {
        // the engine brings an armed wake-up forward when the wait got shorter (a limiter that unblocked early)
        // (no draw without a spread: the runs without one stay as they were)
        wakeAt = Math.min(wakeAt, now + Math.max(1, wait) + timerLag + (timerLagSpread > 0 ? rand() * timerLagSpread : 0));
        return;
      }
      send();
    }
  };

  pump();
  while (t < end) {
    const next = Math.min(answers.peek()?.at ?? Infinity, wakeAt);
    if (next === Infinity) break;
    if (next > t) t = next;
    // the poll phase: every answer that has arrived, each taken and followed by a pump
    let took = false;
    while ((answers.peek()?.at ?? Infinity) <= t) {
      const a = answers.pop() as Answer;
      took = true;
      t += answerCost;
      inFlight--;
      clock();
      if (a.ok) {
        successes.push(t - s.start);
        s.limiter.onSuccess();
      } else {
        rejected++;
        const pause = enginePause(s.limiter.onRateLimited(a.wait), a.wait);
        if (pause > 0) pausedUntil = Math.max(pausedUntil, Math.floor(t) + pause);
      }
      pump();
    }
    // the timers phase
    if (wakeAt <= t) {
      wakeAt = Infinity;
      pump();
    } else if (!took && wakeAt === Infinity) pump();
  }
  return { successes: successes.filter((ms) => ms <= s.runMs), rejected, runMs: s.runMs };
}
