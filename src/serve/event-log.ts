import type { ServerResponse } from 'node:http';

/** How many events a reconnecting page can catch up on; one further behind gets a `reset` (the whole state). */
const KEPT_EVENTS = 512;
/** A page whose connection holds this much unsent is dropped: it reconnects and resumes from its last id. */
const MAX_BUFFERED_BYTES = 1 << 20;

/**
 * The server-sent events of the dashboard: numbered (`id:`), the latest {@link KEPT_EVENTS} kept,
 * so a page that reconnects with `Last-Event-ID` (or `?lastEventId=`) gets exactly what it missed.
 */
export class EventLog {
  readonly #events: { id: number; text: string }[] = [];
  readonly #clients = new Set<ServerResponse>();
  #next = 1;
  readonly #heartbeat: NodeJS.Timeout;

  constructor() {
    this.#heartbeat = setInterval(() => this.#send(': ping\n\n'), 15_000);
    this.#heartbeat.unref();
  }

  /** The id of the latest event (0 before the first). */
  get lastId(): number {
    return this.#next - 1;
  }

  get clients(): number {
    return this.#clients.size;
  }

  /** Numbers and sends an event to every page, and keeps it for those that reconnect. */
  publish(type: string, data: unknown): number {
    const id = this.#next++;
    const text = `id: ${id}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
    this.#events.push({ id, text });
    if (this.#events.length > KEPT_EVENTS) this.#events.splice(0, this.#events.length - KEPT_EVENTS);
    this.#send(text);
    return id;
  }

  /**
   * Serves `/events` to one page: the events after `lastId` it missed (or, when they are no longer
   * kept or it never had any, `reset` with the whole state), then every new one.
   */
  attach(res: ServerResponse, lastId: number | undefined, whole: () => unknown): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    const oldest = this.#events[0]?.id ?? this.#next;
    if (lastId !== undefined && lastId >= oldest - 1 && lastId <= this.lastId) {
      for (const event of this.#events) if (event.id > lastId) res.write(event.text);
    } else {
      res.write(`id: ${this.lastId}\nevent: reset\ndata: ${JSON.stringify(whole())}\n\n`);
    }
    this.#clients.add(res);
    res.on('close', () => this.#clients.delete(res));
  }

  #send(text: string): void {
    for (const res of this.#clients) {
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        res.destroy();
        this.#clients.delete(res);
      } else res.write(text);
    }
  }

  close(): void {
    clearInterval(this.#heartbeat);
    for (const res of this.#clients) res.end();
    this.#clients.clear();
  }
}
