import type { Job } from '../model/job.js';
import type { StoreRecord } from '../model/store-record.js';

/** A job the model may apply records to without changing the caller's (its errors and history are its own). */
export function copyJob<JC>(job: Job<JC>): Job<JC> {
  const errors: Record<string, string[]> = {};
  // defineProperty, not assignment: a state may be named "__proto__".
  for (const [state, list] of Object.entries(job.errors)) Object.defineProperty(errors, state, { value: [...list], enumerable: true, writable: true, configurable: true });
  return { ...job, errors, history: [...job.history] };
}

/** The record as replay may keep it: an added job is copied, so applying later records never changes the caller's. */
export function ownRecord<JC>(record: StoreRecord<JC>): StoreRecord<JC> {
  return record.type === 'add' ? { ...record, job: copyJob(record.job) } : record;
}
