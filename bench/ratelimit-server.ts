// Child process of the ratelimit workload (bench/ratelimit.ts): a node:http server on 127.0.0.1
// that enforces a hidden quota, in a process of its own so that it does not share the client's
// event loop. `node --import tsx bench/ratelimit-server.ts`, started with an IPC channel:
//
//   parent -> child  { type: 'quota', quota, burst }   a fresh bucket, full; answered { type: 'quota-set' }
//   parent -> child  { type: 'stats' }          answered { type: 'stats', ok, limited } since the last quota
//   parent -> child  { type: 'stop' }           closes the server and exits
//   child -> parent  { type: 'listening', port } once, at start
//
// The quota is a token bucket refilled at `quota` requests a second that holds `burst` requests
// (the parent says how many; the client is never told either), starting full. A request that finds a whole token takes it and gets 200; any
// other gets 429 with the wait until the next token, as `Retry-After` in whole seconds (HTTP's
// form, at least 1) and `Retry-After-Ms` in milliseconds with fractions (the precise value).
//
// It stops itself: when the parent goes away (the IPC channel closes), and in any case after
// MAX_LIFETIME_MS.
import { createServer } from 'node:http';

/** The server exits after this long whatever happens. */
const MAX_LIFETIME_MS = 15 * 60_000;

type Message = { type: 'quota'; quota: number; burst: number } | { type: 'stats' } | { type: 'stop' };

class Bucket {
  readonly rate: number;
  readonly burst: number;
  tokens: number;
  stamp: number;

  constructor(rate: number, burst: number) {
    this.rate = rate;
    this.burst = burst;
    this.tokens = this.burst;
    this.stamp = performance.now();
  }

  /** Takes a token and returns 0, or returns the ms until the next whole token. */
  take(): number {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.stamp) * this.rate) / 1000);
    this.stamp = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return ((1 - this.tokens) * 1000) / this.rate;
  }
}

function main(): void {
  const send = process.send?.bind(process);
  if (send === undefined) throw new Error('ratelimit-server: start me with an IPC channel');
  let bucket = new Bucket(1, 1);
  let ok = 0;
  let limited = 0;

  const server = createServer((req, res) => {
    req.resume();
    const wait = bucket.take();
    if (wait === 0) {
      ok++;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
      res.end('ok');
      return;
    }
    limited++;
    res.writeHead(429, {
      'content-type': 'text/plain',
      'content-length': '17',
      'retry-after': String(Math.max(1, Math.ceil(wait / 1000))),
      'retry-after-ms': wait.toFixed(3),
    });
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
    if (message.type === 'quota') {
      bucket = new Bucket(message.quota, message.burst);
      ok = 0;
      limited = 0;
      send({ type: 'quota-set' });
    } else if (message.type === 'stats') {
      send({ type: 'stats', ok, limited });
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
