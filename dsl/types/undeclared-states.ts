/**
 * The `this` a builder must be for `.build()` to compile: itself when every referenced state is
 * declared, otherwise a sentence naming each missing state, so the compiler reports that the
 * builder "is not assignable to method's 'this' of type" the sentence
 * `State 'prase' is a target but is never declared: add .state('prase', …) or .terminal('prase')`.
 *
 * @example
 * ```ts
 * type Ok = AllStatesDeclared<'a' | 'b', 'b', Builder>;   // Builder
 * type Bad = AllStatesDeclared<'a', 'prase', Builder>;    // "State 'prase' is a target but is never declared: …"
 * ```
 * @public
 */
export type AllStatesDeclared<Declared extends string, Referenced extends string, Self> = [Exclude<Referenced, Declared>] extends [never]
  ? Self
  : UndeclaredStateMessage<Exclude<Referenced, Declared>>;

/**
 * The sentence for one undeclared state (a union of sentences for several).
 *
 * @example
 * ```ts
 * type M = UndeclaredStateMessage<'prase'>;
 * ```
 * @public
 */
export type UndeclaredStateMessage<S extends string> = S extends string
  ? `State '${S}' is a target but is never declared: add .state('${S}', …) or .terminal('${S}')`
  : never;
