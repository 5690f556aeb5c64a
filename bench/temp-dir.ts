// Temporary directories for the store workloads: under os.tmpdir(), removed when the workload ends,
// and also on Ctrl-C / SIGTERM, since the restart workload leaves a few hundred megabytes there.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const live = new Set<string>();
let handlersInstalled = false;

function removeAll(): void {
  for (const dir of live) rmSync(dir, { recursive: true, force: true });
  live.clear();
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', removeAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      removeAll();
      process.kill(process.pid, signal); // the handler was `once`: this one takes the default action
    });
  }
}

/** Runs `body` with a fresh directory under os.tmpdir(), removed afterwards whatever happens. */
export async function withTempDir<T>(name: string, body: (dir: string) => Promise<T>): Promise<T> {
  installHandlers();
  const dir = mkdtempSync(join(tmpdir(), `jorb-bench-${name}-`));
  live.add(dir);
  try {
    return await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    live.delete(dir);
  }
}
