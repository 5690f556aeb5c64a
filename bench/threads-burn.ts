// The CPU-bound exec of the "threads" workload (bench/threads.ts): a fixed amount of integer work
// (jc.work rounds of xorshift, calibrated to about 5 ms on this machine), not a spin on the clock,
// so a thread that the OS preempts takes longer instead of doing less. The same function is the
// main-thread baseline's exec and the worker threads' module (its default export).

export interface BurnJC {
  readonly n: number;
  /** Rounds of work; `calibrate` says how many make the wanted milliseconds. */
  readonly work: number;
  readonly out?: number;
}

/** `rounds` of xorshift32 from `seed`: CPU work the compiler cannot skip (the result is returned). */
export function spin(seed: number, rounds: number): number {
  let x = seed | 1;
  for (let i = 0; i < rounds; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  return x >>> 0;
}

export default function burn({ jc }: { readonly jc: BurnJC }) {
  return { state: 'done' as const, jc: { ...jc, out: spin(jc.n, jc.work) } };
}
