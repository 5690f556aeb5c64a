/**
 * What the compiler says when a state name is declared a second time. The argument it is said
 * about is the name itself, so the error reads
 * `Argument of type '"fetch"' is not assignable to parameter of type '"This state is already declared: …"'`.
 *
 * The sentence does not repeat the name on purpose: a sentence built from the name is a template
 * type that `.state()` would instantiate while inferring every name, about 15 type
 * instantiations per state (measured by `npm run bench:types`); this one is a constant.
 *
 * @example
 * ```ts
 * const m: DuplicateStateMessage = 'This state is already declared: declare each state once, by .state(…) or .terminal(…)';
 * ```
 * @public
 */
export type DuplicateStateMessage = 'This state is already declared: declare each state once, by .state(…) or .terminal(…)';

/**
 * The type of a state-name parameter: the name itself, or, when the name is already declared,
 * {@link DuplicateStateMessage}, which the compiler then reports at the name:
 * `Argument of type '"fetch"' is not assignable to parameter of type '"This state is already declared: …"'`.
 *
 * @example
 * ```ts
 * type Ok = NewStateName<'parse', 'fetch'>;   // 'parse'
 * type Bad = NewStateName<'fetch', 'fetch'>;  // DuplicateStateMessage
 * ```
 * @public
 */
export type NewStateName<S extends string, Declared extends string> = S extends Declared ? DuplicateStateMessage : S;

/**
 * What the compiler says when one `.terminal(...)` call lists a name twice; the argument it is
 * said about is the first of the two:
 * `Argument of type '"done"' is not assignable to parameter of type '"This name is repeated in this .terminal(…): list each state once"'`.
 *
 * @example
 * ```ts
 * const m: RepeatedTerminalMessage = 'This name is repeated in this .terminal(…): list each state once';
 * ```
 * @public
 */
export type RepeatedTerminalMessage = 'This name is repeated in this .terminal(…): list each state once';

/**
 * The type of the name at index `I` of a `.terminal(...)` call whose names are `N`: the name itself;
 * {@link DuplicateStateMessage} when an earlier call declared it; {@link RepeatedTerminalMessage}
 * when the same call lists it again.
 *
 * @example
 * ```ts
 * type Ok = NewTerminalName<['done', 'failed'], '0', 'fetch'>;     // 'done'
 * type Twice = NewTerminalName<['done', 'done'], '0', 'fetch'>;    // RepeatedTerminalMessage
 * type Declared = NewTerminalName<['fetch'], '0', 'fetch'>;        // DuplicateStateMessage
 * ```
 * @public
 */
export type NewTerminalName<N extends readonly string[], I extends keyof N, Declared extends string> = N[I] extends Declared
  ? DuplicateStateMessage
  : N[I] extends OtherNames<N, I>
    ? RepeatedTerminalMessage
    : N[I];

/**
 * The names of a tuple other than the one at index `I`: what a name in one `.terminal(...)` call
 * must not repeat.
 *
 * @example
 * ```ts
 * type O = OtherNames<['done', 'failed'], '0'>; // 'failed'
 * ```
 * @public
 */
export type OtherNames<N extends readonly string[], I> = { [J in keyof N]: J extends I ? never : N[J] }[number];
