// Starting a real PostgreSQL from the Debian package, with nothing of vitest: the tests
// (./postgres-server.ts) and the postgres bench (bench/postgres-server.ts) both start theirs here.
// `initdb` into a fresh temp directory, `pg_ctl start` on 127.0.0.1 with a free port, as the
// `postgres` user when we are root (the server refuses to run as root). Loopback only; fsync on.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** How a server is set up beyond what every one gets. */
export interface PostgresSetup {
  /** The temp directory's name starts with this. */
  readonly prefix: string;
  /** Lines added to postgresql.conf (listen address, port, socket directory and fsync are set already). */
  readonly settings: readonly string[];
  /** Lines added to pg_hba.conf after the superuser's trusted ones. */
  readonly hba: readonly string[];
}

/** A running server. */
export interface PostgresProcess {
  readonly port: number;
  readonly dir: string;
  /** A URL of database `db` as the (trusted) superuser `postgres`. */
  url(db?: string): string;
  /** Runs SQL on `db` as the superuser and returns the rows. */
  sql<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[], db?: string): Promise<R[]>;
  /** `pg_ctl restart -m fast`, without blocking this process: resolves with the milliseconds it took (bounded: 60 s). */
  restart(): Promise<number>;
  /** Stops the server (immediate) and removes its directory; idempotent. */
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

/** The command line of a PostgreSQL program, run as `postgres` when we are root. */
function commandOf(bin: string, program: string, args: string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, program), ...args]] : [join(bin, program), args];
}

/** Runs a PostgreSQL program; throws with its output when it fails. */
function run(bin: string, program: string, args: string[], timeoutMs: number): SpawnSyncReturns<string> {
  const [command, argv] = commandOf(bin, program, args);
  const result = spawnSync(command, argv, { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error !== undefined || result.status !== 0) {
    throw new Error(`${program} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}):\n${result.stdout}${result.stderr}`);
  }
  return result;
}

/** Runs a PostgreSQL program as `run` does, without blocking this process; resolves when it exits 0. */
function runAsync(bin: string, program: string, args: string[], timeoutMs: number): Promise<void> {
  const [command, argv] = commandOf(bin, program, args);
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
export async function startPostgresProcess(setup: PostgresSetup): Promise<PostgresProcess> {
  const bin = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), setup.prefix));
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
    if (asRoot) {
      const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout);
      const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout);
      if (!Number.isInteger(uid) || uid === 0) throw new Error('no postgres user: install the Debian package postgresql, which creates it');
      chownSync(dir, uid, gid);
    }
    run(bin, 'initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-instructions'], 60_000);
    writeFileSync(join(data, 'pg_hba.conf'), ['local all postgres trust', 'host all postgres 127.0.0.1/32 trust', ...setup.hba, ''].join('\n'));
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const settings = [`listen_addresses = '127.0.0.1'`, `port = ${port}`, `unix_socket_directories = '${dir}'`, 'fsync = on', ...setup.settings];
      appendFileSync(join(data, 'postgresql.conf'), `\n${settings.join('\n')}\n`);
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
    const restart = async () => {
      const started = performance.now();
      await runAsync(bin, 'pg_ctl', ['restart', '-D', data, '-m', 'fast', '-l', join(dir, 'server.log'), '-w', '-t', '50'], 60_000);
      return performance.now() - started;
    };
    return { port, dir, url, sql, restart, stop };
  } catch (error) {
    const log = join(dir, 'server.log');
    const tail = existsSync(log) ? `\nserver log:\n${readFileSync(log, 'utf8').slice(-2000)}` : '';
    stop();
    throw new Error(`could not start PostgreSQL: ${error instanceof Error ? error.message : String(error)}${tail}`);
  }
}
