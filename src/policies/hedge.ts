import type { HedgeOptions } from '../model/state-options.js';

/**
 * How one exec of a hedged attempt ended, as far as hedging cares.
 *
 * @example
 * ```ts
 * const kind: HedgedExecOutcome = 'threw';
 * ```
 */
export type HedgedExecOutcome = 'returned' | 'threw' | 'aborted';

/**
 * When to launch the next exec of a hedged attempt, in ms from now: `afterMs` while fewer than
 * `max` have been launched (the first included), else undefined (no more). The engine launches it
 * then if the attempt is still undecided and a rate-limit permit is free, and asks again otherwise.
 *
 * @example
 * ```ts
 * nextHedgeInMs({ afterMs: 200, max: 2 }, 1); // 200
 * nextHedgeInMs({ afterMs: 200, max: 2 }, 2); // undefined
 * ```
 */
export function nextHedgeInMs(hedge: HedgeOptions, launched: number): number | undefined {
  return launched < hedge.max ? hedge.afterMs : undefined;
}

/**
 * Whether an exec's outcome decides its hedged attempt (the others are then aborted): a returned
 * transition wins at once, so does a shutdown; a thrown error decides only when it is the last of
 * the launched execs to settle (`settled` counts it), else the attempt waits for the others.
 *
 * @example
 * ```ts
 * hedgeDecides('threw', 1, 2);    // false: the other exec may still return
 * hedgeDecides('returned', 1, 2); // true: the first to return wins
 * ```
 */
export function hedgeDecides(outcome: HedgedExecOutcome, settled: number, launched: number): boolean {
  return outcome !== 'threw' || settled === launched;
}
