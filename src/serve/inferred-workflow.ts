import type { Edge, Graph, StateNode } from '../model/graph.js';
import type { Run } from '../model/run.js';
import { createWorkflow, type Workflow } from '../model/workflow.js';

/**
 * A workflow read off a run when no module is given (`jorb serve runs/crawl.jsonl`): every state a
 * job is in or has been in, in the order jobs first reached them; an edge for every move two
 * consecutive history entries show (a kick for a child's first state, from its parent's state
 * then); terminal where jobs are and no job ever left. Only for drawing and reading: its execs
 * throw, and its states show `concurrency 1` (a run file does not keep the limits: give
 * `--workflow` for the declared ones).
 */
export function inferredWorkflow(run: Run<unknown, unknown>): Workflow<unknown, unknown, unknown, string> {
  const order = new Map<string, number>();
  const left = new Set<string>();
  const edges = new Map<string, Edge>();
  const see = (state: string) => {
    if (!order.has(state)) order.set(state, order.size);
  };
  const edge = (from: string, to: string, kind: Edge['kind']) => {
    const key = `${kind}\u0000${from}\u0000${to}`;
    if (!edges.has(key)) edges.set(key, { from, to, kind });
  };
  for (const job of run.jobs.values()) {
    const history = job.history;
    for (let i = 0; i < history.length; i++) {
      const entry = history[i];
      if (entry === undefined) continue;
      see(entry.state);
      const next = history[i + 1];
      if (next !== undefined && next.note === undefined) {
        if (next.state !== entry.state) left.add(entry.state);
        edge(entry.state, next.state, 'transition');
      }
    }
    see(job.state);
    if (job.failed === true) left.add(job.state);
    const first = history[0];
    const parent = job.parentId === undefined ? undefined : run.jobs.get(job.parentId);
    if (first !== undefined && parent !== undefined) {
      // The parent's state when it kicked: the one it entered last before the child's first move.
      let from: string | undefined;
      for (const entry of parent.history) if (entry.at <= first.at) from = entry.state;
      if (from !== undefined) edge(from, first.state, 'spawn');
    }
  }
  const names = [...order.keys()];
  const fail = () => {
    throw new Error('a workflow inferred from a run file has no execs');
  };
  const states: StateNode[] = names.map((name, index) =>
    left.has(name)
      ? { name, index, terminal: false, concurrency: 1, recursive: false, targets: targetsOf(edges, name, 'transition'), spawns: targetsOf(edges, name, 'spawn'), exec: fail }
      : { name, index, terminal: true, concurrency: 0, recursive: false, targets: [], spawns: [] },
  );
  const byName = new Map(states.map((s) => [s.name, s]));
  // A terminal state has no edges out: a move out of one (a redrive's is left out above) would make it working.
  const kept = [...edges.values()].filter((e) => byName.get(e.from)?.terminal === false);
  const graph: Graph = { name: run.name, states, edges: kept, state: (name) => byName.get(name) };
  return createWorkflow(graph);
}

function targetsOf(edges: ReadonlyMap<string, Edge>, from: string, kind: Edge['kind']): string[] {
  return [...edges.values()].filter((e) => e.from === from && e.kind === kind).map((e) => e.to);
}
