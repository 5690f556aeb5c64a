/**
 * jorb-ts/postgres: keep a run in PostgreSQL, shared by every process that opens it: they claim
 * its jobs, share each state's concurrency and rate limit, and take over a dead one's work once
 * its lease runs out (docs/postgres.md). `exclusive: true` holds a run in one process instead.
 *
 * @packageDocumentation
 */

export { PgStore } from './pg-store.js';
export type { PgStoreOptions } from './pg-store-options.js';
export { PgStoreError } from './pg-store-error.js';
export type { PgStoreErrorReason } from './pg-store-error.js';
export { PG_SCHEMA_VERSION } from './pg-schema.js';
