import { statSync } from 'node:fs';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { ScanMessage, ScanRequest } from './log-scan-protocol.js';

/**
 * Logs from this size on are scanned on a worker thread while the main thread reads the snapshot:
 * a smaller log costs less to read than a thread costs to start.
 */
export const PARALLEL_LOG_BYTES = 32 << 20;

/**
 * A log scanned on a worker thread (log-scan-worker.ts): its messages wait, serialized, until the
 * main thread takes them one by one with {@link LogScanThread.next}, so that packs the worker gets
 * ahead with do not sit on the main thread's heap.
 */
export class LogScanThread {
  readonly #worker: Worker;
  readonly #port: MessagePort;
  #received = 0;
  #error: unknown;
  #failed = false;
  #exited = false;
  #wake: (() => void) | undefined;

  private constructor(request: ScanRequest) {
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    const options = { workerData: { ...request, port: port2 }, transferList: [port2] };
    // From the source (tests and benches run by tsx or vitest), the worker is a .ts file: tsx loads it.
    const worker = new URL(import.meta.url.endsWith('.ts') ? './log-scan-worker.ts' : './log-scan-worker.js', import.meta.url);
    this.#worker =
      worker.pathname.endsWith('.ts')
        ? new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(worker.href)}); });`, { ...options, eval: true })
        : new Worker(worker, options);
    const wake = () => {
      const resolve = this.#wake;
      this.#wake = undefined;
      resolve?.();
    };
    this.#worker.on('message', wake);
    this.#worker.on('error', (error) => {
      this.#failed = true;
      this.#error = error;
      wake();
    });
    this.#worker.on('exit', () => {
      this.#exited = true;
      wake();
    });
  }

  /** A thread scanning the log, or `undefined` when it is smaller than `fromBytes` (or gone). */
  static start(request: ScanRequest, fromBytes: number): LogScanThread | undefined {
    let size: number;
    try {
      size = statSync(request.logPath).size;
    } catch {
      return undefined;
    }
    return size >= fromBytes ? new LogScanThread(request) : undefined;
  }

  /**
   * The worker's next message; `undefined` when the worker could not run at all (it failed before
   * its first message: the caller reads the log itself).
   */
  async next(): Promise<ScanMessage | undefined> {
    for (;;) {
      const got = receiveMessageOnPort(this.#port);
      if (got !== undefined) {
        this.#received++;
        return got.message as ScanMessage;
      }
      if (this.#failed) {
        if (this.#received === 0) return undefined;
        throw this.#error;
      }
      if (this.#exited) throw new Error('the log scan worker stopped before the end of the log');
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  /** Why the worker failed, if it did. */
  get error(): unknown {
    return this.#error;
  }

  /** Stops the worker (the read is over, or failed elsewhere). */
  stop(): void {
    this.#port.close();
    void this.#worker.terminate();
  }
}
