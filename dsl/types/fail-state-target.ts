import type { TypeMessage } from './type-message.js';

/**
 * What an exec must also be for `.exec(fn)` to compile: nothing more (`unknown`) when the state's
 * timeout `failState` is one of its `.to(...)` targets or it has no timeout; otherwise a
 * {@link TypeMessage} naming both, which the compiler prints at the exec itself.
 *
 * @example
 * ```ts
 * type Ok = FailStateIsTarget<'fetch', 'failed', 'parse' | 'failed'>;  // unknown
 * type Bad = FailStateIsTarget<'fetch', 'failed', 'parse'>;           // TypeMessage<"Timeout failState 'failed' of state 'fetch' must be one of its .to() targets">
 * ```
 * @public
 */
export type FailStateIsTarget<S extends string, F extends string, T extends string> = string extends F
  ? TypeMessage<`The timeout failState of state '${S}' is typed only as string: write the options inline, or type them StateOptions<'the-fail-state'>`>
  : [F] extends [T]
    ? unknown
    : TypeMessage<`Timeout failState '${F}' of state '${S}' must be one of its .to() targets`>;
