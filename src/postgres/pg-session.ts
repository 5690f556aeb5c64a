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
