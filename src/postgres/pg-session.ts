import type pg from 'pg';
import { connectError } from './connect-error.js';
import type { ServerAddress } from './connection-string.js';

/** Errors after which a connection cannot be used again. */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('08') || code.startsWith('57P') || code.startsWith('E'))) return true;
  return /Connection terminated|connection is closed|Client has encountered a connection error/i.test(error.message);
}

/** How the store's sessions are named in `pg_stat_activity`: `jorb-ts pid <pid> <run>`, cut to 63 bytes. */
export function applicationName(run: string): string {
  let name = `jorb-ts pid ${process.pid} ${run}`;
  while (Buffer.byteLength(name) > 63) name = [...name].slice(0, -1).join('');
  return name;
}

/**
 * The text whose 64-bit hash is the run's advisory lock key: an exclusive store takes the lock
 * exclusively, every process of a shared run takes it shared.
 */
export function lockKey(schema: string, run: string): string {
  return `jorb-ts run ${schema}.${run}`;
}

function ignore(): void {}

/**
 * A connection of `pool`, or the reason connecting failed as a PgStoreError. A checked-out client
 * whose connection breaks emits 'error' (the pool listens only while it is idle): the query in
 * progress rejects with it, and that is how a store learns of it.
 */
export async function checkoutClient(pool: pg.Pool, address: ServerAddress, connectTimeoutMs: number): Promise<pg.PoolClient> {
  try {
    const client = await pool.connect();
    if (!client.listeners('error').includes(ignore)) client.on('error', ignore);
    return client;
  } catch (error) {
    throw connectError(error, address, connectTimeoutMs);
  }
}
