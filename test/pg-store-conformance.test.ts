// The store conformance suite (test/support/store-conformance.ts) run against PgStore on a real
// PostgreSQL, started for this file.
import { pgHarness } from './support/pg-harness.js';
import { usePostgresServer } from './support/postgres-server.js';
import { describeStoreConformance } from './support/store-conformance.js';

const server = usePostgresServer();

describeStoreConformance('PgStore', pgHarness(server, 'conformance'));
