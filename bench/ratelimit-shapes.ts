// The quota shapes of the ratelimit workload (issue #21), as pure models of a service: each is
// told when a request arrives (in ms on whatever clock drives it) and answers whether it is
// admitted, and if not how long until it would be. The HTTP server (bench/ratelimit-server.ts)
// and the fake-clock tests (test/aimd-shapes.test.ts) both run these, so the bench and the tests
// measure the same services.
//
//   fixed-1s      a fixed window of 1 s: `quota` requests per wall-clock second, counted afresh at
//                 each boundary; over it, 429 with the wait until the boundary
//   fixed-60s     the same per minute (`quota × 60` a window of 60 s; the bench may scale the window
//                 down, and says so); the run starts part-way into a window
//   sliding-1s    a sliding log: a request is admitted when fewer than `quota` were admitted in the
//                 last second; the wait is until the oldest of them is a second old
//   bucket-burst  a token bucket refilled at `quota` a second that holds a full second of it
//                 (`quota` requests), starting full
//   concurrency   a concurrency cap: at most k requests in flight (each takes `latencyMs`), 503
//                 with no wait beyond that; its quota is k / latency
//   halve-double  a token bucket holding 100 ms of quota whose rate is `quota` for the first third
//                 of the run, half of it for the second, `quota` again for the last
//
// The retry hint a rejection carries is the wait rounded as the service would send it: none, HTTP's
// whole seconds (`Retry-After`, at least 1), or the precise wait (`Retry-After-Ms`).

/** The shapes, in the order the matrix prints them. */
export const SHAPES = ['fixed-1s', 'fixed-60s', 'sliding-1s', 'bucket-burst', 'concurrency', 'halve-double'] as const;
export type ShapeName = (typeof SHAPES)[number];
/** How a rejection says how long to wait. */
export const HINTS = ['none', 'seconds', 'precise'] as const;
export type Hint = (typeof HINTS)[number];

/** A service's answer to one request. */
export interface Admission {
  /** 200, or 429 over a quota, or 503 over a concurrency cap. */
  readonly status: 200 | 429 | 503;
  /** For a rejection: how long until the service would admit one, in ms, if it knows. */
  readonly waitMs?: number | undefined;
}

/** A service with a hidden quota. Times are ms on the clock that drives it. */
export interface ServiceModel {
  /** A request arrives at `now`. */
  admit(now: number): Admission;
  /** An admitted request's response goes out at `now` (frees a concurrency slot). */
  finished(now: number): void;
  /** How long an admitted request takes, in ms (0: at once). */
  readonly latencyMs: number;
  /** The quota in effect at `now`, in requests a second. */
  quotaAt(now: number): number;
}

export interface ShapeSettings {
  readonly shape: ShapeName;
  /** Requests a second (for fixed-60s: a minute's quota over 60). */
  readonly quota: number;
  /** When the run starts on the service's clock, in ms. */
  readonly start: number;
  /** How long the run lasts, in ms (halve-double changes its rate at its thirds). */
  readonly runMs: number;
  /** fixed-60s: the window's length, 60,000 unless scaled down. */
  readonly longWindowMs?: number;
  /** Fixed windows: how far into a window the run starts, in ms. */
  readonly offsetMs?: number;
}

/** The concurrency cap's parameters for a quota: k in flight, each taking latencyMs, k / latency = quota. */
export function concurrencyCap(quota: number): { readonly k: number; readonly latencyMs: number } {
  const latencyMs = quota <= 10 ? 100 : quota <= 100 ? 20 : 10;
  return { k: Math.max(1, Math.round((quota * latencyMs) / 1000)), latencyMs };
}

/** The quota in effect at `t` ms into a halve-double run of `runMs`. */
function halveDoubleQuota(quota: number, t: number, runMs: number): number {
  return t >= runMs / 3 && t < (2 * runMs) / 3 ? quota / 2 : quota;
}

/** Makes a fresh service of the given shape. */
export function makeService(s: ShapeSettings): ServiceModel {
  switch (s.shape) {
    case 'fixed-1s':
      return new FixedWindow(s.quota, 1000, s.start - (s.offsetMs ?? 0));
    case 'fixed-60s': {
      const windowMs = s.longWindowMs ?? 60_000;
      return new FixedWindow((s.quota * windowMs) / 1000, windowMs, s.start - (s.offsetMs ?? 0), s.quota);
    }
    case 'sliding-1s':
      return new SlidingLog(s.quota);
    case 'bucket-burst':
      return new Bucket(() => s.quota, s.quota, s.start);
    case 'concurrency':
      return new ConcurrencyCap(s.quota);
    case 'halve-double':
      return new Bucket((now) => halveDoubleQuota(s.quota, now - s.start, s.runMs), Math.max(2, s.quota / 10), s.start);
  }
}

/** The wait a rejection tells the client, rounded as `hint` says; undefined for none. */
export function hintedWait(hint: Hint, waitMs: number | undefined): number | undefined {
  if (waitMs === undefined || hint === 'none') return undefined;
  return hint === 'seconds' ? Math.max(1, Math.ceil(waitMs / 1000)) * 1000 : waitMs;
}

class FixedWindow implements ServiceModel {
  readonly latencyMs = 0;
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #origin: number;
  readonly #perSecond: number;
  #window = -Infinity;
  #count = 0;

  constructor(limit: number, windowMs: number, origin: number, perSecond = limit) {
    this.#limit = limit;
    this.#windowMs = windowMs;
    this.#origin = origin;
    this.#perSecond = perSecond;
  }

  admit(now: number): Admission {
    const window = Math.floor((now - this.#origin) / this.#windowMs);
    if (window !== this.#window) {
      this.#window = window;
      this.#count = 0;
    }
    if (this.#count < this.#limit) {
      this.#count++;
      return { status: 200 };
    }
    return { status: 429, waitMs: this.#origin + (window + 1) * this.#windowMs - now };
  }

  finished(): void {}

  quotaAt(): number {
    return this.#perSecond;
  }
}

class SlidingLog implements ServiceModel {
  readonly latencyMs = 0;
  readonly #quota: number;
  /** Admission times, a ring of `quota`. */
  readonly #times: Float64Array;
  #head = 0;
  #size = 0;

  constructor(quota: number) {
    this.#quota = Math.max(1, Math.round(quota));
    this.#times = new Float64Array(this.#quota);
  }

  admit(now: number): Admission {
    while (this.#size > 0 && (this.#times[this.#head] as number) <= now - 1000) {
      this.#head = (this.#head + 1) % this.#quota;
      this.#size--;
    }
    if (this.#size < this.#quota) {
      this.#times[(this.#head + this.#size) % this.#quota] = now;
      this.#size++;
      return { status: 200 };
    }
    return { status: 429, waitMs: (this.#times[this.#head] as number) + 1000 - now };
  }

  finished(): void {}

  quotaAt(): number {
    return this.#quota;
  }
}

class Bucket implements ServiceModel {
  readonly latencyMs = 0;
  readonly #rate: (now: number) => number;
  readonly #burst: number;
  #tokens: number;
  #stamp: number;

  constructor(rate: (now: number) => number, burst: number, start: number) {
    this.#rate = rate;
    this.#burst = burst;
    this.#tokens = burst;
    this.#stamp = start;
  }

  admit(now: number): Admission {
    const rate = this.#rate(now);
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#stamp) * rate) / 1000);
    this.#stamp = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return { status: 200 };
    }
    return { status: 429, waitMs: ((1 - this.#tokens) * 1000) / rate };
  }

  finished(): void {}

  quotaAt(now: number): number {
    return this.#rate(now);
  }
}

class ConcurrencyCap implements ServiceModel {
  readonly latencyMs: number;
  readonly #k: number;
  readonly #quota: number;
  #inFlight = 0;

  constructor(quota: number) {
    const { k, latencyMs } = concurrencyCap(quota);
    this.#k = k;
    this.latencyMs = latencyMs;
    this.#quota = (k * 1000) / latencyMs;
  }

  admit(): Admission {
    if (this.#inFlight >= this.#k) return { status: 503 };
    this.#inFlight++;
    return { status: 200 };
  }

  finished(): void {
    this.#inFlight--;
  }

  quotaAt(): number {
    return this.#quota;
  }
}
