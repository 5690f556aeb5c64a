// A real PostgreSQL for the tests, from the Debian package: `initdb` into a fresh temp directory,
// `pg_ctl start` on 127.0.0.1 with a free port, as the `postgres` user when we are root (the server
// refuses to run as root). Loopback only; fsync stays on. One server per test file:
// `usePostgresServer()` starts it in beforeAll and stops it (and removes the directory) in afterAll.
//
// Authentication: the superuser `postgres` is trusted on loopback; every other role must give its
// password (scram-sha-256), so the credentials test has a role with a password: `jorb_user`.
import { afterAll, beforeAll } from 'vitest';
import { type PostgresProcess, startPostgresProcess } from './postgres-process.js';

export { freePort, postgresBinDir } from './postgres-process.js';

/** A role that logs in with a password (the superuser is trusted instead). */
export const PASSWORD_USER = { name: 'jorb_user', password: 'correct horse' } as const;

/** A running server, with a role that logs in with a password. */
export interface PostgresServer extends PostgresProcess {
  /** A URL as the password role. */
  userUrl(password: string, db?: string): string;
}

/** Starts a fresh server with the password role; bounded in time (initdb 60 s, start 30 s). */
export async function startPostgres(): Promise<PostgresServer> {
  const server = await startPostgresProcess({
    prefix: 'jorb-pg-',
    settings: ['max_connections = 200', 'shared_buffers = 32MB'],
    hba: ['host all all 127.0.0.1/32 scram-sha-256'],
  });
  try {
    await server.sql(`CREATE ROLE ${PASSWORD_USER.name} LOGIN PASSWORD '${PASSWORD_USER.password}'`);
    await server.sql(`GRANT ALL ON DATABASE postgres TO ${PASSWORD_USER.name}`);
    await server.sql(`GRANT CREATE ON SCHEMA public TO ${PASSWORD_USER.name}`);
  } catch (error) {
    server.stop();
    throw error;
  }
  const { port } = server;
  return { ...server, userUrl: (password, db = 'postgres') => `postgres://${PASSWORD_USER.name}:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}` };
}

/** One server for the test file: started before its first test, stopped after its last. */
export function usePostgresServer(): () => PostgresServer {
  let server: PostgresServer | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterAll(() => {
    server?.stop();
    server = undefined;
  });
  return () => {
    if (server === undefined) throw new Error('the PostgreSQL server is not started: call usePostgresServer() at the top of the test file');
    return server;
  };
}
