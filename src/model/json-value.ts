/**
 * Job contexts are JSON: what a store writes is what comes back. These two walks are the runtime
 * half of the compile-time check (for JavaScript callers and casts): one finds the first value JSON
 * would change or drop, naming its path; one copies a JSON value so that the job keeps its own.
 * Both are hand-written loops rather than `structuredClone`: they run once or twice per
 * transition, and for the small job contexts most runs have they cost a tenth as much. The path
 * is only put together once a problem is found.
 */

/** Why `value` is not plain JSON, naming the first offending path (`jc.meta.when`), or undefined. */
export function jsonProblem(value: unknown, path = 'jc'): string | undefined {
  const found = problemAt(value, undefined);
  if (found === undefined) return undefined;
  return `${path}${found.path.reverse().join('')} ${found.what}`;
}

/** A problem and the path to it, innermost segment first (segments are added as the walk unwinds). */
interface Found {
  readonly what: string;
  readonly path: string[];
}

function problemAt(value: unknown, parents: object[] | undefined): Found | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : { what: `is ${String(value)}, which JSON stores as null`, path: [] };
    case 'undefined':
      return { what: 'is undefined, which JSON drops', path: [] };
    case 'bigint':
      return { what: `is a bigint (${String(value)}n), which JSON cannot store: store it as a string`, path: [] };
    case 'function':
      return { what: 'is a function, which JSON drops', path: [] };
    case 'symbol':
      return { what: 'is a symbol, which JSON drops', path: [] };
    default:
      return value === null ? undefined : objectProblem(value as object, parents);
  }
}

function objectProblem(value: object, parents: object[] | undefined): Found | undefined {
  if (parents?.includes(value)) return { what: `refers back to ${parents[0] === value ? 'the job context' : 'an enclosing object'} (a cycle), which JSON cannot store`, path: [] };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const found = typeof item === 'object' && item !== null ? objectProblem(item, [...(parents ?? []), value]) : problemAt(item, undefined);
      if (found !== undefined) return (found.path.push(`[${i}]`), found);
    }
    return undefined;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    const what = value instanceof Date ? 'turns into a string' : 'does not store as it is';
    return { what: `is a ${kindOf(value)}, which JSON ${what}: store plain objects, arrays, strings, numbers, booleans and null`, path: [] };
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const item = (value as Record<string, unknown>)[key];
    const found = typeof item === 'object' && item !== null ? objectProblem(item, [...(parents ?? []), value]) : problemAt(item, undefined);
    if (found !== undefined) return (found.path.push(propertyPath(key)), found);
  }
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
