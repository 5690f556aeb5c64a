import type { StateNode } from '../model/graph.js';
import { renderValue } from '../model/render-value.js';

/**
 * The runtime mirror of the exec-targets and kick-targets type checks, for untyped callers:
 * a description of what is wrong with what an exec returned, or undefined when it is a valid
 * transition for its state.
 */
export function checkTransition(node: StateNode, value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return `${execOf(node)} returned ${renderValue(value)}, not a transition { state, jc }`;
  const t = value as { state?: unknown; jc?: unknown; kicks?: unknown; delayMs?: unknown };
  if (typeof t.state !== 'string' || !node.targets.includes(t.state)) {
    return `${execOf(node)} returned state ${renderValue(t.state)}, which is not one of its .to() targets (${node.targets.join(', ')})`;
  }
  if (t.jc === undefined) return `${execOf(node)} returned no jc (the job context must be returned, even unchanged)`;
  const unknown = unknownField(t, TRANSITION_FIELDS);
  if (unknown !== undefined) return `${execOf(node)} returned an unknown field ${renderValue(unknown)} (a transition has ${[...TRANSITION_FIELDS].join(', ')})`;
  if (t.delayMs !== undefined && !isDelay(t.delayMs)) return `${execOf(node)} returned delayMs ${renderValue(t.delayMs)}: a delay must be a number of milliseconds >= 0`;
  if (t.kicks === undefined) return undefined;
  if (!Array.isArray(t.kicks)) return `${execOf(node)} returned kicks that are not an array: ${renderValue(t.kicks)}`;
  return checkKicks(node, t.kicks as unknown[]);
}

function checkKicks(node: StateNode, kicks: readonly unknown[]): string | undefined {
  for (const [i, kick] of kicks.entries()) {
    if (kick === null || typeof kick !== 'object') return `${execOf(node)} returned kicks[${i}] = ${renderValue(kick)}, not a kick { state, jc }`;
    const k = kick as { state?: unknown; jc?: unknown; key?: unknown };
    if (typeof k.state !== 'string' || !node.spawns.includes(k.state)) {
      const allowed = node.spawns.length > 0 ? `its .spawns() targets (${node.spawns.join(', ')})` : 'declared with .spawns() (it declares none)';
      return `${execOf(node)} kicked into state ${renderValue(k.state)} (kicks[${i}]), which is not one of ${allowed}`;
    }
    if (k.jc === undefined) return `${execOf(node)} returned kicks[${i}] with no jc`;
    const unknown = unknownField(k, KICK_FIELDS);
    if (unknown !== undefined) return `${execOf(node)} returned kicks[${i}] with an unknown field ${renderValue(unknown)} (a kick has ${[...KICK_FIELDS].join(', ')})`;
    if (k.key !== undefined && typeof k.key !== 'string') return `${execOf(node)} returned kicks[${i}] with a key that is not a string: ${renderValue(k.key)}`;
    const { priority, delayMs, keyScope } = kick as { priority?: unknown; delayMs?: unknown; keyScope?: unknown };
    if (priority !== undefined && (typeof priority !== 'number' || !Number.isFinite(priority))) return `${execOf(node)} returned kicks[${i}] with a priority that is not a finite number: ${renderValue(priority)}`;
    if (delayMs !== undefined && !isDelay(delayMs)) return `${execOf(node)} returned kicks[${i}] with delayMs ${renderValue(delayMs)}: a delay must be a number of milliseconds >= 0`;
    if (keyScope !== undefined && keyScope !== 'run' && keyScope !== 'unsettled') return `${execOf(node)} returned kicks[${i}] with keyScope ${renderValue(keyScope)}: it must be 'run' or 'unsettled'`;
  }
  return undefined;
}

function isDelay(value: unknown): boolean {
  return typeof value === 'number' && value >= 0 && value < Infinity;
}

// A typo such as `kick:` for `kicks:` compiles (an inferred return type is not checked for excess
// properties) and would silently start no child: caught here instead.
const TRANSITION_FIELDS: ReadonlySet<string> = new Set(['state', 'jc', 'kicks', 'error', 'delayMs']);
const KICK_FIELDS: ReadonlySet<string> = new Set(['state', 'jc', 'key', 'keyScope', 'priority', 'delayMs']);

function unknownField(value: object, known: ReadonlySet<string>): string | undefined {
  for (const key in value) if (!known.has(key)) return key;
  return undefined;
}

/** Who a problem is about, computed only when there is one (this check runs on every transition). */
function execOf(node: StateNode): string {
  return `exec of state ${renderValue(node.name)}`;
}
