import type { TypeMessage } from './type-message.js';

/**
 * The type of `.build`: `Build` (a function) when every referenced state is declared, otherwise a
 * {@link TypeMessage} naming each missing state, which has no call signatures, so calling it
 * reports, within the first 100 characters of the error at any workflow size:
 * `This expression is not callable. Type 'TypeMessage<"State 'prase' is a target but is never declared: …">' has no call signatures.`
 *
 * (A `this` parameter check names the state only after printing the whole builder type, over
 * 300 characters at 200 states; a required parameter typed as the sentence only says "Expected 1
 * arguments, but got 0".) The check is one comparison of two unions; the missing states are
 * worked out only when it fails.
 *
 * @example
 * ```ts
 * type Ok = AllStatesDeclared<'a' | 'b', 'b', () => Wf>;   // () => Wf
 * type Bad = AllStatesDeclared<'a', 'prase', () => Wf>;    // TypeMessage<"State 'prase' is a target but is never declared: …">
 * ```
 * @public
 */
export type AllStatesDeclared<Declared extends string, Referenced extends string, Build> = [Referenced] extends [Declared]
  ? Build
  : TypeMessage<UndeclaredStateMessage<Exclude<Referenced, Declared>>>;

/**
 * The sentence for one undeclared state (a union of sentences for several).
 *
 * @example
 * ```ts
 * type M = UndeclaredStateMessage<'prase'>; // "State 'prase' is a target but is never declared: add .state('prase', …) or .terminal('prase')"
 * ```
 * @public
 */
export type UndeclaredStateMessage<S extends string> = S extends string
  ? `State '${S}' is a target but is never declared: add .state('${S}', …) or .terminal('${S}')`
  : never;
