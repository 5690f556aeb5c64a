/**
 * jorb-ts/types: the type-level machinery behind the workflow builder's checks, for libraries that
 * wrap or extend the builder. Applications do not need it: `jorb-ts` exports the builder itself.
 *
 * @packageDocumentation
 */

export type { DuplicateStateMessage, NewStateName, NewTerminalName, OtherNames, RepeatedTerminalMessage } from './duplicate-state.js';
export type { NoSpawnsMessage } from './kick-targets.js';
export type { MissingExecMessage, MissingTargetsMessage } from './missing-exec.js';
export type { MissingBuildMessage } from './missing-build.js';
export type { AllStatesDeclared, UndeclaredStateMessage } from './undeclared-states.js';
export type { PolicyStatesAreTargets } from './policy-targets.js';
export type { ContextsAreJson, JsonProblems } from './json-contexts.js';
export type { TypeMessage } from './type-message.js';
