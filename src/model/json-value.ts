/**
 * Job contexts are JSON: what a store writes is what comes back. These two walks are the runtime
 * half of the compile-time check (for JavaScript callers and casts): one finds the first value JSON
 * would change or drop, naming its path; one copies a JSON value so that the job keeps its own.
 * Both are hand-written loops rather than `structuredClone`: they run once or twice per
 * transition, and for the small job contexts most runs have they cost a tenth as much.
 */

/** Why `value` is not plain JSON, naming the first offending path (`jc.meta.when`), or undefined. */
export function jsonProblem(value: unknown, path = 'jc'): string | undefined {
  return problemAt(value, path, []);
}

function problemAt(value: unknown, path: string, parents: object[]): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${path} is ${String(value)}, which JSON stores as null`;
    case 'undefined':
      return `${path} is undefined, which JSON drops`;
    case 'bigint':
      return `${path} is a bigint (${String(value)}n), which JSON cannot store: store it as a string`;
    case 'function':
      return `${path} is a function, which JSON drops`;
    case 'symbol':
      return `${path} is a symbol, which JSON drops`;
    default:
      return value === null ? undefined : objectProblem(value as object, path, parents);
  }
}

function objectProblem(value: object, path: string, parents: object[]): string | undefined {
  if (parents.includes(value)) return `${path} refers back to ${parents.length === 1 ? 'the job context' : 'an enclosing object'} (a cycle), which JSON cannot store`;
  if (Array.isArray(value)) {
    parents.push(value);
    for (let i = 0; i < value.length; i++) {
      const problem = problemAt(value[i], `${path}[${i}]`, parents);
      if (problem !== undefined) return problem;
    }
    parents.pop();
    return undefined;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return `${path} is a ${kindOf(value)}, which JSON ${value instanceof Date ? 'turns into a string' : 'does not store as it is'}: store plain objects, arrays, strings, numbers, booleans and null`;
  parents.push(value);
  for (const key of Object.keys(value)) {
    const problem = problemAt((value as Record<string, unknown>)[key], `${path}${propertyPath(key)}`, parents);
    if (problem !== undefined) return problem;
  }
  parents.pop();
  return undefined;
}

function kindOf(value: object): string {
  const name = (value.constructor as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && name !== '' ? name : 'class instance';
}

function propertyPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/**
 * A deep copy of a JSON value (as {@link jsonProblem} accepts), so that an exec mutating its job
 * context in place changes its own copy, never the stored job. `__proto__` keys are copied as data.
 */
export function copyJson<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = copyJson(value[i] as unknown);
    return out as T;
  }
  const out: Record<string, unknown> = {};
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const copied = copyJson((value as Record<string, unknown>)[key]);
    if (key === '__proto__') Object.defineProperty(out, key, { value: copied, enumerable: true, writable: true, configurable: true });
    else out[key] = copied;
  }
  return out as T;
}
