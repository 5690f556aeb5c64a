// A real PostgreSQL for the postgres workload, started the way the tests start theirs
// (test/support/postgres-process.ts, which the tests' server is built on too): the newest
// /usr/lib/postgresql/<version>/bin, `initdb` into a fresh temp dir, `pg_ctl start` on 127.0.0.1
// with a free port, as the `postgres` user when we are root (the server refuses to run as root).
// Loopback only, fsync on, PostgreSQL's default settings otherwise. Stopped and removed by
// `stop()`, and also when the bench exits early (an exception, Ctrl-C, SIGTERM).
import { type PostgresProcess, startPostgresProcess } from '../test/support/postgres-process.js';

export interface BenchPostgres extends PostgresProcess {
  /** The server's version, as `SHOW server_version` says. */
  readonly version: string;
}

const live = new Set<() => void>();
let handlersInstalled = false;

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    for (const stop of [...live]) stop();
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const stop of [...live]) stop();
      process.kill(process.pid, signal); // the handler was `once`: this one takes the default action
    });
  }
}

/** Starts a fresh server with PostgreSQL's default settings; bounded in time (initdb 60 s, start 30 s). */
export async function startBenchPostgres(): Promise<BenchPostgres> {
  installHandlers();
  const server = await startPostgresProcess({ prefix: 'jorb-bench-pg-', settings: [], hba: [] }).catch((error: unknown) => {
    throw new Error(`postgres bench: ${error instanceof Error ? error.message : String(error)}`);
  });
  const stop = (): void => {
    live.delete(stop);
    server.stop();
  };
  live.add(stop);
  try {
    const version = (await server.sql<{ server_version: string }>('SHOW server_version'))[0]?.server_version ?? '?';
    return { ...server, version, stop };
  } catch (error) {
    stop();
    throw error;
  }
}

/** `xact_commit` of database `db` in pg_stat_database (the server's count of committed transactions). */
export async function xactCommit(server: BenchPostgres, db: string): Promise<number> {
  const rows = await server.sql<{ n: string }>('SELECT xact_commit::text AS n FROM pg_stat_database WHERE datname = $1', [db]);
  return Number(rows[0]?.n ?? NaN);
}
