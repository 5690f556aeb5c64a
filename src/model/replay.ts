import { applyRecord } from './apply-record.js';
import type { Run } from './run.js';
import type { StoreRecord } from './store-record.js';

/**
 * Replays records, in order, onto a run restored from a snapshot, and returns the run: how a store
 * turns what it holds back into the run it was given.
 *
 * @example
 * ```ts
 * const run = replay(fromSnapshot<OC, JC>(snapshot, 'my-store'), records);
 * ```
 * @public
 */
export function replay<OC, JC>(run: Run<OC, JC>, records: Iterable<StoreRecord<JC>>): Run<OC, JC> {
  for (const record of records) applyRecord(run as Run<unknown, JC>, record);
  return run;
}
