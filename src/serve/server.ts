import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Dashboard } from './dashboard.js';
import { dashboardPage } from './page.js';

/** What an action asks: a redrive of a state's jobs (as `jorb redrive` does). */
export interface RedriveRequest {
  readonly from: string;
  readonly to: string;
  readonly whereError?: string;
}

/** The actions `--allow-actions` allows; each resolves to the line a person reads, or throws one. */
export interface ServeActions {
  redrive(request: RedriveRequest): Promise<string>;
  /** Pauses (`paused: true`) or resumes a working state of the run, as `jorb pause` / `jorb resume` do. */
  pause(state: string, paused: boolean): Promise<string>;
}

export interface ServeOptions {
  /** 0 (the default) takes a free port. */
  readonly port?: number;
  /** Given, actions are allowed with the token; absent, every action is refused (403). */
  readonly actions?: ServeActions;
}

/** A running dashboard server. */
export interface DashboardServer {
  readonly url: string;
  readonly port: number;
  /** The token actions need (`Authorization: Bearer <token>`), when actions are allowed. */
  readonly token: string | undefined;
  close(): Promise<void>;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Serves a dashboard on 127.0.0.1 only: `/` (the page), `/metrics` (Prometheus text), `/events`
 * (server-sent events), `/api/state`, `/api/jobs?q=`, `/api/jobs/<id>`, and the actions
 * `POST /api/actions/redrive`, `POST /api/actions/pause` and `POST /api/actions/resume`. A request naming another host is
 * refused (no DNS rebinding: a page elsewhere cannot read it through a name of its own).
 */
export async function serveDashboard(dashboard: Dashboard, options: ServeOptions = {}): Promise<DashboardServer> {
  const token = options.actions ? randomBytes(24).toString('base64url') : undefined;
  let port = 0;
  const server: Server = createServer((req, res) => {
    handle(dashboard, req, res, port, token, options.actions).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, JSON_TYPE, JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        dashboard.events.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(dashboard: Dashboard, req: IncomingMessage, res: ServerResponse, port: number, token: string | undefined, actions: ServeActions | undefined): Promise<void> {
  const host = req.headers.host ?? '';
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return send(res, 403, 'text/plain; charset=utf-8', `jorb serve answers on 127.0.0.1:${port} only\n`);
  const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
  const path = url.pathname;
  if (path.startsWith('/api/actions/')) return action(req, res, path.slice('/api/actions/'.length), token, actions);
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, JSON_TYPE, JSON.stringify({ error: `${req.method ?? ''} ${path}: only GET is served` }));
  if (path === '/') return send(res, 200, 'text/html; charset=utf-8', dashboardPage(dashboard.whole()), { 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; connect-src 'self'" });
  if (path === '/metrics') {
    return send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', dashboard.metrics());
  }
  if (path === '/events') {
    const header = req.headers['last-event-id'];
    const given = typeof header === 'string' && header !== '' ? header : url.searchParams.get('lastEventId');
    const lastId = given === null || given === undefined || !/^\d+$/.test(given) ? undefined : Number(given);
    dashboard.events.attach(res, lastId, () => dashboard.whole());
    return;
  }
  if (path === '/api/state') return send(res, 200, JSON_TYPE, JSON.stringify(dashboard.whole()));
  if (path === '/api/jobs') {
    const failed = url.searchParams.get('failed');
    const limit = url.searchParams.get('limit');
    const found = dashboard.search(url.searchParams.get('q') ?? '', {
      state: url.searchParams.get('state') ?? undefined,
      failed: failed === null ? undefined : failed === 'true',
      limit: limit === null ? undefined : Number(limit) || undefined,
    });
    return send(res, 200, JSON_TYPE, JSON.stringify(found));
  }
  if (path.startsWith('/api/jobs/')) {
    const id = decodeURIComponent(path.slice('/api/jobs/'.length));
    const job = dashboard.job(id);
    if (job === undefined) return send(res, 404, JSON_TYPE, JSON.stringify({ error: `no job ${JSON.stringify(id)} in run "${dashboard.run.name}"` }));
    return send(res, 200, JSON_TYPE, JSON.stringify(job));
  }
  send(res, 404, JSON_TYPE, JSON.stringify({ error: `${path}: not found (the dashboard serves /, /metrics, /events and /api/…)` }));
}

async function action(req: IncomingMessage, res: ServerResponse, name: string, token: string | undefined, actions: ServeActions | undefined): Promise<void> {
  if (req.method !== 'POST') return send(res, 405, JSON_TYPE, JSON.stringify({ error: 'actions are POST requests' }));
  if (actions === undefined || token === undefined) return send(res, 403, JSON_TYPE, JSON.stringify({ error: 'actions are off: start jorb serve with --allow-actions' }));
  const given = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? (typeof req.headers['x-jorb-token'] === 'string' ? req.headers['x-jorb-token'] : undefined);
  if (given === undefined || !sameToken(given, token)) return send(res, 403, JSON_TYPE, JSON.stringify({ error: 'this action needs the token jorb serve printed at start: Authorization: Bearer <token>' }));
  const body = await readBody(req);
  if (name === 'pause' || name === 'resume') return pauseAction(res, name, body, actions);
  if (name !== 'redrive') return send(res, 404, JSON_TYPE, JSON.stringify({ error: `no action ${JSON.stringify(name)} (there are redrive, pause and resume)` }));
  const request = body as Partial<RedriveRequest> | undefined;
  if (typeof request?.from !== 'string' || request.from === '') return send(res, 400, JSON_TYPE, JSON.stringify({ error: 'a redrive needs { "from": <state>, "to": <state>, "whereError"?: <regex> }' }));
  const to = typeof request.to === 'string' && request.to !== '' ? request.to : request.from;
  try {
    const line = await actions.redrive({ from: request.from, to, ...(typeof request.whereError === 'string' && request.whereError !== '' ? { whereError: request.whereError } : {}) });
    send(res, 200, JSON_TYPE, JSON.stringify({ ok: true, message: line }));
  } catch (error) {
    send(res, 409, JSON_TYPE, JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
  }
}

/** `POST /api/actions/pause` or `/resume` with `{ "state": <state> }`. */
async function pauseAction(res: ServerResponse, name: 'pause' | 'resume', body: unknown, actions: ServeActions): Promise<void> {
  const state = (body as { state?: unknown } | undefined)?.state;
  if (typeof state !== 'string' || state === '') return send(res, 400, JSON_TYPE, JSON.stringify({ error: `a ${name} needs { "state": <a working state of the run> }` }));
  try {
    const line = await actions.pause(state, name === 'pause');
    send(res, 200, JSON_TYPE, JSON.stringify({ ok: true, message: line }));
  } catch (error) {
    send(res, 409, JSON_TYPE, JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
  }
}

function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 64 << 10) throw new Error('request body over 64 KiB');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}
