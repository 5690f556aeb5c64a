/**
 * A type whose only property is a sentence: intersected with a parameter's type, it makes the
 * compiler's error about that argument end with the sentence, at the argument itself, while the
 * rest of the parameter's type still types the argument (an exec's parameters stay inferred).
 *
 * @example
 * ```ts
 * type M = TypeMessage<"State 'fetch' is declared twice">; // { readonly "State 'fetch' is declared twice": true }
 * ```
 * @public
 */
export type TypeMessage<M extends string> = { readonly [K in M]: true };
