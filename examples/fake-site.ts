/**
 * An in-process stand-in for a web site, so the examples run anywhere without a network: pages with
 * links between them, real latency (timers), and the occasional server error. Seeded, so every run
 * of an example sees the same site.
 */
export interface FakeResponse {
  readonly status: number;
  readonly body: string;
}

export interface FakeSiteOptions {
  /** How many pages the site has. */
  readonly pages: number;
  /** Latency range of a request, in ms. */
  readonly latencyMs?: readonly [number, number];
  /** Share of requests answered with a 503. */
  readonly errorRate?: number;
  /** PRNG seed. */
  readonly seed?: number;
}

export class FakeSite {
  readonly #pages: number;
  readonly #latency: readonly [number, number];
  readonly #errorRate: number;
  #state: number;
  requests = 0;

  constructor(options: FakeSiteOptions) {
    this.#pages = options.pages;
    this.#latency = options.latencyMs ?? [5, 40];
    this.#errorRate = options.errorRate ?? 0.05;
    this.#state = options.seed ?? 42;
  }

  /** The URL of page `i`. */
  url(i: number): string {
    return `https://example.test/page/${i}`;
  }

  /** GET a page: its body lists links to a few other pages, as `<a href="…">`. */
  get(url: string, signal?: AbortSignal): Promise<FakeResponse> {
    this.requests++;
    const [min, max] = this.#latency;
    const delay = min + this.#random() * (max - min);
    const failed = this.#random() < this.#errorRate;
    const page = Number(/\/page\/(\d+)$/.exec(url)?.[1] ?? -1);
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        if (page < 0 || page >= this.#pages) return resolve({ status: 404, body: '' });
        if (failed) return resolve({ status: 503, body: '' });
        resolve({ status: 200, body: this.#body(page) });
      }, delay);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #body(page: number): string {
    // Page i links to 2i+1 and 2i+2 (a tree covering every page) and to one page seen before.
    const links = [2 * page + 1, 2 * page + 2, Math.floor(page / 3)].filter((p) => p < this.#pages);
    return `<h1>Page ${page}</h1>${links.map((p) => `<a href="${this.url(p)}">${p}</a>`).join(' ')}`;
  }

  /** mulberry32: small, fast, seedable. */
  #random(): number {
    let t = (this.#state += 0x6d2b79f5);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/** The links of a page body. */
export function linksOf(body: string): string[] {
  return [...body.matchAll(/href="([^"]+)"/g)].map((m) => m[1] as string);
}
