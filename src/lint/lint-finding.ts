import type { SourceLocation } from '../model/source-location.js';

/**
 * What `jorb lint` looks for, beyond what the type system can see.
 *
 * - `unreachable`: no path leads to the state from a state a run starts in.
 * - `no-terminal-path`: a job in the state can never reach a terminal state.
 * - `self-loop-no-exit`: the state's only target is itself.
 * - `spawn-cycle`: the state kicks jobs that lead back to it, so jobs may kick jobs without end
 *   (mark the state `recursive: true` when the data bounds it).
 *
 * @example
 * ```ts
 * const rules: LintRule[] = ['unreachable', 'spawn-cycle'];
 * ```
 * @public
 */
export type LintRule = 'unreachable' | 'no-terminal-path' | 'self-loop-no-exit' | 'spawn-cycle';

/**
 * One lint finding about one state.
 *
 * @example
 * ```ts
 * for (const f of lintWorkflow(crawl)) console.log(`${f.workflow}:${f.state}: ${f.message}`);
 * ```
 * @public
 */
export interface LintFinding {
  /** Which check found it. */
  readonly rule: LintRule;
  /** The workflow's name. */
  readonly workflow: string;
  /** The state it is about. */
  readonly state: string;
  /** What is wrong, in words. */
  readonly message: string;
  /** Where the state is declared, when known. */
  readonly source?: SourceLocation;
}
