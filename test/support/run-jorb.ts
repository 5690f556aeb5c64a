import { execFile, type ExecFileOptions } from 'node:child_process';

export interface JorbResult {
  /** The exit code; null when the command was killed (it ran past its time). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the `jorb` binary as a user does, returning its exit code and output. */
export async function jorb(...args: string[]): Promise<JorbResult> {
  return (await jorbWith({}, ...args)).result;
}

/**
 * Runs the `jorb` binary with extra environment variables or as another user; also says how long
 * it took. A command still running after `timeoutMs` is killed: its code is then null.
 */
export async function jorbWith(
  options: { env?: Record<string, string>; uid?: number; gid?: number; timeoutMs?: number; withoutFileOverride?: boolean },
  ...args: string[]
): Promise<{ result: JorbResult; ms: number }> {
  const started = performance.now();
  const execOptions: ExecFileOptions = {
    timeout: options.timeoutMs ?? 60_000,
    env: { ...process.env, ...options.env },
    ...(options.uid !== undefined ? { uid: options.uid } : {}),
    ...(options.gid !== undefined ? { gid: options.gid } : {}),
  };
  const result = await new Promise<JorbResult>((resolve) => {
    // Without the capabilities that let root read any file (setpriv, util-linux), so that file
    // permissions apply to it as to anyone, while it still owns the checkout it runs from.
    const [command, argv] = options.withoutFileOverride
      ? ['setpriv', ['--bounding-set', '-dac_override,-dac_read_search', '--', process.execPath, 'bin/jorb.js', ...args]]
      : [process.execPath, ['bin/jorb.js', ...args]];
    execFile(command, argv, { ...execOptions, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error ? (error as { code?: unknown }).code : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
  return { result, ms: performance.now() - started };
}
