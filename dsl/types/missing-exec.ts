/**
 * What the compiler says when a state's `.exec(fn)` is left out and the chain goes on. On the step
 * after `.to(...)` (or `.spawns(...)`), `.state(name)` and `.terminal(name, …)` take a name
 * intersected with this sentence and `.build` is typed as it, so the mistake reads
 * `Argument of type '"parse"' is not assignable to parameter of type '"parse" & TypeMessage<"State 'fetch' has no exec: …">'`
 * at the next name (or `This expression is not callable. Type 'TypeMessage<"State 'fetch' has no exec: …">' …` at
 * `build`), instead of `Property 'state' does not exist on type '{ spawns<K extends string>…'`; the
 * rest of the chain is still typed, so it is the only error.
 *
 * Types only: the runtime builder takes these calls, and `.build()` reports the state without an
 * exec for untyped callers. A member's type is instantiated only when it is used, which a workflow
 * that compiles never does, so they cost nothing per state.
 *
 * @example
 * ```ts
 * type M = MissingExecMessage<'parse'>;
 * // "State 'parse' has no exec: add .exec(fn) after its .to(…)"
 * ```
 * @public
 */
export type MissingExecMessage<S extends string> = `State '${S}' has no exec: add .exec(fn) after its .to(…)`;

/**
 * What the compiler says when `.to(...)` is left out: on the step after `.state(…)`, `.exec(fn)`,
 * `.state(…)` and `.terminal(…)` take their argument intersected with this sentence, and `.build`
 * is typed as it, the same way as {@link MissingExecMessage}.
 *
 * @example
 * ```ts
 * type M = MissingTargetsMessage<'parse'>;
 * // "State 'parse' has no .to(…): add .to(…) naming the states its exec may return, before .exec(fn)"
 * ```
 * @public
 */
export type MissingTargetsMessage<S extends string> = `State '${S}' has no .to(…): add .to(…) naming the states its exec may return, before .exec(fn)`;
