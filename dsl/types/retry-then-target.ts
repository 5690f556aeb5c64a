import type { TypeMessage } from './type-message.js';

/**
 * What an exec must also be for `.exec(fn)` to compile: nothing more (`unknown`) when the state's
 * `retry.then` is one of its `.to(...)` targets or it has none; otherwise a {@link TypeMessage}
 * naming both, printed at the exec.
 *
 * @example
 * ```ts
 * type Ok = RetryThenIsTarget<'fetch', 'gave-up', 'parse' | 'gave-up'>;  // unknown
 * type Bad = RetryThenIsTarget<'fetch', 'gave-up', 'parse'>;            // TypeMessage<"Retry then-state 'gave-up' of state 'fetch' must be one of its .to() targets">
 * ```
 * @public
 */
export type RetryThenIsTarget<S extends string, R extends string, T extends string> = string extends R
  ? TypeMessage<`The retry then-state of state '${S}' is typed only as string: write the options inline, or type them StateOptions<never, 'the-then-state'>`>
  : [R] extends [T]
    ? unknown
    : TypeMessage<`Retry then-state '${R}' of state '${S}' must be one of its .to() targets`>;
