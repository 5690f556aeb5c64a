import { RuntimeBuilder } from './builder.js';
import type { ContextsAreJson } from './types/json-contexts.js';
import type { WorkflowBuilder } from './types/workflow-builder.js';

/**
 * Starts a workflow definition. `AC` is the app context given to every exec, `OC` the run's
 * overall context, `JC` each job's context. `OC` and `JC` are stored as JSON with the run, so a
 * field JSON cannot store (a `Date`, a function, a `Map`, a `bigint`, a field that is always
 * `undefined`…) does not compile: the error is at the name, and says which field and what to
 * store instead (`JC field 'when' is a Date, which JSON cannot store: store an ISO string or epoch ms`).
 *
 * @example
 * ```ts
 * type JC = { n: number };
 * const counter = workflow<{}, {}, JC>('counter')
 *   .state('count', { concurrency: 4 })
 *   .to('count', 'done')
 *   .exec(({ jc }) => (jc.n < 3 ? { state: 'count', jc: { n: jc.n + 1 } } : { state: 'done', jc }))
 *   .terminal('done')
 *   .build();
 * ```
 * @public
 */
export function workflow<AC = unknown, OC = unknown, JC = unknown>(name: ContextsAreJson<OC, JC, string>): WorkflowBuilder<AC, OC, JC, never, never> {
  // The parameter's type is `string` for every program that compiles; untyped callers may pass anything.
  const given: unknown = name;
  if (typeof given !== 'string' || given.length === 0) throw new TypeError(`workflow(name): name must be a non-empty string, got ${JSON.stringify(given)}`);
  return new RuntimeBuilder(given) as unknown as WorkflowBuilder<AC, OC, JC, never, never>;
}
