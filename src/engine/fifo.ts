/**
 * A first-in-first-out queue with O(1) shift (Array#shift is O(n) on large arrays). Each item may
 * carry a time (when it became ready, for the ledger's queue wait), kept in a parallel array of
 * numbers: no object per item. `shiftedAt` is the time of the item `shift` returned last.
 */
export class Fifo<T> {
  #items: (T | undefined)[] = [];
  #times: number[] = [];
  #head = 0;
  /** The time the last shifted item was pushed with (0 when none was given). */
  shiftedAt = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T, at = 0): void {
    this.#items.push(item);
    this.#times.push(at);
  }

  /** Puts an item back at the front. */
  unshift(item: T, at = 0): void {
    if (this.#head > 0) {
      this.#items[--this.#head] = item;
      this.#times[this.#head] = at;
    } else {
      this.#items.unshift(item);
      this.#times.unshift(at);
    }
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.shiftedAt = this.#times[this.#head] as number;
    this.#items[this.#head++] = undefined;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#times = this.#times.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
}
