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
    // (tsx may add a query to the module's URL: the path is what says.)
    const fromSource = new URL(import.meta.url).pathname.endsWith('.ts');
    const worker = new URL(fromSource ? './log-scan-worker.ts' : './log-scan-worker.js', import.meta.url);
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
    if (size < fromBytes) return undefined;
    try {
      return new LogScanThread(request);
    } catch {
      // No worker to be had here (a bundle without import.meta, a permission model without
      // --allow-worker): this thread reads the log itself, as it does a small one.
      return undefined;
    }
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
      // A worker that failed or stopped (out of memory, a bug) is no reason to fail the load: before
      // its first message the caller reads the log itself; after it, the read is made again without one.
      if (this.#failed || this.#exited) {
        this.#error ??= new Error('the log scan worker stopped before the end of the log');
        if (this.#received === 0) return undefined;
        throw new ScanThreadFailed(this.#error);
      }
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

/** The worker failed after it had sent some of the log: the read is made again on the main thread. */
export class ScanThreadFailed extends Error {
  constructor(cause: unknown) {
    super('the log scan worker failed during the read', { cause });
  }
}
