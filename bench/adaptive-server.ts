// Child process of the adaptive workload (bench/adaptive.ts): a node:http server on 127.0.0.1
// hosting the service of bench/adaptive-service.ts (latency climbing beyond `knee` calls in
// flight, bursts of 503s), in a process of its own so that it does not share the client's event
// loop. `node --import tsx bench/adaptive-server.ts`, started with an IPC channel:
//
//   parent -> child  { type: 'service', id, settings }   a fresh service, its time starting now; answered { type: 'service-set' }
//   parent -> child  { type: 'stop' }                    closes the server and exits
//   child -> parent  { type: 'listening', port }         once, at start
//
// `GET /<id>` is one call: 200 after the service's latency for the calls in flight, or 503 during a burst.
// It stops itself when the parent goes away (the IPC channel closes), and in any case after MAX_LIFETIME_MS.
import { createServer } from 'node:http';
import { KneeService } from './adaptive-service.js';
import type { KneeServiceSettings } from './adaptive-service.js';

const MAX_LIFETIME_MS = 10 * 60_000;

type Message = { type: 'service'; id: string; settings: KneeServiceSettings } | { type: 'stop' };

function main(): void {
  const send = process.send?.bind(process);
  if (send === undefined) throw new Error('adaptive-server: start me with an IPC channel');
  const services = new Map<string, { service: KneeService; start: number }>();

  const server = createServer((req, res) => {
    req.resume();
    const hosted = services.get((req.url ?? '/').slice(1));
    if (hosted === undefined) {
      res.writeHead(404, { 'content-length': '0' });
      res.end();
      return;
    }
    const { status, latencyMs } = hosted.service.admit(performance.now() - hosted.start);
    setTimeout(() => {
      hosted.service.finished();
      res.writeHead(status, { 'content-type': 'text/plain', 'content-length': '2' });
      res.end(status === 200 ? 'ok' : 'no');
    }, latencyMs);
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
    if (message.type === 'service') {
      services.set(message.id, { service: new KneeService(message.settings), start: performance.now() });
      send({ type: 'service-set' });
    } else if (message.type === 'stop') {
      stop();
    }
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('adaptive-server: no port');
    send({ type: 'listening', port: address.port });
  });
}

main();
