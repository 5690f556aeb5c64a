// A real PostgreSQL for the tests, from the Debian package: `initdb` into a fresh temp directory,
// `pg_ctl start` on 127.0.0.1 with a free port, as the `postgres` user when we are root (the server
// refuses to run as root). Loopback only; fsync stays on. One server per test file:
// `usePostgresServer()` starts it in beforeAll and stops it (and removes the directory) in afterAll.
//
// Authentication: the superuser `postgres` is trusted on loopback; every other role must give its
// password (scram-sha-256), so the credentials test has a role with a password: `jorb_user`.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';

/** A role that logs in with a password (the superuser is trusted instead). */
export const PASSWORD_USER = { name: 'jorb_user', password: 'correct horse' } as const;

/** A running server. */
export interface PostgresServer {
  readonly port: number;
  readonly dir: string;
  /** A URL of database `db` as the (trusted) superuser. */
  url(db?: string): string;
  /** A URL as the password role. */
  userUrl(password: string, db?: string): string;
  /** Runs SQL as the superuser on `db` and returns the rows. */
  sql<R extends Record<string, unknown> = Record<string, unknown>>(text: string, values?: unknown[], db?: string): Promise<R[]>;
  /**
   * Restarts the server as `pg_ctl restart -m fast` does (every session is ended, then the server
   * starts again on the same port), without blocking this process: resolves with the time it took
   * once the server accepts connections again (bounded: 60 s).
   */
  restart(): Promise<number>;
  /** Stops the server and removes its directory. */
  stop(): void;
}

/** The newest installed PostgreSQL's bin directory (/usr/lib/postgresql/<version>/bin). */
export function postgresBinDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  const newest = versions[0];
  if (newest === undefined) throw new Error(`no PostgreSQL found under ${base}/*/bin: install the Debian package postgresql (.ci/run does)`);
  return join(base, newest, 'bin');
}

/** A TCP port on 127.0.0.1 that nothing listens on (at the moment of asking). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const asRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL program, as `postgres` when we are root; throws with its output when it fails. */
function run(bin: string, program: string, args: string[], timeoutMs: number): SpawnSyncReturns<string> {
  const command = asRoot ? 'runuser' : join(bin, program);
  const argv = asRoot ? ['-u', 'postgres', '--', join(bin, program), ...args] : args;
  const result = spawnSync(command, argv, { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error !== undefined || result.status !== 0) {
    throw new Error(`${program} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}):\n${result.stdout}${result.stderr}`);
  }
  return result;
}

/** Runs a PostgreSQL program as `run` does, without blocking this process; resolves when it exits 0. */
function runAsync(bin: string, program: string, args: string[], timeoutMs: number): Promise<void> {
  const command = asRoot ? 'runuser' : join(bin, program);
  const argv = asRoot ? ['-u', 'postgres', '--', join(bin, program), ...args] : args;
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${program} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${output}`))));
  });
}

/** Starts a fresh server; bounded in time (initdb 60 s, start 30 s). */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'jorb-pg-'));
  if (asRoot) {
    const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout);
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout);
    if (!Number.isInteger(uid) || uid === 0) throw new Error('no postgres user: install the Debian package postgresql, which creates it');
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    if (existsSync(join(data, 'postmaster.pid'))) {
      try {
        run(bin, 'pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w', '-t', '30'], 40_000);
      } catch {
        // the directory goes anyway
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    run(bin, 'initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-instructions'], 60_000);
    writeFileSync(
      join(data, 'pg_hba.conf'),
      ['local all postgres trust', 'host all postgres 127.0.0.1/32 trust', 'host all all 127.0.0.1/32 scram-sha-256', ''].join('\n'),
    );
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      appendFileSync(
        join(data, 'postgresql.conf'),
        `\nlisten_addresses = '127.0.0.1'\nport = ${port}\nunix_socket_directories = '${dir}'\nmax_connections = 200\nfsync = on\nshared_buffers = 32MB\n`,
      );
      try {
        run(bin, 'pg_ctl', ['start', '-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '30'], 40_000);
        break;
      } catch (error) {
        if (attempt >= 3) throw error; // someone took the port between asking and listening: ask again
      }
    }
    const url = (db = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${db}`;
    const sql = async <R extends Record<string, unknown>>(text: string, values: unknown[] = [], db = 'postgres'): Promise<R[]> => {
      const client = new pg.Client({ connectionString: url(db), connectionTimeoutMillis: 10_000 });
      await client.connect();
      try {
        return (await client.query<R>(text, values)).rows;
      } finally {
        await client.end();
      }
    };
    await sql(`CREATE ROLE ${PASSWORD_USER.name} LOGIN PASSWORD '${PASSWORD_USER.password}'`);
    await sql(`GRANT ALL ON DATABASE postgres TO ${PASSWORD_USER.name}`);
    await sql(`GRANT CREATE ON SCHEMA public TO ${PASSWORD_USER.name}`);
    return {
      port,
      dir,
      url,
      userUrl: (password, db = 'postgres') => `postgres://${PASSWORD_USER.name}:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`,
      sql,
      restart: async () => {
        const started = performance.now();
        await runAsync(bin, 'pg_ctl', ['restart', '-D', data, '-m', 'fast', '-l', join(dir, 'server.log'), '-w', '-t', '50'], 60_000);
        return performance.now() - started;
      },
      stop,
    };
  } catch (error) {
    const log = join(dir, 'server.log');
    const tail = existsSync(log) ? `\nserver log:\n${readFileSync(log, 'utf8').slice(-2000)}` : '';
    stop();
    throw new Error(`could not start PostgreSQL: ${error instanceof Error ? error.message : String(error)}${tail}`);
  }
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
