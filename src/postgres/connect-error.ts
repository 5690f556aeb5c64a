import { renderValue } from '../model/render-value.js';
import type { ServerAddress } from './connection-string.js';
import { PgStoreError } from './pg-store-error.js';

/** The codes of an error and of the errors it aggregates (Node reports each address it tried). */
function codes(error: unknown): string[] {
  if (error === null || typeof error !== 'object') return [];
  const own = typeof (error as { code?: unknown }).code === 'string' ? [(error as { code: string }).code] : [];
  const inner = error instanceof AggregateError ? error.errors.flatMap(codes) : [];
  return [...own, ...inner];
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message || error.name : renderValue(error);
}

/**
 * The error a failed connection attempt is reported with: one clear sentence per kind of fault,
 * naming the server, the database or the user (never the password) and what to do.
 */
export function connectError(error: unknown, at: ServerAddress, timeoutMs: number): PgStoreError {
  const server = `PostgreSQL at ${at.host}:${at.port}`;
  const found = codes(error);
  const cause = { cause: error };
  if (found.includes('ECONNREFUSED')) {
    return new PgStoreError('unreachable', `PgStore: cannot connect to ${server}: connection refused (is the server running, and listening on that address and port?)`, cause);
  }
  if (found.includes('ENOTFOUND') || found.includes('EAI_AGAIN')) {
    return new PgStoreError('unreachable', `PgStore: cannot connect to ${server}: the host "${at.host}" is not known`, cause);
  }
  if (found.includes('ETIMEDOUT') || found.includes('EHOSTUNREACH') || found.includes('ENETUNREACH') || /timeout/i.test(messageOf(error))) {
    return new PgStoreError('unreachable', `PgStore: cannot connect to ${server}: no answer within ${timeoutMs} ms (connectTimeoutMs)`, cause);
  }
  if (found.includes('28P01') || found.includes('28000')) {
    return new PgStoreError(
      'authentication',
      `PgStore: ${server} refused the user "${at.user}": ${messageOf(error)} (check the user and password in the connection string, and the server's pg_hba.conf)`,
      cause,
    );
  }
  if (found.includes('3D000')) {
    return new PgStoreError('no-database', `PgStore: ${server} has no database "${at.database}": create it (createdb ${at.database}) or fix the connection string`, cause);
  }
  return new PgStoreError('connection', `PgStore: cannot connect to ${server} (database "${at.database}", user "${at.user}"): ${messageOf(error)}`, cause);
}
