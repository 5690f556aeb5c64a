// A TCP proxy between a PgStore and the test server, on 127.0.0.1, that can cut one connection at
// the moment that decides a transaction: just before the server receives a COMMIT (so the
// transaction is rolled back, never acknowledged), or just after the server answered it (so it
// committed, and the client never hears so). It reads the protocol only as far as that: a simple
// query `COMMIT` from the client, its CommandComplete from the server.
import { connect, createServer, type Server, type Socket } from 'node:net';

/** `Q`, length 11, `COMMIT\0`: the simple query the driver sends to commit. */
const COMMIT_QUERY = Buffer.from('Q\u0000\u0000\u0000\u000bCOMMIT\u0000', 'latin1');
/** `C`, length 11, `COMMIT\0`: the server's answer once the transaction committed. */
const COMMIT_DONE = Buffer.from('C\u0000\u0000\u0000\u000bCOMMIT\u0000', 'latin1');

export type Cut = 'before the commit reaches the server' | 'after the server committed';

export interface PgProxy {
  readonly port: number;
  /** The URL of database `db` as the superuser, through the proxy. */
  url(db?: string): string;
  /** Cuts the next connection that commits, at `cut`, once; resolves when it did. */
  cutNextCommit(cut: Cut): Promise<void>;
  close(): Promise<void>;
}

export async function startPgProxy(serverPort: number): Promise<PgProxy> {
  const sockets = new Set<Socket>();
  let armed: { cut: Cut; done: () => void } | undefined;
  const server: Server = createServer((client) => {
    const upstream = connect(serverPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const cutBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      if (armed?.cut === 'before the commit reaches the server' && chunk.includes(COMMIT_QUERY)) {
        const { done } = armed;
        armed = undefined;
        cutBoth();
        done();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (armed?.cut === 'after the server committed' && chunk.includes(COMMIT_DONE)) {
        const { done } = armed;
        armed = undefined;
        cutBoth();
        done();
        return;
      }
      client.write(chunk);
    });
    for (const socket of [client, upstream]) {
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        cutBoth();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('the proxy has no port');
  return {
    port: address.port,
    url: (db = 'postgres') => `postgres://postgres@127.0.0.1:${address.port}/${db}`,
    cutNextCommit: (cut) => new Promise((resolve) => (armed = { cut, done: resolve })),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
