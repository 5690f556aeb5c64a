import type { StateNode } from '../model/graph.js';

/**
 * The runtime mirror of the exec-targets and kick-targets type checks, for untyped callers:
 * a description of what is wrong with what an exec returned, or undefined when it is a valid
 * transition for its state.
 */
export function checkTransition(node: StateNode, value: unknown): string | undefined {
  const where = `exec of state "${node.name}"`;
  if (value === null || typeof value !== 'object') return `${where} returned ${describe(value)}, not a transition { state, jc }`;
  const t = value as { state?: unknown; jc?: unknown; kicks?: unknown };
  if (typeof t.state !== 'string' || !node.targets.includes(t.state)) {
    return `${where} returned state ${describe(t.state)}, which is not one of its .to() targets (${node.targets.join(', ')})`;
  }
  if (t.jc === undefined) return `${where} returned no jc (the job context must be returned, even unchanged)`;
  const unknown = unknownField(t, TRANSITION_FIELDS);
  if (unknown !== undefined) return `${where} returned an unknown field ${JSON.stringify(unknown)} (a transition has ${[...TRANSITION_FIELDS].join(', ')})`;
  if (t.kicks === undefined) return undefined;
  if (!Array.isArray(t.kicks)) return `${where} returned kicks that are not an array: ${describe(t.kicks)}`;
  return checkKicks(node, where, t.kicks as unknown[]);
}

function checkKicks(node: StateNode, where: string, kicks: readonly unknown[]): string | undefined {
  for (const [i, kick] of kicks.entries()) {
    if (kick === null || typeof kick !== 'object') return `${where} returned kicks[${i}] = ${describe(kick)}, not a kick { state, jc }`;
    const k = kick as { state?: unknown; jc?: unknown; key?: unknown };
    if (typeof k.state !== 'string' || !node.spawns.includes(k.state)) {
      const allowed = node.spawns.length > 0 ? `its .spawns() targets (${node.spawns.join(', ')})` : 'declared with .spawns() (it declares none)';
      return `${where} kicked into state ${describe(k.state)} (kicks[${i}]), which is not one of ${allowed}`;
    }
    if (k.jc === undefined) return `${where} returned kicks[${i}] with no jc`;
    const unknown = unknownField(k, KICK_FIELDS);
    if (unknown !== undefined) return `${where} returned kicks[${i}] with an unknown field ${JSON.stringify(unknown)} (a kick has ${[...KICK_FIELDS].join(', ')})`;
    if (k.key !== undefined && typeof k.key !== 'string') return `${where} returned kicks[${i}] with a key that is not a string: ${describe(k.key)}`;
    const priority = (kick as { priority?: unknown }).priority;
    if (priority !== undefined && (typeof priority !== 'number' || !Number.isFinite(priority))) return `${where} returned kicks[${i}] with a priority that is not a finite number: ${describe(priority)}`;
  }
  return undefined;
}

// A typo such as `kick:` for `kicks:` compiles (an inferred return type is not checked for excess
// properties) and would silently start no child: caught here instead.
const TRANSITION_FIELDS: ReadonlySet<string> = new Set(['state', 'jc', 'kicks', 'error']);
const KICK_FIELDS: ReadonlySet<string> = new Set(['state', 'jc', 'key', 'priority']);

function unknownField(value: object, known: ReadonlySet<string>): string | undefined {
  for (const key in value) if (!known.has(key)) return key;
  return undefined;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return Object.prototype.toString.call(value);
  }
}
