// Baseline for W3: the same two-stage pipeline (fetch -> parse -> done) written directly on two
// p-queue instances, with no engine in between. It is p-queue used at its best: waiting items stay
// in our own array per stage and queue.add() is called only while fewer than `concurrency` tasks
// are in flight, so p-queue never holds a backlog of closures and promises. The engine's
// throughput is compared against this.
import PQueue from 'p-queue';

type Item = { n: number };
type Exec = (args: { jc: Item }) => Promise<{ state: string; jc: Item }>;

/** An array with O(1) shift: items are never compacted, fine for one bounded pass. */
class Waiting {
  readonly #items: (Item | undefined)[] = [];
  #head = 0;
  get length(): number {
    return this.#items.length - this.#head;
  }
  push(item: Item): void {
    this.#items.push(item);
  }
  shift(): Item {
    const item = this.#items[this.#head] as Item;
    this.#items[this.#head++] = undefined;
    return item;
  }
}

/** One stage: its queue, its waiting items, its in-flight count and what to do with a result. */
class Stage {
  readonly queue: PQueue;
  readonly waiting = new Waiting();
  inFlight = 0;
  readonly #concurrency: number;
  readonly #exec: Exec;
  readonly #next: (item: Item) => void;

  constructor(concurrency: number, exec: Exec, next: (item: Item) => void) {
    this.queue = new PQueue({ concurrency });
    this.#concurrency = concurrency;
    this.#exec = exec;
    this.#next = next;
  }

  push(item: Item): void {
    this.waiting.push(item);
    this.topUp();
  }

  topUp(): void {
    while (this.inFlight < this.#concurrency && this.waiting.length > 0) {
      const item = this.waiting.shift();
      this.inFlight++;
      void this.queue.add(() => this.#run(item));
    }
  }

  async #run(item: Item): Promise<void> {
    try {
      const result = await this.#exec({ jc: item });
      this.#next(result.jc);
    } finally {
      this.inFlight--;
      this.topUp();
    }
  }
}

/** Runs `items` through two chained stages; resolves with the elapsed seconds. */
export function runPQueueChain(items: readonly Item[], concurrency: number): Promise<number> {
  const fetch: Exec = async ({ jc }) => ({ state: 'parse', jc });
  const parse: Exec = async ({ jc }) => ({ state: 'done', jc });
  return new Promise((resolve) => {
    const done: Item[] = [];
    let start = 0;
    const finish = (item: Item) => {
      done.push(item);
      if (done.length === items.length) resolve(seconds(start));
    };
    const stage2 = new Stage(concurrency, parse, finish);
    const stage1 = new Stage(concurrency, fetch, (item) => stage2.push(item));
    start = now();
    for (const item of items) stage1.waiting.push(item);
    stage1.topUp();
    if (items.length === 0) resolve(seconds(start));
  });
}

function now(): number {
  return performance.now();
}

function seconds(start: number): number {
  return (performance.now() - start) / 1000;
}
