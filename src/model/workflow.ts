import type { Graph } from './graph.js';
import { bindRun, Run } from './run.js';
import type { WorkflowStates } from './workflow-states.js';

/**
 * A built workflow: its compiled graph and a way to start runs of it. `S` is the union of its
 * state names; hover a workflow in your editor to see it.
 *
 * @example
 * ```ts
 * const wf: Workflow<AC, OC, JC, 'fetch' | 'done'> = builder.build();
 * const run = wf.newRun('nightly', { outDir: 'out' }).add({ url }, 'fetch');
 * ```
 * @public
 */
export interface Workflow<AC, OC, JC, S extends string = string> extends WorkflowStates<S> {
  /** The runtime graph the definition compiled to. */
  readonly graph: Graph<AC, OC, JC>;
  /** A new, empty run of this workflow; its `add` accepts only this workflow's states. */
  newRun(name: string, oc: OC): Run<OC, JC, S>;
}

/** Wraps a compiled graph as a workflow. */
export function createWorkflow<AC, OC, JC, S extends string>(graph: Graph<AC, OC, JC>): Workflow<AC, OC, JC, S> {
  const states = Object.freeze(graph.states.map((s) => s.name as S));
  const wf: Workflow<AC, OC, JC, S> = Object.freeze({
    name: graph.name,
    states,
    graph,
    newRun(name: string, oc: OC): Run<OC, JC, S> {
      return bindRun(new Run<OC, JC>(name, oc), wf);
    },
  });
  return wf;
}
