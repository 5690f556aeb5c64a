import type { ExecFn } from '../model/transition.js';
import type { Edge, Graph, StateNode } from '../model/graph.js';
import type { RateLimiter } from '../model/rate-limiter.js';
import type { SourceLocation } from '../model/source-location.js';
import {
  BACKOFF_OPTION_KEYS,
  HEDGE_OPTION_KEYS,
  JOIN_OPTION_KEYS,
  RETRY_OPTION_KEYS,
  STATE_OPTION_KEYS,
  TIMEOUT_OPTION_KEYS,
  type BackoffOptions,
  type HedgeOptions,
  type RetryOptions,
  type StateOptions,
  type TimeoutOptions,
} from '../model/state-options.js';
import { aFunction, anObject, durationMs, explained, numberIn, oneOf, optional, optionProblem, rule, unknownOptionProblems, wholeNumber } from '../model/check-option.js';
import { renderValue } from '../model/render-value.js';
import { WorkflowDefinitionError } from './workflow-definition-error.js';
import { AdaptiveLimit } from '../policies/adaptive-limit.js';

/** A state as the builder recorded it, before validation. */
export interface StateDefinition {
  readonly name: string;
  readonly terminal: boolean;
  readonly options: StateOptions<string, string>;
  readonly targets: readonly string[];
  readonly spawns: readonly string[];
  readonly exec: ExecFn<unknown, unknown, unknown> | undefined;
  readonly source?: SourceLocation | undefined;
}

/**
 * Validates recorded states and compiles them to a graph. Mirrors the type-level checks for
 * untyped callers, and adds what types cannot see (concurrency, durations). Reports every problem
 * at once, each naming its state.
 */
export function compileGraph(name: string, definitions: readonly StateDefinition[]): Graph {
  const problems = validateDefinitions(definitions);
  if (problems.length > 0) throw new WorkflowDefinitionError(name, problems);

  const states = definitions.map((d, index) => toNode(d, index));
  const byName = new Map(states.map((s) => [s.name, s]));
  return Object.freeze({
    name,
    states: Object.freeze(states),
    edges: Object.freeze(definitions.flatMap(edgesOf)),
    state: (stateName: string) => byName.get(stateName),
  });
}

function toNode(d: StateDefinition, index: number): StateNode {
  const located = d.source ? { source: d.source } : {};
  if (d.terminal) {
    return Object.freeze({ name: d.name, index, terminal: true, concurrency: 0, recursive: false, targets: EMPTY, spawns: EMPTY, ...located });
  }
  // validateState reported a working state without an exec; this only tells the type checker
  if (d.exec === undefined) throw new Error(`compileGraph: state ${renderValue(d.name)} has no exec, and validation let it through`);
  const { concurrency, recursive, timeout, retry, rateLimit, hedge, join } = d.options;
  const adaptive = concurrency instanceof AdaptiveLimit ? concurrency : undefined;
  return Object.freeze({
    name: d.name,
    index,
    terminal: false,
    // an adaptive limit's node shows its max: the most that may run (slots, queues and claims are sized by it)
    concurrency: adaptive ? adaptive.settings.max : ((concurrency as number | undefined) ?? 1),
    ...(adaptive ? { adaptive } : {}),
    recursive: recursive === true,
    targets: Object.freeze([...d.targets]),
    spawns: Object.freeze([...d.spawns]),
    exec: d.exec,
    ...(timeout ? { timeout: Object.freeze({ ...timeout }) } : {}),
    ...(retry ? { retry: Object.freeze({ ...retry }) } : {}),
    ...(rateLimit ? { rateLimit } : {}),
    ...(hedge ? { hedge: Object.freeze({ ...hedge }) } : {}),
    ...(join ? { join: Object.freeze(join === true ? {} : { ...join }) } : {}),
    ...located,
  });
}

const EMPTY: readonly string[] = Object.freeze([]);

function edgesOf(d: StateDefinition): Edge[] {
  const edges: Edge[] = d.targets.map((to) => ({ from: d.name, to, kind: 'transition' }));
  for (const to of d.spawns) edges.push({ from: d.name, to, kind: 'spawn' });
  if (d.options.timeout) edges.push({ from: d.name, to: d.options.timeout.failState, kind: 'timeout-fail' });
  const join = d.options.join;
  if (typeof join === 'object' && join.failState !== undefined) edges.push({ from: d.name, to: join.failState, kind: 'join-fail' });
  return edges;
}

function validateDefinitions(definitions: readonly StateDefinition[]): string[] {
  if (definitions.length === 0) return ['it declares no states: add one with .state(name, options)'];
  const problems: string[] = [];
  const declared = new Set<string>();
  for (const d of definitions) {
    if (typeof d.name !== 'string' || d.name.length === 0) {
      problems.push(`a state name must be a non-empty string, got ${renderValue(d.name)}`);
      continue;
    }
    if (declared.has(d.name)) problems.push(`State ${renderValue(d.name)} is declared twice`);
    declared.add(d.name);
  }
  const limits = new Map<unknown, string>();
  for (const d of definitions) {
    problems.push(...validateState(d, declared));
    const concurrency: unknown = d.options.concurrency;
    if (d.terminal || !(concurrency instanceof AdaptiveLimit)) continue;
    const first = limits.get(concurrency);
    if (first === undefined) limits.set(concurrency, d.name);
    else problems.push(`State ${renderValue(d.name)}: its concurrency is the adaptive() limit of state ${renderValue(first)}: call adaptive() once per state`);
  }
  return problems;
}

/** Collects the problems found, skipping the checks that found none. */
function found(...checks: (string | undefined)[]): string[] {
  return checks.filter((p): p is string => p !== undefined);
}

function validateState(d: StateDefinition, declared: ReadonlySet<string>): string[] {
  if (d.terminal) return validateTerminal(d);
  const where = `State ${renderValue(d.name)}`;
  const problems = found(
    typeof d.exec === 'function' ? undefined : `${where} has no exec: call .exec(fn) after .to(...)`,
    d.targets.length > 0 ? undefined : `${where} has no .to(...) targets: an exec must have somewhere to go`,
  );
  problems.push(...concurrencyProblems(where, d.options.concurrency));
  problems.push(...unknownOptionProblems(where, undefined, d.options, STATE_OPTION_KEYS));
  for (const t of d.targets) {
    if (!declared.has(t)) problems.push(`${where} targets ${renderValue(t)}, which is never declared with .state() or .terminal()`);
  }
  for (const t of d.spawns) {
    if (!declared.has(t)) problems.push(`${where} spawns into ${renderValue(t)}, which is never declared with .state() or .terminal()`);
  }
  const { timeout, retry, hedge, rateLimit } = d.options;
  // An option that is not an object is reported as such, and what it would hold is not read.
  const timeoutShape = optionProblem(where, 'timeout', timeout, optional(TIMEOUT_SHAPE));
  problems.push(...found(timeoutShape));
  if (timeoutShape === undefined && timeout !== undefined) problems.push(...validateTimeout(where, d.targets, timeout));
  const retryShape = optionProblem(where, 'retry', retry, optional(RETRY_SHAPE));
  const backoffShape = retryShape === undefined ? optionProblem(where, 'retry.backoff', retry?.backoff, optional(BACKOFF_SHAPE)) : undefined;
  problems.push(...found(retryShape, backoffShape));
  if (retryShape === undefined && backoffShape === undefined && retry !== undefined) problems.push(...validateRetry(where, d.targets, retry));
  problems.push(...validateJoin(where, d.targets, d.options.join));
  const hedgeShape = optionProblem(where, 'hedge', hedge, optional(HEDGE_SHAPE));
  problems.push(...found(hedgeShape));
  if (hedgeShape === undefined && hedge !== undefined) problems.push(...validateHedge(where, hedge));
  problems.push(...found(optionProblem(where, 'rateLimit', rateLimit, optional(A_RATE_LIMITER))));
  return problems;
}

/** A state's concurrency: a whole number from 1 up, or an adaptive() limit made with good options. */
function concurrencyProblems(where: string, concurrency: unknown): string[] {
  if (concurrency instanceof AdaptiveLimit) return concurrency.settings.problems.map((problem) => `${where}: concurrency ${problem}`);
  // an object that is not an adaptive() limit hears of adaptive(); anything else gets the plain words
  return found(optionProblem(where, 'concurrency', concurrency, optional(typeof concurrency === 'object' && concurrency !== null ? CONCURRENCY_OR_ADAPTIVE : CONCURRENCY)));
}

const CONCURRENCY = wholeNumber(1);
const CONCURRENCY_OR_ADAPTIVE = explained(CONCURRENCY, 'or adaptive({ … })');
const TIMEOUT_SHAPE = anObject("{ ms: 30_000, failState: 'failed' }");
const RETRY_SHAPE = anObject('{ attempts: 3 }');
const BACKOFF_SHAPE = anObject('{ initialMs: 100 }');
const HEDGE_SHAPE = anObject('{ afterMs: 200, max: 2 }');

const HEDGE_MAX = explained(wholeNumber(2), 'the first attempt counts');
const A_RATE_LIMITER = rule(
  'a rate limiter such as fixedRate(10) or aimd({ initial: 10 })',
  (value): value is RateLimiter => typeof value === 'object' && value !== null && typeof (value as Partial<RateLimiter>).tryAcquire === 'function',
);
const JITTER = oneOf(['full', 'none']);

function validateRetry(where: string, targets: readonly string[], retry: RetryOptions): string[] {
  const backoff: BackoffOptions = retry.backoff ?? {};
  const initialMs = numberIn({ from: 0 }).test(backoff.initialMs) ? backoff.initialMs : 0;
  return [
    ...unknownOptionProblems(where, 'retry', retry, RETRY_OPTION_KEYS),
    ...unknownOptionProblems(where, 'retry.backoff', backoff, BACKOFF_OPTION_KEYS),
    ...found(
    optionProblem(where, 'retry.attempts', retry.attempts, wholeNumber(1)),
    retry.then === undefined || targets.includes(retry.then) ? undefined : `${where}: retry then-state ${renderValue(retry.then)} must be one of its .to() targets (${listed(targets)})`,
    optionProblem(where, 'retry.retryOn', retry.retryOn, optional(aFunction)),
    optionProblem(where, 'retry.backoff.initialMs', backoff.initialMs, optional(numberIn({ from: 0 }))),
    optionProblem(where, 'retry.backoff.maxMs', backoff.maxMs, optional(numberIn({ from: initialMs }))),
    optionProblem(where, 'retry.backoff.multiplier', backoff.multiplier, optional(numberIn({ from: 1 }))),
    optionProblem(where, 'retry.backoff.jitter', backoff.jitter, optional(JITTER)),
    ),
  ];
}

function validateTimeout(where: string, targets: readonly string[], timeout: TimeoutOptions): string[] {
  return [
    ...unknownOptionProblems(where, 'timeout', timeout, TIMEOUT_OPTION_KEYS),
    ...found(
      optionProblem(where, 'timeout.ms', timeout.ms, durationMs),
      optionProblem(where, 'timeout.retries', timeout.retries, optional(wholeNumber(0))),
      targets.includes(timeout.failState) ? undefined : `${where}: timeout failState ${renderValue(timeout.failState)} must be one of its .to() targets (${listed(targets)})`,
    ),
  ];
}

function validateJoin(where: string, targets: readonly string[], join: StateOptions<string, string>['join']): string[] {
  if (join === undefined || typeof join === 'boolean') return [];
  if (join === null || typeof join !== 'object') return [`${where}: join must be true, false or { failState }, got ${renderValue(join)}`];
  const failState = join.failState;
  return [
    ...unknownOptionProblems(where, 'join', join, JOIN_OPTION_KEYS),
    ...found(
      failState === undefined || targets.includes(failState) ? undefined : `${where}: join failState ${renderValue(failState)} must be one of its .to() targets (${listed(targets)})`,
    ),
  ];
}

function validateHedge(where: string, hedge: HedgeOptions): string[] {
  return [
    ...unknownOptionProblems(where, 'hedge', hedge, HEDGE_OPTION_KEYS),
    ...found(optionProblem(where, 'hedge.afterMs', hedge.afterMs, durationMs), optionProblem(where, 'hedge.max', hedge.max, HEDGE_MAX)),
  ];
}

function validateTerminal(d: StateDefinition): string[] {
  const where = `Terminal state ${renderValue(d.name)}`;
  const { timeout, retry, hedge, rateLimit, join } = d.options;
  return found(
    d.exec === undefined ? undefined : `${where} cannot have an exec`,
    join === undefined ? undefined : `${where} cannot be a join: a job that reaches it is done`,
    timeout === undefined ? undefined : `${where} cannot have a timeout`,
    retry === undefined && hedge === undefined && rateLimit === undefined ? undefined : `${where} cannot have a retry, hedge or rate limit`,
    d.targets.length === 0 && d.spawns.length === 0 ? undefined : `${where} cannot have targets or spawns`,
  );
}

function listed(targets: readonly string[]): string {
  return targets.join(', ') || 'none';
}
