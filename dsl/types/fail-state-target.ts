/**
 * The `this` an exec step must be for `.exec()` to compile: itself when the state's timeout
 * `failState` is one of its `.to(...)` targets (or it has no timeout), otherwise a sentence naming
 * both, which the compiler reports at `.exec`.
 *
 * @example
 * ```ts
 * type Ok = FailStateIsTarget<'fetch', 'failed', 'parse' | 'failed', Step>;  // Step
 * type Bad = FailStateIsTarget<'fetch', 'failed', 'parse', Step>;           // 'Timeout failState "failed" of state "fetch" must be one of its .to() targets'
 * ```
 * @public
 */
export type FailStateIsTarget<S extends string, F extends string, T extends string, Self> = string extends F
  ? `The timeout failState of state "${S}" is typed only as string: write the options inline, or type them StateOptions<'the-fail-state'>`
  : [F] extends [T]
    ? Self
    : `Timeout failState "${F}" of state "${S}" must be one of its .to() targets`;
