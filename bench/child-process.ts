// Child processes of the workloads that need a fresh process (a heap holding nothing else, a
// kill -9): `node --expose-gc --import tsx <script> ...args`, started in the repository root so
// that `--import tsx` resolves. A child reports with lines on stdout; its last line is JSON.
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** How a child ended, with every line it printed on stdout. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly lines: readonly string[];
}

export interface Child {
  readonly proc: ChildProcess;
  readonly exited: Promise<ChildExit>;
}

/** The path of a script in bench/. */
export function benchScript(name: string): string {
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}

/**
 * Starts bench/<script> in a fresh node; `onLine` sees each stdout line as it comes (a line that
 * asks to be killed is acted on at once). stderr is passed through.
 */
export function startChild(script: string, args: readonly string[], onLine?: (line: string, proc: ChildProcess) => void, nodeFlags: readonly string[] = []): Child {
  const path = benchScript(script);
  const root = dirname(dirname(path));
  const proc = spawn(process.execPath, ['--expose-gc', ...nodeFlags, '--import', 'tsx', path, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  let partial = '';
  proc.stdout?.setEncoding('utf8');
  proc.stdout?.on('data', (data: string) => {
    const parts = (partial + data).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      onLine?.(line, proc);
    }
  });
  const exited = new Promise<ChildExit>((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      if (partial !== '') lines.push(partial);
      resolve({ code, signal, lines });
    });
  });
  return { proc, exited };
}

/** The JSON report a child printed last; throws naming the child when it failed or printed none. */
export function lastJson<T>(what: string, exit: ChildExit): T {
  const out = exit.lines.join('\n').trim();
  if (exit.code !== 0) throw new Error(`${what}: the child exited with ${exit.signal ?? exit.code}: ${out}`);
  try {
    return JSON.parse(exit.lines.filter((l) => l.trim() !== '').at(-1) ?? '') as T;
  } catch {
    throw new Error(`${what}: the child did not print a JSON line: ${out}`);
  }
}

/** Runs a child to its end and returns its JSON report. */
export async function runChild<T>(what: string, script: string, args: readonly string[], nodeFlags: readonly string[] = []): Promise<T> {
  return lastJson<T>(what, await startChild(script, args, undefined, nodeFlags).exited);
}
