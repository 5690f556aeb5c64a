import type { ExecFn } from '../model/transition.js';
import type { Edge, Graph, StateNode } from '../model/graph.js';
import type { SourceLocation } from '../model/source-location.js';
import type { StateOptions } from '../model/state-options.js';
import { WorkflowDefinitionError } from './workflow-definition-error.js';

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
  const node: StateNode = {
    name: d.name,
    index,
    terminal: d.terminal,
    concurrency: d.terminal ? 0 : (d.options.concurrency ?? 1),
    recursive: d.options.recursive === true,
    targets: Object.freeze([...d.targets]),
    spawns: Object.freeze([...d.spawns]),
    ...(d.options.timeout ? { timeout: Object.freeze({ ...d.options.timeout }) } : {}),
    ...(d.options.retry ? { retry: Object.freeze({ ...d.options.retry }) } : {}),
    ...(d.options.rateLimit ? { rateLimit: d.options.rateLimit } : {}),
    ...(d.options.hedge ? { hedge: Object.freeze({ ...d.options.hedge }) } : {}),
    ...(d.exec ? { exec: d.exec } : {}),
    ...(d.source ? { source: d.source } : {}),
  };
  return Object.freeze(node);
}

function edgesOf(d: StateDefinition): Edge[] {
  const edges: Edge[] = d.targets.map((to) => ({ from: d.name, to, kind: 'transition' }));
  for (const to of d.spawns) edges.push({ from: d.name, to, kind: 'spawn' });
  if (d.options.timeout) edges.push({ from: d.name, to: d.options.timeout.failState, kind: 'timeout-fail' });
  return edges;
}

function validateDefinitions(definitions: readonly StateDefinition[]): string[] {
  if (definitions.length === 0) return ['it declares no states: add one with .state(name, options)'];
  const problems: string[] = [];
  const declared = new Set<string>();
  for (const d of definitions) {
    if (typeof d.name !== 'string' || d.name.length === 0) {
      problems.push(`a state name must be a non-empty string, got ${describe(d.name)}`);
      continue;
    }
    if (declared.has(d.name)) problems.push(`State "${d.name}" is declared twice`);
    declared.add(d.name);
  }
  for (const d of definitions) problems.push(...validateState(d, declared));
  return problems;
}

function validateState(d: StateDefinition, declared: ReadonlySet<string>): string[] {
  if (d.terminal) return validateTerminal(d);
  const problems: string[] = [];
  const where = `State "${d.name}"`;
  if (typeof d.exec !== 'function') problems.push(`${where} has no exec: call .exec(fn) after .to(...)`);
  if (d.targets.length === 0) problems.push(`${where} has no .to(...) targets: an exec must have somewhere to go`);
  const concurrency = d.options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    problems.push(`${where}: concurrency must be a whole number from 1 up, got ${describe(concurrency)}`);
  }
  for (const t of d.targets) {
    if (!declared.has(t)) problems.push(`${where} targets "${t}", which is never declared with .state() or .terminal()`);
  }
  for (const t of d.spawns) {
    if (!declared.has(t)) problems.push(`${where} spawns into "${t}", which is never declared with .state() or .terminal()`);
  }
  const timeout = d.options.timeout;
  if (timeout !== undefined) problems.push(...validateTimeout(d, timeout));
  problems.push(...validatePolicies(d));
  return problems;
}

function validatePolicies(d: StateDefinition): string[] {
  const problems: string[] = [];
  const where = `State "${d.name}"`;
  const { retry, hedge, rateLimit } = d.options;
  if (retry !== undefined) {
    if (!Number.isInteger(retry.attempts) || retry.attempts < 1) problems.push(`${where}: retry.attempts must be a whole number from 1 up, got ${describe(retry.attempts)}`);
    if (retry.then !== undefined && !d.targets.includes(retry.then)) {
      problems.push(`${where}: retry then-state "${String(retry.then)}" must be one of its .to() targets (${d.targets.join(', ') || 'none'})`);
    }
    if (retry.retryOn !== undefined && typeof retry.retryOn !== 'function') problems.push(`${where}: retry.retryOn must be a function`);
    problems.push(...validateBackoff(where, retry.backoff ?? {}));
  }
  if (hedge !== undefined) {
    if (!(typeof hedge.afterMs === 'number' && hedge.afterMs > 0 && Number.isFinite(hedge.afterMs))) problems.push(`${where}: hedge.afterMs must be a positive number of milliseconds, got ${describe(hedge.afterMs)}`);
    if (!Number.isInteger(hedge.max) || hedge.max < 2) problems.push(`${where}: hedge.max must be a whole number from 2 up (the first attempt counts), got ${describe(hedge.max)}`);
  }
  if (rateLimit !== undefined && (typeof rateLimit !== 'object' || typeof rateLimit.tryAcquire !== 'function')) {
    problems.push(`${where}: rateLimit must be a rate limiter such as fixedRate(10) or aimd({ initial: 10 })`);
  }
  return problems;
}

function validateBackoff(where: string, b: NonNullable<NonNullable<StateOptions<string, string>['retry']>['backoff']>): string[] {
  const problems: string[] = [];
  const check = (name: string, value: number | undefined, min: number) => {
    if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value >= min)) problems.push(`${where}: retry.backoff.${name} must be a number from ${min} up, got ${describe(value)}`);
  };
  check('initialMs', b.initialMs, 0);
  check('maxMs', b.maxMs, b.initialMs ?? 0);
  check('multiplier', b.multiplier, 1);
  if (b.jitter !== undefined && b.jitter !== 'full' && b.jitter !== 'none') problems.push(`${where}: retry.backoff.jitter must be "full" or "none", got ${describe(b.jitter)}`);
  return problems;
}

function validateTimeout(d: StateDefinition, timeout: NonNullable<StateOptions<string, string>['timeout']>): string[] {
  const problems: string[] = [];
  const where = `State "${d.name}"`;
  if (typeof timeout.ms !== 'number' || !Number.isFinite(timeout.ms) || timeout.ms <= 0) {
    problems.push(`${where}: timeout.ms must be a positive number of milliseconds, got ${describe(timeout.ms)}`);
  }
  if (timeout.retries !== undefined && (!Number.isInteger(timeout.retries) || timeout.retries < 0)) {
    problems.push(`${where}: timeout.retries must be a whole number from 0 up, got ${describe(timeout.retries)}`);
  }
  if (!d.targets.includes(timeout.failState)) {
    problems.push(
      `${where}: timeout failState "${String(timeout.failState)}" must be one of its .to() targets (${d.targets.join(', ') || 'none'})`,
    );
  }
  return problems;
}

function validateTerminal(d: StateDefinition): string[] {
  const where = `Terminal state "${d.name}"`;
  const problems: string[] = [];
  if (d.exec !== undefined) problems.push(`${where} cannot have an exec`);
  if (d.options.timeout !== undefined) problems.push(`${where} cannot have a timeout`);
  if (d.options.retry !== undefined || d.options.hedge !== undefined || d.options.rateLimit !== undefined) problems.push(`${where} cannot have a retry, hedge or rate limit`);
  if (d.targets.length > 0 || d.spawns.length > 0) problems.push(`${where} cannot have targets or spawns`);
  return problems;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : String(value);
}
