import type { ExecFn } from '../src/model/transition.js';
import { createWorkflow, type Workflow } from '../src/model/workflow.js';
import { compileGraph, type StateDefinition } from '../src/graph/compile-graph.js';
import { callerLocation } from '../src/graph/caller-location.js';
import type { StateOptions } from '../src/model/state-options.js';

/** Finished definitions, newest first, shared between builder values so each step is O(1). */
interface DefinitionList {
  readonly definition: StateDefinition;
  readonly previous: DefinitionList | undefined;
}

/**
 * The runtime builder: records states and edges, untyped. Every call returns a new builder, so a
 * builder value can be continued (or branched) in later statements without one branch seeing
 * another's states. Its public type is `WorkflowBuilder` (dsl/types), cast to once in `workflow()`.
 */
export class RuntimeBuilder {
  readonly #name: string;
  readonly #done: DefinitionList | undefined;
  readonly #current: StateDefinition | undefined;

  constructor(name: string, done?: DefinitionList, current?: StateDefinition) {
    this.#name = name;
    this.#done = done;
    this.#current = current;
  }

  state(name: string, options: StateOptions<string, string> = {}): RuntimeBuilder {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`State "${name}": options must be an object, got ${String(options)}`);
    }
    // Only the function's identity is used (to cut the stack trace above it), never a call.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const source = callerLocation(RuntimeBuilder.prototype.state);
    const definition: StateDefinition = { name, terminal: false, options, targets: [], spawns: [], exec: undefined, source };
    return new RuntimeBuilder(this.#name, this.#finished(), definition);
  }

  to(...targets: string[]): RuntimeBuilder {
    const current = this.#require('to');
    return new RuntimeBuilder(this.#name, this.#done, { ...current, targets: [...current.targets, ...targets] });
  }

  spawns(...targets: string[]): RuntimeBuilder {
    const current = this.#require('spawns');
    return new RuntimeBuilder(this.#name, this.#done, { ...current, spawns: [...current.spawns, ...targets] });
  }

  exec(fn: ExecFn<unknown, unknown, unknown>): RuntimeBuilder {
    const current = this.#require('exec');
    if (typeof fn !== 'function') throw new TypeError(`State "${current.name}": .exec() needs a function, got ${typeof fn}`);
    return new RuntimeBuilder(this.#name, { definition: { ...current, exec: fn }, previous: this.#done }, undefined);
  }

  terminal(...names: string[]): RuntimeBuilder {
    let done = this.#finished();
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const source = callerLocation(RuntimeBuilder.prototype.terminal);
    for (const name of names) {
      done = { definition: { name, terminal: true, options: {}, targets: [], spawns: [], exec: undefined, source }, previous: done };
    }
    return new RuntimeBuilder(this.#name, done, undefined);
  }

  build(): Workflow<unknown, unknown, unknown, string> {
    const definitions: StateDefinition[] = [];
    for (let node = this.#finished(); node; node = node.previous) definitions.push(node.definition);
    return createWorkflow(compileGraph(this.#name, definitions.reverse()));
  }

  /** The finished list, with a state still lacking its exec included so `build()` reports it. */
  #finished(): DefinitionList | undefined {
    return this.#current ? { definition: this.#current, previous: this.#done } : this.#done;
  }

  #require(method: string): StateDefinition {
    if (this.#current === undefined) throw new TypeError(`.${method}() must follow .state(name, options): it applies to the state just declared`);
    return this.#current;
  }
}
