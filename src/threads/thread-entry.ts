// The worker side of a threaded exec (the file each pool thread loads): imports the exec's module
// once per thread, runs its optional setup() once, then runs the exec for each task it is posted.
// What the exec throws is sent back described (ThrownInThread), so its message, name and a
// RateLimitError's retryAfterMs survive the structured clone.
import type { Kick, Transition } from '../model/transition.js';
import { jsonProblem } from '../model/json-value.js';
import { renderValue } from '../model/render-value.js';
import type { ThreadReply, ThreadTask, ThrownInThread } from './thread-protocol.js';

interface LoadedModule {
  readonly exec: (args: unknown) => unknown;
  readonly ac: unknown;
}

const modules = new Map<string, Promise<LoadedModule>>();

/** Runs one attempt in this thread; never rejects (what went wrong is in the reply). */
export default async function runThreadTask(task: ThreadTask): Promise<ThreadReply> {
  try {
    const { exec, ac } = await loaded(task);
    const { oc, jc, job, attempt, children } = task;
    const transition = (await exec({ ac, oc, jc, job, attempt, children, kick: identity })) as Transition<unknown>;
    // What a structured clone cannot copy back would end the thread with an error that names
    // nothing: found here, with the words the engine uses for what it cannot store.
    const problem = uncopyable(transition);
    if (problem !== undefined) throw new Error(`exec of state ${renderValue(task.state)} returned what a worker thread cannot send back: ${problem}`);
    return { ok: true, transition };
  } catch (error) {
    return { ok: false, thrown: describe(error) };
  }
}

/** A job context in the transition that JSON (and so the store) could not hold, as the engine words it. */
function uncopyable(transition: Transition<unknown>): string | undefined {
  if (transition === null || typeof transition !== 'object') return undefined; // the engine says what is wrong
  const problem = jsonProblem(transition.jc);
  if (problem !== undefined) return `cannot store the returned job context: ${problem}`;
  const kicks = Array.isArray(transition.kicks) ? transition.kicks : [];
  for (let i = 0; i < kicks.length; i++) {
    const kicked = jsonProblem((kicks[i] as Kick<unknown> | undefined)?.jc, `kicks[${i}].jc`);
    if (kicked !== undefined) return `cannot store kick ${i}'s job context: ${kicked}`;
  }
  return undefined;
}

const identity = <T extends Kick<unknown>>(kick: T): T => kick;

function loaded(task: ThreadTask): Promise<LoadedModule> {
  let module = modules.get(task.module);
  if (module === undefined) {
    module = load(task);
    modules.set(task.module, module);
    // A failed import or setup() is tried again by the next task (a file fixed meanwhile, a resource back).
    module.catch(() => modules.delete(task.module));
  }
  return module;
}

async function load({ module: href, state }: ThreadTask): Promise<LoadedModule> {
  const where = `state ${renderValue(state)}: thread module ${href}`;
  let namespace: Record<string, unknown>;
  try {
    namespace = (await importModule(href)) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`${where} could not be loaded: ${messageOf(error)}`, { cause: error });
  }
  const exec = typeof namespace['default'] === 'function' ? namespace['default'] : namespace['exec'];
  if (typeof exec !== 'function') {
    throw new Error(`${where} exports no exec function: export it as the default export (export default function …) or as \`exec\``);
  }
  const setup = namespace['setup'];
  if (setup !== undefined && typeof setup !== 'function') throw new Error(`${where} exports a \`setup\` that is not a function`);
  let ac: unknown;
  try {
    ac = typeof setup === 'function' ? await (setup as () => unknown)() : undefined;
  } catch (error) {
    throw new Error(`${where}: its setup() threw: ${messageOf(error)}`, { cause: error });
  }
  return { exec: exec as LoadedModule['exec'], ac };
}

let tsxRegistered = false;

async function importModule(href: string): Promise<unknown> {
  if (!tsxRegistered && /\.[mc]?ts$/.test(new URL(href).pathname)) {
    // A TypeScript module (sources run by tsx): Node 20 does not pass the ESM hooks that load it on
    // to worker threads, so the thread registers tsx's own (tsx is a dependency of jorb-ts).
    const { register } = await import('tsx/esm/api');
    register();
    tsxRegistered = true;
  }
  return import(href);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function describe(error: unknown): ThrownInThread {
  if (error instanceof Error) {
    const retryAfterMs = (error as { retryAfterMs?: unknown }).retryAfterMs;
    return {
      kind: 'error',
      name: error.name,
      message: error.message,
      stack: error.stack,
      retryAfterMs: error.name === 'RateLimitError' && typeof retryAfterMs === 'number' ? retryAfterMs : undefined,
    };
  }
  try {
    return { kind: 'value', value: structuredClone(error) };
  } catch {
    return { kind: 'value', value: String(error) };
  }
}
