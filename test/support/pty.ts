// Runs test/support/pty-workflow.ts as a user runs a program: on a pseudo-terminal (util-linux
// `script`, no native dependency) or with its stdout a pipe. Bounded in time.
import { execFile, execFileSync } from 'node:child_process';

/** Whether `script` (util-linux) is there to give a child a pseudo-terminal. */
export const hasScript = (() => {
  try {
    return execFileSync('script', ['--version'], { encoding: 'utf8' }).includes('util-linux');
  } catch {
    return false;
  }
})();

const shellQuote = (arg: string) => `'${arg.replaceAll("'", `'\\''`)}'`;

/** The environment of a child: this one without CI, NO_COLOR or FORCE_COLOR, plus `env`. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const { CI: _ci, NO_COLOR: _no, FORCE_COLOR: _force, ...rest } = process.env;
  return { ...rest, ...env };
}

function run(command: string, args: readonly string[], env: Record<string, string>, timeoutMs: number): Promise<{ stdout: string; code: number | null }> {
  return new Promise((resolve) => {
    execFile(command, args, { env: childEnv(env), timeout: timeoutMs, encoding: 'utf8', maxBuffer: 16 << 20 }, (error, stdout) => {
      const code = error ? (error as { code?: unknown }).code : 0;
      resolve({ stdout, code: typeof code === 'number' ? code : null });
    });
  });
}

const workflowArgs = (args: readonly string[]) => [process.execPath, '--import', 'tsx', 'test/support/pty-workflow.ts', ...args];

/**
 * Runs the workflow on a pseudo-terminal of `columns` columns; returns what the terminal received,
 * with the terminal's `\r\n` turned back into `\n`.
 */
export async function inPty(args: readonly string[], env: Record<string, string> = {}, columns = 160): Promise<{ stdout: string; code: number | null }> {
  const command = `stty cols ${columns} rows 40; exec ${workflowArgs(args).map(shellQuote).join(' ')}`;
  const { stdout, code } = await run('script', ['-qfec', command, '/dev/null'], env, 60_000);
  return { stdout: stdout.replaceAll('\r\n', '\n'), code };
}

/** Runs the workflow with its stdout a pipe. */
export async function piped(args: readonly string[], env: Record<string, string> = {}): Promise<{ stdout: string; code: number | null }> {
  const [node, ...rest] = workflowArgs(args);
  return run(node as string, rest, env, 60_000);
}
