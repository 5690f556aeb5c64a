import { RuntimeBuilder } from './builder.js';
import type { WorkflowBuilder } from './types/workflow-builder.js';

/**
 * Starts a workflow definition. `AC` is the app context given to every exec, `OC` the run's
 * overall context, `JC` each job's context.
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
export function workflow<AC = unknown, OC = unknown, JC = unknown>(name: string): WorkflowBuilder<AC, OC, JC, never, never> {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError(`workflow(name): name must be a non-empty string, got ${JSON.stringify(name)}`);
  return new RuntimeBuilder(name) as unknown as WorkflowBuilder<AC, OC, JC, never, never>;
}
