// The store conformance harness for PgStore: a place is a fresh run name in the shared test server;
// a crash kills the store's PostgreSQL sessions without closing anything, as the death of its
// process would (the server then releases the run's lock).
import { expect } from 'vitest';
import type { Store } from '../../src/index.js';
import { PgStore } from '../../src/postgres/index.js';
import type { PostgresServer } from './postgres-server.js';
import type { StoreHarness } from './store-conformance.js';

/** The application_name PgStore documents for its sessions: `jorb-ts pid <pid> <run>`. */
export function pgApplicationName(run: string, pid = process.pid): string {
  return `jorb-ts pid ${pid} ${run}`;
}

/** Kills every session of the stores of this process on `run` and waits until the server has ended them (bounded). */
export async function killSessions(server: PostgresServer, run: string, pid = process.pid): Promise<void> {
  const name = pgApplicationName(run, pid);
  await server.sql('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [name]);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const left = await server.sql<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1', [name]);
    if (left[0]?.n === '0') return;
    if (Date.now() > deadline) throw new Error(`the sessions of ${name} did not end within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function pgHarness(server: () => PostgresServer, prefix: string): StoreHarness<string> {
  let places = 0;
  return {
    place: () => `${prefix}-${places++}`,
    open: <OC, JC>(run: string) => new PgStore<OC, JC>({ exclusive: true, connectionString: server().url(), run }) as Store<OC, JC>,
    crash: (run) => killSessions(server(), run),
    independentStores: true,
    writes: {
      // What was written since: every row of the run (and the run's row) that a later transaction wrote, counted whole.
      mark: async () => Number((await server().sql<{ x: string }>('SELECT txid_current() AS x'))[0]?.x),
      bytesSince: async (run, mark) => {
        const rows = await server().sql<{ bytes: string | null }>(
          `SELECT (SELECT coalesce(sum(pg_column_size(j.*)), 0) FROM jorb.jobs j WHERE j.run = $1 AND j.xmin::text::bigint > $2)
                + (SELECT coalesce(sum(pg_column_size(r.*)), 0) FROM jorb.runs r WHERE r.name = $1 AND r.xmin::text::bigint > $2) AS bytes`,
          [run, mark],
        );
        const bytes = Number(rows[0]?.bytes ?? 0);
        expect(Number.isFinite(bytes)).toBe(true);
        return bytes;
      },
    },
  };
}
