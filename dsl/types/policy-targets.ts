import type { TypeMessage } from './type-message.js';

/**
 * What an exec must also be for `.exec(fn)` to compile: nothing more (`unknown`) when the states
 * its policies send jobs to (`P`: the timeout's `failState` and the retry's `then`) are among its
 * `.to(...)` targets `T`; otherwise a {@link TypeMessage} naming each such state and the state `S`,
 * which the compiler prints at the exec itself.
 *
 * The builder infers the timeout's and the retry's states into one union, `P`, rather than one
 * type parameter each: every type parameter of `.state()` costs about 8 type instantiations per
 * state to infer (measured by `npm run bench:types`), so the sentence names the state without
 * saying which of the two options it came from.
 *
 * @example
 * ```ts
 * type Ok = PolicyStatesAreTargets<'fetch', 'failed', 'parse' | 'failed'>;  // unknown
 * type Bad = PolicyStatesAreTargets<'fetch', 'failed', 'parse'>;           // TypeMessage<"Timeout failState, retry then-state or join failState 'failed' of state 'fetch' must be one of its .to() targets">
 * ```
 * @public
 */
export type PolicyStatesAreTargets<S extends string, P extends string, T extends string> = (P extends T ? never : P) extends never
  ? unknown
  : string extends P
    ? TypeMessage<`The timeout failState, retry then-state or join failState of state '${S}' is typed only as string: write the options inline, or type them StateOptions<'the-fail-state', 'the-then-state'>`>
    : TypeMessage<`Timeout failState, retry then-state or join failState '${Exclude<P, T>}' of state '${S}' must be one of its .to() targets`>;
