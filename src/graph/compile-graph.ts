import type { ExecFn } from '../engine/transition.js';
import type { Edge, Graph, StateNode } from './graph.js';
import type { SourceLocation } from './source-location.js';
import type { StateOptions } from './state-options.js';
import { WorkflowDefinitionError } from './workflow-definition-error.js';

/** A state as the builder recorded it, before validation. */
export interface StateDefinition {
  readonly name: string;
  readonly terminal: boolean;
  readonly options: StateOptions<string>;
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
  return problems;
}

function validateTimeout(d: StateDefinition, timeout: NonNullable<StateOptions<string>['timeout']>): string[] {
  const problems: string[] = [];
  const where = `State "${d.name}"`;
  if (typeof timeout.ms !== 'number' || !Number.isFinite(timeout.ms) || timeout.ms <= 0) {
    problems.push(`${where}: timeout.ms must be a positive number of milliseconds, got ${describe(timeout.ms)}`);
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
  if (d.targets.length > 0 || d.spawns.length > 0) problems.push(`${where} cannot have targets or spawns`);
  return problems;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : String(value);
}
