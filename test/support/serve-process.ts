// Starts `jorb serve` as a user does (bin/jorb.js in a child process), on a free port of
// 127.0.0.1, and reads the address and the token it prints.
import { type ChildProcess, spawn } from 'node:child_process';

export interface ServeProcess {
  readonly url: string;
  readonly token: string | undefined;
  readonly child: ChildProcess;
  /** Everything it printed. */
  readonly output: () => string;
  stop(): Promise<number | null>;
}

/** `jorb serve <args…>`, resolved once it prints its address (after it has read the run). */
export function startServe(args: readonly string[], env: Record<string, string> = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['bin/jorb.js', 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let text = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`jorb serve printed no address in 30 s:\n${text}`)), 30_000);
    const onData = (data: Buffer) => {
      text += String(data);
      const url = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(text)?.[1];
      const ready = url !== undefined && (/read-only/.test(text) || /token \S+ /.test(text));
      if (!ready) return;
      clearTimeout(timer);
      resolve({
        url,
        token: /with the token (\S+) /.exec(text)?.[1],
        child,
        output: () => text,
        stop: () => {
          child.kill('SIGTERM');
          return exited;
        },
      });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (data: Buffer) => (text += String(data)));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`jorb serve exited with ${code} before it served:\n${text}`));
    });
  });
}
