/**
 * jorb-ts/postgres: keep a run in PostgreSQL. One process at a time for now; multi-process
 * cooperation on one run (leases, heartbeats, cluster-wide limits) is the next step.
 *
 * @packageDocumentation
 */

export { PgStore } from './pg-store.js';
export type { PgStoreOptions } from './pg-store-options.js';
export { PgStoreError } from './pg-store-error.js';
export type { PgStoreErrorReason } from './pg-store-error.js';
export { PG_SCHEMA_VERSION } from './pg-schema.js';
