// Child process of the ratelimit workload (bench/ratelimit.ts): a node:http server on 127.0.0.1
// that enforces hidden quotas, in a process of its own so that it does not share the client's
// event loop. `node --import tsx bench/ratelimit-server.ts`, started with an IPC channel:
//
//   parent -> child  { type: 'services', services: [{ id, ...ShapeSettings without start }] }
//                    fresh services, their runs starting now; answered { type: 'services-set' }
//   parent -> child  { type: 'stats' }   answered { type: 'stats', stats: { [id]: { ok, limited } } }
//   parent -> child  { type: 'stop' }    closes the server and exits
//   child -> parent  { type: 'listening', port } once, at start
//
// `GET /<id>` is one call to service <id>, a model of bench/ratelimit-shapes.ts on this process's
// performance.now(): 200, or 429 over a quota with the wait as `Retry-After` (whole seconds,
// HTTP's form, at least 1) and `Retry-After-Ms` (milliseconds with fractions), or 503 over a
// concurrency cap (no wait). An admitted call of a shape with latency is answered that much later.
//
// It stops itself: when the parent goes away (the IPC channel closes), and in any case after
// MAX_LIFETIME_MS.
import { createServer } from 'node:http';
import { hintedWait, makeService } from './ratelimit-shapes.js';
import type { ServiceModel, ShapeSettings } from './ratelimit-shapes.js';

/** The server exits after this long whatever happens. */
const MAX_LIFETIME_MS = 20 * 60_000;

type ServiceSpec = Omit<ShapeSettings, 'start'> & { readonly id: string };
type Message = { type: 'services'; services: ServiceSpec[] } | { type: 'stats' } | { type: 'stop' };

interface Hosted {
  readonly model: ServiceModel;
  ok: number;
  limited: number;
  /** How late the answers' timers fired, in all (ms), and how many. */
  late: number;
  answered: number;
}

function main(): void {
  const send = process.send?.bind(process);
  if (send === undefined) throw new Error('ratelimit-server: start me with an IPC channel');
  let services = new Map<string, Hosted>();

  const server = createServer((req, res) => {
    req.resume();
    const hosted = services.get((req.url ?? '/').slice(1));
    if (hosted === undefined) {
      res.writeHead(404, { 'content-length': '0' });
      res.end();
      return;
    }
    const now = performance.now();
    const a = hosted.model.admit(now);
    if (a.status === 200) {
      hosted.ok++;
      const latency = hosted.model.latencyMs;
      const answer = () => {
        const at = performance.now();
        hosted.model.finished(at);
        if (latency > 0) {
          hosted.late += at - now - latency;
          hosted.answered++;
        }
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
        res.end('ok');
      };
      if (latency > 0) setTimeout(answer, latency);
      else answer();
      return;
    }
    hosted.limited++;
    const headers: Record<string, string> = { 'content-type': 'text/plain', 'content-length': '17' };
    const seconds = hintedWait('seconds', a.waitMs);
    if (seconds !== undefined) headers['retry-after'] = String(seconds / 1000);
    if (a.waitMs !== undefined) headers['retry-after-ms'] = a.waitMs.toFixed(3);
    res.writeHead(a.status, headers);
    res.end('too many requests');
  });
  server.keepAliveTimeout = 60_000;

  const stop = () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  };
  setTimeout(stop, MAX_LIFETIME_MS).unref();
  process.on('disconnect', stop);
  process.on('message', (message: Message) => {
    if (message.type === 'services') {
      const start = performance.now();
      services = new Map(message.services.map((s) => [s.id, { model: makeService({ ...s, start }), ok: 0, limited: 0, late: 0, answered: 0 }]));
      send({ type: 'services-set' });
    } else if (message.type === 'stats') {
      send({ type: 'stats', stats: Object.fromEntries([...services].map(([id, h]) => [id, { ok: h.ok, limited: h.limited, lateMs: h.answered > 0 ? h.late / h.answered : 0 }])) });
    } else if (message.type === 'stop') {
      stop();
    }
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('ratelimit-server: no port');
    send({ type: 'listening', port: address.port });
  });
}

main();
