/**
 * What `processor.exec` resolves with.
 *
 * @example
 * ```ts
 * const { outcome, transitions, failed } = await processor.exec(run, { signal });
 * if (outcome === 'aborted') console.log('stopped early; run exec again to continue');
 * ```
 * @public
 */
export interface ProcessorExecResult {
  /** `complete`: every job is terminal or failed. `aborted`: the signal stopped it; exec again to continue. */
  readonly outcome: 'complete' | 'aborted';
  /** Transitions completed by this call. */
  readonly transitions: number;
  /** Jobs of the run marked failed when it returned. */
  readonly failed: number;
  /**
   * Attempts abandoned because their exec ignored its signal for `graceMs` after a timeout or the
   * abort (their slot went to the next job; what they returned later was discarded). Present only
   * when there were any.
   */
  readonly abandoned?: number;
}
