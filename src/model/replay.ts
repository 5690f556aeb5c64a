import { applyRecord } from './apply-record.js';
import type { Run } from './run.js';
import type { StoreRecord } from './store-record.js';

/** Replays records, in order, onto a run restored from a snapshot. */
export function replay<OC, JC>(run: Run<OC, JC>, records: Iterable<StoreRecord<JC>>): Run<OC, JC> {
  for (const record of records) applyRecord(run as Run<unknown, JC>, record);
  return run;
}
