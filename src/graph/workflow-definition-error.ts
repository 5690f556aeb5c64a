import { renderValue } from '../model/render-value.js';

/**
 * Thrown by `build()` when a workflow definition is invalid. `problems` holds one line per
 * problem, each naming the state it is about; the message lists them all.
 *
 * @example
 * ```ts
 * try { builder.build(); } catch (e) { if (e instanceof WorkflowDefinitionError) console.error(e.problems); }
 * ```
 * @public
 */
export class WorkflowDefinitionError extends Error {
  /** Always `'WorkflowDefinitionError'`. */
  override readonly name = 'WorkflowDefinitionError';
  /** One line per problem, each naming its state. */
  readonly problems: readonly string[];

  constructor(workflow: string, problems: readonly string[]) {
    super(`Workflow ${renderValue(workflow)} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}
