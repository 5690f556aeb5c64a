import type { SpanContext } from '@opentelemetry/api';

/** How many kicking attempts of one job are kept (a job that loops and kicks each round). */
const PER_JOB = 8;

/** One attempt that kicked children: its span, and when it ended (the time its kicks were made). */
interface Kicker {
  readonly span: SpanContext;
  readonly at: number;
}

/**
 * The spans of the latest attempts that kicked children, by job id, so that a child's first
 * attempt can link to the attempt that kicked it: at most `max` of them, the oldest forgotten
 * first (insertion order), and a job's {@link PER_JOB} latest.
 *
 * A child is matched to its parent's latest kicking attempt that ended no later than the child was
 * kicked (its first history entry): a parent that kicked again since is not mistaken for the one
 * that kicked it, and a child kicked in an earlier process (before any kicking attempt of its
 * parent seen here) gets no link.
 */
export class KickMemory {
  readonly #byJob = new Map<string, Kicker[]>();
  #size = 0;

  constructor(readonly max: number) {}

  /** How many kicking attempts are remembered. */
  get size(): number {
    return this.#size;
  }

  /** Remembers that an attempt of job `jobId` that ended at `at` kicked children. */
  remember(jobId: string, span: SpanContext, at: number): void {
    if (this.max === 0) return;
    let kickers = this.#byJob.get(jobId);
    if (kickers === undefined) kickers = [];
    else this.#byJob.delete(jobId); // set again below: the job is the newest
    this.#byJob.set(jobId, kickers);
    kickers.push({ span, at });
    this.#size++;
    if (kickers.length > PER_JOB) {
      kickers.shift();
      this.#size--;
    }
    while (this.#size > this.max) this.#forgetOldest();
  }

  /** The span of job `jobId`'s attempt that kicked a child at `kickedAt`, if it is remembered. */
  kickerOf(jobId: string, kickedAt: number): SpanContext | undefined {
    const kickers = this.#byJob.get(jobId);
    if (kickers === undefined) return undefined;
    for (let i = kickers.length - 1; i >= 0; i--) {
      const kicker = kickers[i] as Kicker;
      if (kicker.at <= kickedAt) return kicker.span;
    }
    return undefined;
  }

  #forgetOldest(): void {
    const oldest = this.#byJob.entries().next();
    if (oldest.done === true) return;
    const [jobId, kickers] = oldest.value;
    kickers.shift();
    this.#size--;
    if (kickers.length === 0) this.#byJob.delete(jobId);
  }
}
