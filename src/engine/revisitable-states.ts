import type { Graph } from '../model/graph.js';

/**
 * The states a job may enter twice in one walk: those on a cycle of the workflow's transitions
 * (every target, failure routes included, is among a state's `targets`). The ledger counts a
 * visit of any other state as the job's first there without reading its history.
 */
export function revisitableStates(graph: Pick<Graph, 'states'>): ReadonlySet<string> {
  const targets = new Map(graph.states.map((s) => [s.name, s.targets]));
  const onCycle = new Set<string>();
  for (const start of graph.states) {
    const seen = new Set<string>();
    const stack = [...start.targets];
    while (stack.length > 0) {
      const name = stack.pop() as string;
      if (name === start.name) {
        onCycle.add(start.name);
        break;
      }
      if (seen.has(name)) continue;
      seen.add(name);
      for (const next of targets.get(name) ?? []) stack.push(next);
    }
  }
  return onCycle;
}
