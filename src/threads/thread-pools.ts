// The worker-thread pools of threaded execs: one piscina pool per module and thread count, made
// at the first attempt and kept for the process's life (its idle threads do not keep the process
// alive); closeThreadPools() ends them all.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { ThreadReply, ThreadTask } from './thread-protocol.js';

/** What a threaded exec needs of its pool. */
export interface ThreadPool {
  run(task: ThreadTask, signal: AbortSignal): Promise<ThreadReply>;
  destroy(): Promise<void>;
}

const pools = new Map<string, Promise<ThreadPool>>();

/** The pool of `threads` threads running `module`'s exec, made on first use. */
export function threadPool(module: string, threads: number): Promise<ThreadPool> {
  const key = `${threads} ${module}`;
  let pool = pools.get(key);
  if (pool === undefined) {
    pool = makePool(module, threads);
    pools.set(key, pool);
    pool.catch(() => pools.delete(key));
  }
  return pool;
}

/**
 * Ends every pool of threaded execs: their threads are terminated (an attempt still running in
 * one is cut short). The next threaded attempt makes its pool again. Idle threads never keep the
 * process alive, so calling this is needed only to end threads before the process does, as a
 * test does between runs.
 *
 * @example
 * ```ts
 * await new Processor(wf, ac, { store }).exec(run);
 * await closeThreadPools();
 * ```
 * @public
 */
export async function closeThreadPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map(async (pool) => (await pool.catch(() => undefined))?.destroy()));
}

async function makePool(module: string, threads: number): Promise<ThreadPool> {
  const { Piscina } = await import('piscina');
  // From the source (tests and benches run by tsx or vitest), the thread's entry is a .ts file, and
  // so may the exec's module be: the threads then load tsx (vitest's own transform does not reach
  // them; a process run by tsx passes its --import on to them already).
  // (tsx may add a query to the module's URL: the path is what says.)
  const fromSource = new URL(import.meta.url).pathname.endsWith('.ts');
  const entry = new URL(fromSource ? './thread-entry.ts' : './thread-entry.js', import.meta.url);
  const needsTsx = fromSource || /\.[mc]?ts$/.test(new URL(module).pathname);
  const hasTsx = process.execArgv.some((arg) => arg.includes('tsx'));
  const pool = new Piscina<ThreadTask, ThreadReply>({
    filename: entry.href,
    minThreads: threads,
    maxThreads: threads,
    // The default waits on Atomics between tasks, which stops the thread's own timers and sockets
    // (a setup() that opened a connection): its gain is microseconds per task.
    atomics: 'disabled',
    ...(needsTsx && !hasTsx ? { execArgv: [...process.execArgv, '--import', tsxLoader()] } : {}),
  });
  // A thread that fails outside a task (an error thrown later by a timer of the exec's) is replaced
  // by the pool; without a listener the main thread would crash with it.
  pool.on('error', (error: unknown) => process.emitWarning(`a worker thread of ${module} failed: ${error instanceof Error ? error.message : String(error)}`));
  return {
    run: (task, signal) => pool.run(task, { signal }),
    destroy: () => pool.destroy(),
  };
}

function tsxLoader(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
}
