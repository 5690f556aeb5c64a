// An HTTP server of a workload in a child process of its own (so its event loop does not share the
// client's), spoken to over IPC: it says `{ type: 'listening', port }` once it listens, answers each
// message with one of its own, and exits on `{ type: 'stop' }`. The ratelimit and adaptive
// workloads use it for their servers.
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A message from the server: its `type`, and what it carries. */
export interface ServerMessage {
  readonly type: string;
}

export class ServerProcess<M extends ServerMessage> {
  readonly #proc: ChildProcess;
  readonly #label: string;
  readonly port: number;

  private constructor(proc: ChildProcess, label: string, port: number) {
    this.#proc = proc;
    this.#label = label;
    this.port = port;
  }

  /** Starts bench/<script> (with tsx) and resolves once it listens on 127.0.0.1. */
  static async start<M extends ServerMessage>(script: string, label: string): Promise<ServerProcess<M>> {
    const file = fileURLToPath(new URL(`./${script}`, import.meta.url));
    const proc = spawn(process.execPath, ['--import', 'tsx', file], { cwd: dirname(dirname(file)), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const port = await new Promise<number>((resolve, reject) => {
      proc.once('error', reject);
      proc.once('exit', (code) => reject(new Error(`${label}: the server exited with ${code} before listening`)));
      proc.once('message', (m: { type: string; port?: number }) =>
        m.type === 'listening' && typeof m.port === 'number' ? resolve(m.port) : reject(new Error(`${label}: unexpected ${JSON.stringify(m)}`)),
      );
    });
    proc.removeAllListeners('exit');
    return new ServerProcess<M>(proc, label, port);
  }

  /** Sends `message` and resolves with the server's answer, which must be of type `answer`. */
  ask<T extends M['type']>(message: object, answer: T): Promise<Extract<M, { type: T }>> {
    return new Promise((resolve, reject) => {
      this.#proc.once('message', (m: M) => (m.type === answer ? resolve(m as Extract<M, { type: T }>) : reject(new Error(`${this.#label}: unexpected ${JSON.stringify(m)}`))));
      this.#proc.send(message);
    });
  }

  /** Asks the server to stop and resolves once it exited. */
  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#proc.exitCode !== null) return resolve();
      this.#proc.once('exit', () => resolve());
      this.#proc.send({ type: 'stop' });
    });
  }
}
