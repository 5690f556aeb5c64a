/**
 * jorb-ts/types: the type-level machinery behind the workflow builder's checks, for libraries that
 * wrap or extend the builder. Applications do not need it: `jorb-ts` exports the builder itself.
 *
 * @packageDocumentation
 */

export type { NewStateName, OtherNames } from './duplicate-state.js';
export type { AllStatesDeclared, UndeclaredStateMessage } from './undeclared-states.js';
export type { FailStateIsTarget } from './fail-state-target.js';
export type { RetryThenIsTarget } from './retry-then-target.js';
export type { TypeMessage } from './type-message.js';
