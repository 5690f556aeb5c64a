import type { IsAny, IsUnknown, JsonPrimitive, JsonValue, TypedArray } from 'type-fest';

/**
 * The type of `workflow()`'s name parameter: `Name` when the overall context `OC` and the job
 * context `JC` hold only what JSON can store, otherwise a sentence for each field that does not
 * (see {@link JsonProblems}), so that `workflow<AC, OC, JC>('crawl')` reports, at the name,
 * `Argument of type '"crawl"' is not assignable to parameter of type '"JC field 'when' is a Date, which JSON cannot store: store an ISO string or epoch ms"'`.
 *
 * Both contexts are persisted with the run as JSON, so a `Date` would come back as a string, a
 * `Map` as `{}`, and a function not at all. `unknown` and `any` (the defaults) pass, and so do
 * optional fields. In code generic in a context (a function `<JC>() => workflow<AC, OC, JC>(name)`)
 * the check cannot be decided, and the name is refused; pass it as `name as never` there. (The
 * outer `infer` keeps the compiler from exploring the undecided check, which otherwise ends in
 * "Excessive stack depth".)
 *
 * @example
 * ```ts
 * type Ok = ContextsAreJson<{ outDir: string }, { url: string; body?: string }, string>;  // string
 * type Bad = ContextsAreJson<{}, { url: string; when: Date }, string>;
 * // "JC field 'when' is a Date, which JSON cannot store: store an ISO string or epoch ms"
 * ```
 * @public
 */
export type ContextsAreJson<OC, JC, Name> = [JsonProblems<OC, 'OC'> | JsonProblems<JC, 'JC'>] extends [infer Problems]
  ? [Problems] extends [never]
    ? Name
    : Problems
  : never;

/**
 * A sentence for each part of `T` that JSON cannot store, naming it by its path from `Context`
 * (`'JC field \'meta.when\''`, `'JC field \'tags[]\''`, `'JC field \'byId[key]\''`), saying what
 * it is and what to store instead; `never` when JSON stores all of `T`.
 *
 * Reported: a `Date`, a function, a `Map` or `Set` (also the weak ones), a `RegExp`, a typed
 * array, a `Promise`, a `bigint`, a `symbol`, another object with a `toJSON` method, and a field
 * that is always `undefined` (JSON drops it). Passed: `string`, `number`, `boolean`, `null`,
 * arrays, tuples and plain objects of those, optional fields and `T | undefined`, `unknown` and
 * `any`. Objects are walked 10 levels deep; a deeper (or recursive) type is passed from there.
 * A type that type-fest's `JsonValue` already accepts is passed without a walk.
 *
 * @example
 * ```ts
 * type P = JsonProblems<{ meta: { when: Date }; tags: string[] }, 'JC'>;
 * // "JC field 'meta.when' is a Date, which JSON cannot store: store an ISO string or epoch ms"
 * ```
 * @public
 */
export type JsonProblems<T, Context extends string, Path extends string = '', Depth extends number = 10> =
  IsAny<T> extends true
    ? never
    : IsUnknown<T> extends true
      ? never
      : [T] extends [never]
        ? never
        : [T] extends [undefined | void]
          ? `${Subject<Context, Path>} is always undefined, which JSON drops: remove it, or give it a type JSON can store`
          : [T] extends [JsonValue]
            ? never
            : ValueProblems<Exclude<T, undefined | void>, Context, Path, Depth>;

/** `T` without `undefined`, one union member at a time. */
type ValueProblems<T, Context extends string, Path extends string, Depth extends number> = T extends JsonPrimitive
  ? never
  : T extends bigint
    ? `${Subject<Context, Path>} is a bigint, which JSON cannot store: store it as a string`
    : T extends symbol
      ? `${Subject<Context, Path>} is a symbol, which JSON cannot store`
      : T extends ((...args: never) => unknown) | (abstract new (...args: never) => unknown)
        ? `${Subject<Context, Path>} is a function, which JSON cannot store: keep functions in AC, the app context`
        : T extends Date
          ? `${Subject<Context, Path>} is a Date, which JSON cannot store: store an ISO string or epoch ms`
          : T extends ReadonlyMap<unknown, unknown> | WeakMap<WeakKey, unknown>
            ? `${Subject<Context, Path>} is a Map, which JSON stores as {}: store a plain object or an array of [key, value] pairs`
            : T extends ReadonlySet<unknown> | WeakSet<WeakKey>
              ? `${Subject<Context, Path>} is a Set, which JSON stores as {}: store an array`
              : T extends RegExp
                ? `${Subject<Context, Path>} is a RegExp, which JSON stores as {}: store its source as a string`
                : T extends TypedArray
                  ? `${Subject<Context, Path>} is a typed array, which JSON stores as an object of numbered keys: store an array of numbers or a base64 string`
                  : T extends PromiseLike<unknown>
                    ? `${Subject<Context, Path>} is a Promise, which JSON cannot store: await it and store its value`
                    : T extends { toJSON(): unknown }
                      ? `${Subject<Context, Path>} has a toJSON method, so JSON stores what toJSON returns, not the object: store that value instead`
                      : Depth extends 0
                        ? never
                        : T extends readonly unknown[]
                          ? JsonProblems<T[number], Context, `${Path}[]`, Deeper[Depth]>
                          : { [K in keyof T & (string | number)]: JsonProblems<T[K], Context, FieldPath<Path, K>, Deeper[Depth]> }[keyof T & (string | number)];

/** What a sentence is about: the context itself, or one of its fields by path. */
type Subject<Context extends string, Path extends string> = Path extends '' ? Context : `${Context} field '${Path}'`;

/** The path of field `K` of the value at `Path`: `a.b`, or `a[key]` for an index signature. */
type FieldPath<Path extends string, K extends string | number> = string extends K
  ? `${Path}[key]`
  : number extends K
    ? `${Path}[]`
    : Path extends ''
      ? `${K}`
      : `${Path}.${K}`;

/** One level less of the depth budget. */
type Deeper = [0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
