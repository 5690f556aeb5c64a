/** A connection string as messages may show it: the password replaced by `***`. */
export function redactConnectionString(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/?#]*:)[^@/?#]*@/i, '$1***@').replace(/([?&]password=)[^&#]*/i, '$1***');
}

/** Where a connection string points, for messages: `host:port/database` (the defaults pg uses filled in). */
export interface ServerAddress {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
}

/**
 * The problem with a connection string, or undefined when it is a PostgreSQL URL this store can use:
 * `postgres://` or `postgresql://`, parseable, with a port (when given) from 1 to 65535.
 */
export function connectionStringProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') return `has the scheme "${url.protocol}", not postgres: or postgresql:`;
  if (url.port !== '' && (Number(url.port) < 1 || Number(url.port) > 65_535)) return `has the port ${url.port}`;
  return undefined;
}

/** The server, database and user a (valid) connection string names, with libpq's defaults. */
export function serverAddress(text: string): ServerAddress {
  const url = new URL(text);
  const host = decodeURIComponent(url.hostname).replace(/^\[(.*)\]$/, '$1') || url.searchParams.get('host') || 'localhost';
  const user = decodeURIComponent(url.username) || process.env['PGUSER'] || process.env['USER'] || 'postgres';
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || user;
  return { host, port: url.port === '' ? 5432 : Number(url.port), database, user };
}
