// The event loop's delay as adaptive() reads it by default on the system clock; not part of the public API.

/** How often the sampler's timer asks to run (ms). */
const TICK_MS = 20;

/**
 * A timer-drift sampler: a timer every TICK_MS (unref'd, so it keeps no process alive), each
 * recording how late it ran. `read()` returns the mean lateness since the last read, in ms: a
 * few tenths of a millisecond on an idle loop, tens or hundreds when callbacks hog it. Real
 * time by nature; adaptive() uses it only when the processor runs on the system clock (a fake
 * clock has no event-loop delay unless a test gives one).
 *
 * @example
 * ```ts
 * const sampler = new LoopDelaySampler();
 * sampler.start();
 * setTimeout(() => { console.log(sampler.read()); sampler.stop(); }, 1000);
 * ```
 * @internal
 */
export class LoopDelaySampler {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #due = 0;
  #sum = 0;
  #count = 0;

  start(): void {
    if (this.#timer !== undefined) return;
    this.#schedule();
  }

  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The mean lateness of the sampler's timer since the last read, in ms (0 when it has not run since). */
  read(): number {
    const mean = this.#count === 0 ? 0 : this.#sum / this.#count;
    this.#sum = 0;
    this.#count = 0;
    return mean;
  }

  #schedule(): void {
    this.#due = performance.now() + TICK_MS;
    this.#timer = setTimeout(this.#tick, TICK_MS);
    this.#timer.unref();
  }

  readonly #tick = (): void => {
    this.#sum += Math.max(0, performance.now() - this.#due);
    this.#count++;
    this.#schedule();
  };
}
