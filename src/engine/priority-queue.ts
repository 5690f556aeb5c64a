import { Fifo } from './fifo.js';

/**
 * The waiting jobs of a state: higher priority first, first-in-first-out among equals. Jobs
 * without a priority are priority 0, so a run that uses none pays for one bucket.
 */
export class PriorityQueue<T extends { readonly priority?: number }> {
  readonly #buckets = new Map<number, Fifo<T>>();
  /** Priorities with a bucket, highest first. */
  #order: number[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(item: T): void {
    this.#bucket(item.priority ?? 0).push(item);
    this.#length++;
  }

  /** Puts an item back at the front of its priority (a job bounced by a rate limit). */
  unshift(item: T): void {
    this.#bucket(item.priority ?? 0).unshift(item);
    this.#length++;
  }

  shift(): T | undefined {
    for (const priority of this.#order) {
      const item = this.#buckets.get(priority)?.shift();
      if (item === undefined) continue;
      this.#length--;
      return item;
    }
    return undefined;
  }

  #bucket(priority: number): Fifo<T> {
    let bucket = this.#buckets.get(priority);
    if (bucket) return bucket;
    bucket = new Fifo<T>();
    this.#buckets.set(priority, bucket);
    this.#order = [...this.#buckets.keys()].sort((a, b) => b - a);
    return bucket;
  }
}
