/**
 * The type of a state-name parameter: the name itself, or, when the name is already declared, a
 * sentence saying so, which the compiler then reports at the name:
 * `Argument of type '"fetch"' is not assignable to parameter of type '"State 'fetch' is declared twice"'`.
 *
 * @example
 * ```ts
 * type Ok = NewStateName<'parse', 'fetch'>;   // 'parse'
 * type Bad = NewStateName<'fetch', 'fetch'>;  // "State 'fetch' is declared twice"
 * ```
 * @public
 */
export type NewStateName<S extends string, Declared extends string> = S extends Declared ? `State '${S}' is declared twice` : S;

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
