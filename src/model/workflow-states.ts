/**
 * What binding a run to a workflow needs of it: its name and its states. Every `Workflow` is one;
 * a store's `load(workflow)` takes one.
 *
 * @example
 * ```ts
 * const states: WorkflowStates<'fetch' | 'done'> = crawl;
 * ```
 * @public
 */
export interface WorkflowStates<S extends string> {
  /** The workflow's name. */
  readonly name: string;
  /** Every state name, in declared order. */
  readonly states: readonly S[];
}
