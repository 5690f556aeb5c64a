import { Fifo } from './fifo.js';

/**
 * The waiting jobs of a state: higher priority first, first-in-first-out among equals. One FIFO
 * bucket per priority in use, and the priorities in a max-heap, so pushing and shifting cost
 * O(log p) for p distinct priorities (50,000 of them cost about what one does); jobs without a
 * priority are priority 0, so a run that uses none pays for one bucket.
 */
export class PriorityQueue<T extends { readonly priority?: number }> {
  readonly #buckets = new Map<number, Fifo<T>>();
  /** The priorities that have a non-empty bucket, as a binary max-heap. */
  readonly #heap: number[] = [];
  #length = 0;
  /** The time the item `shift` returned last was pushed with (see {@link Fifo.shiftedAt}). */
  shiftedAt = 0;

  get length(): number {
    return this.#length;
  }

  push(item: T, at = 0): void {
    this.#bucket(item.priority ?? 0).push(item, at);
    this.#length++;
  }

  /** Puts an item back at the front of its priority (a job bounced by a rate limit). */
  unshift(item: T, at = 0): void {
    this.#bucket(item.priority ?? 0).unshift(item, at);
    this.#length++;
  }

  shift(): T | undefined {
    const top = this.#heap[0];
    if (top === undefined) return undefined;
    const bucket = this.#buckets.get(top) as Fifo<T>;
    const item = bucket.shift();
    this.shiftedAt = bucket.shiftedAt;
    if (bucket.length === 0) {
      this.#buckets.delete(top);
      this.#popTop();
    }
    this.#length--;
    return item;
  }

  #bucket(priority: number): Fifo<T> {
    let bucket = this.#buckets.get(priority);
    if (bucket) return bucket;
    bucket = new Fifo<T>();
    this.#buckets.set(priority, bucket);
    this.#pushPriority(priority);
    return bucket;
  }

  #pushPriority(priority: number): void {
    const heap = this.#heap;
    let i = heap.push(priority) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((heap[parent] as number) >= priority) break;
      heap[i] = heap[parent] as number;
      i = parent;
    }
    heap[i] = priority;
  }

  #popTop(): void {
    const heap = this.#heap;
    const last = heap.pop() as number;
    if (heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && (heap[right] as number) > (heap[left] as number) ? right : left;
      if ((heap[child] as number) <= last) break;
      heap[i] = heap[child] as number;
      i = child;
    }
    heap[i] = last;
  }
}
