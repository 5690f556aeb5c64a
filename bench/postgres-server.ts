// A real PostgreSQL for the postgres workload, started the way the tests start theirs
// (test/support/postgres-server.ts, mirrored here since that one is tied to vitest): the newest
// /usr/lib/postgresql/<version>/bin, `initdb` into a fresh temp dir, `pg_ctl start` on 127.0.0.1
// with a free port, as the `postgres` user when we are root (the server refuses to run as root).
// Loopback only, fsync on, PostgreSQL's default settings otherwise. Stopped and removed by
// `stop()`, and also when the bench exits early (an exception, Ctrl-C, SIGTERM).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface BenchPostgres {
  readonly port: number;
  /** The server's version, as `SHOW server_version` says. */
  readonly version: string;
  /** A URL of database `db` as the (trusted) superuser `postgres`. */
  url(db?: string): string;
  /** Runs SQL on `db` as the superuser and returns the rows. */
  sql<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[], db?: string): Promise<R[]>;
  /** Stops the server (immediate) and removes its directory; idempotent. */
  stop(): void;
}

const asRoot = process.getuid?.() === 0;
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

function binDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  const newest = versions[0];
  if (newest === undefined) throw new Error(`postgres bench: no PostgreSQL found under ${base}/*/bin: install the Debian package postgresql`);
  return join(base, newest, 'bin');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function run(bin: string, program: string, args: string[], timeoutMs: number): SpawnSyncReturns<string> {
  const command = asRoot ? 'runuser' : join(bin, program);
  const argv = asRoot ? ['-u', 'postgres', '--', join(bin, program), ...args] : args;
  const result = spawnSync(command, argv, { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error !== undefined || result.status !== 0) {
    throw new Error(`${program} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}):\n${result.stdout}${result.stderr}`);
  }
  return result;
}

/** Starts a fresh server; bounded in time (initdb 60 s, start 30 s). */
export async function startBenchPostgres(): Promise<BenchPostgres> {
  installHandlers();
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'jorb-bench-pg-'));
  const data = join(dir, 'data');
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    live.delete(stop);
    if (existsSync(join(data, 'postmaster.pid'))) {
      try {
        run(bin, 'pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w', '-t', '30'], 40_000);
      } catch {
        // the directory goes anyway
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  live.add(stop);
  try {
    if (asRoot) {
      const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout);
      const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout);
      if (!Number.isInteger(uid) || uid === 0) throw new Error('no postgres user: install the Debian package postgresql, which creates it');
      chownSync(dir, uid, gid);
    }
    run(bin, 'initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-instructions'], 60_000);
    writeFileSync(join(data, 'pg_hba.conf'), ['local all postgres trust', 'host all postgres 127.0.0.1/32 trust', ''].join('\n'));
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      appendFileSync(join(data, 'postgresql.conf'), `\nlisten_addresses = '127.0.0.1'\nport = ${port}\nunix_socket_directories = '${dir}'\nfsync = on\n`);
      try {
        run(bin, 'pg_ctl', ['start', '-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '30'], 40_000);
        break;
      } catch (error) {
        if (attempt >= 3) throw error; // someone took the port between asking and listening: ask again
      }
    }
    const url = (db = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${db}`;
    const sql = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = [], db = 'postgres'): Promise<R[]> => {
      const client = new pg.Client({ connectionString: url(db), connectionTimeoutMillis: 10_000 });
      await client.connect();
      try {
        return (await client.query<R>(text, values)).rows;
      } finally {
        await client.end();
      }
    };
    const version = (await sql<{ server_version: string }>('SHOW server_version'))[0]?.server_version ?? '?';
    return { port, version, url, sql, stop };
  } catch (error) {
    const log = join(dir, 'server.log');
    const tail = existsSync(log) ? `\nserver log:\n${readFileSync(log, 'utf8').slice(-2000)}` : '';
    stop();
    throw new Error(`postgres bench: could not start PostgreSQL: ${error instanceof Error ? error.message : String(error)}${tail}`);
  }
}

/** `xact_commit` of database `db` in pg_stat_database (the server's count of committed transactions). */
export async function xactCommit(server: BenchPostgres, db: string): Promise<number> {
  const rows = await server.sql<{ n: string }>('SELECT xact_commit::text AS n FROM pg_stat_database WHERE datname = $1', [db]);
  return Number(rows[0]?.n ?? NaN);
}
