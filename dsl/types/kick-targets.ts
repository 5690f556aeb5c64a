/**
 * The kick-target type of a state declared without `.spawns(...)`: a sentence rather than `never`,
 * so a kick from such a state is reported as
 * `Type '"fetch"' is not assignable to type '"add .spawns(…) to kick"'`, naming the call that is
 * missing, where `never` printed only `Type 'string' is not assignable to type 'never'`.
 *
 * It is short on purpose: it also appears, as the last type argument of `ExecFn` and `Transition`,
 * in the messages about other mistakes in the execs of states that do not kick. No state is named
 * like it, so no kick can go through.
 *
 * @example
 * ```ts
 * const none: readonly Kick<JC, NoSpawnsMessage>[] = []; // the only kicks such a state may return
 * ```
 * @public
 */
export type NoSpawnsMessage = 'add .spawns(…) to kick';
