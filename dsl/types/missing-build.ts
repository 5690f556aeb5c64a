/**
 * What the compiler says when `.build()` is left out and the builder is used as a workflow
 * (`crawl.newRun(…)`, `new Processor(crawl, …)`, `store.load(crawl)`, `lintWorkflow(crawl)`): the
 * builder has a workflow's members (`newRun`, `graph`, `name`, `states`) typed as this sentence,
 * so the message names the missing call, e.g.
 * `This expression is not callable. Type 'TypeMessage<"This is a workflow builder, not a workflow: …">' has no call signatures.`
 * instead of `Property 'newRun' does not exist on type 'WorkflowBuilder<…>'`.
 *
 * Types only: the runtime builder has no such members. A constant sentence, so the builder's type
 * costs no more per state.
 *
 * @example
 * ```ts
 * const m: MissingBuildMessage = 'This is a workflow builder, not a workflow: end its definition with .build()';
 * ```
 * @public
 */
export type MissingBuildMessage = 'This is a workflow builder, not a workflow: end its definition with .build()';
