import type { RunLedger } from '../ledger/run-ledger.js';

/**
 * How many jobs are where in one state. For a terminal state, `completed` counts the jobs that
 * reached it; a non-terminal state's jobs are `waiting`, `executing`, or `failed` (stopped there).
 *
 * @example
 * ```ts
 * const s: StateStatus = { state: 'fetch', terminal: false, waiting: 90, executing: 10, committing: 3, completed: 0, failed: 0 };
 * ```
 * @public
 */
export interface StateStatus {
  /** The state's name. */
  readonly state: string;
  /** Whether the state is terminal. */
  readonly terminal: boolean;
  /** Jobs waiting for a slot, a due time or their children (the two below included). */
  readonly waiting: number;
  /** Of those waiting: jobs waiting out a delay (`delayMs`) or a retry backoff. Absent means 0. */
  readonly delayed?: number;
  /** Of those waiting: jobs in a join state waiting for their children to settle. Absent means 0. */
  readonly joining?: number;
  /** Jobs whose exec is running: never more than the state's concurrency. */
  readonly executing: number;
  /** Jobs whose exec finished and whose transition is being stored (always 0 without a store). */
  readonly committing: number;
  /** Jobs that finished here (terminal states only). */
  readonly completed: number;
  /** Jobs that stopped here marked failed. */
  readonly failed: number;
  /**
   * The concurrency limit now, for a state whose `concurrency` is `adaptive(…)` (see its
   * `snapshot()` for why it is there). Absent for a fixed concurrency and a terminal state.
   */
  readonly limit?: number;
  /**
   * `true` while the state is paused (`processor.pause(state)`, `jorb pause`, the dashboard): it
   * starts no attempt and its jobs wait. Absent while it runs.
   */
  readonly paused?: boolean;
}

/**
 * Receives the status of every state, in declared order, each time something changed. Updates are
 * coalesced: at most one per turn of the event loop, never two equal ones in a row.
 *
 * The second argument, when the processor keeps its ledger (its `ledger` option, on by default),
 * computes the run's {@link RunLedger} when called: rates, durations, utilisation and the
 * bottleneck verdict as of that moment. It costs a little (a sort of each state's recent
 * durations), so call it only when you show it; a listener of one parameter never pays for it.
 *
 * @example
 * ```ts
 * const status: StatusListener = (states, ledger) => {
 *   console.log(states.map((s) => `${s.state}:${s.waiting}`).join(' '));
 *   const bottleneck = ledger?.().bottleneck;
 *   if (bottleneck?.state !== undefined) console.log(`bottleneck: ${bottleneck.state} (${bottleneck.kind})`);
 * };
 * ```
 * @public
 */
export type StatusListener = (statuses: readonly StateStatus[], ledger?: () => RunLedger) => void;
