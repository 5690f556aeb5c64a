import { renderValue } from './render-value.js';

/**
 * What an option's value must be: a test, and the words an error message says it with.
 *
 * @example
 * ```ts
 * const positive: OptionRule<number> = numberIn({ above: 0 }); // expected: 'a positive number'
 * ```
 */
export interface OptionRule<T> {
  /** What the value must be, as it reads after "must be": `a whole number from 1 up`. */
  readonly expected: string;
  /** Whether `value` follows the rule. */
  readonly test: (value: unknown) => value is T;
}

/**
 * The bounds of {@link numberIn}: at most one lower bound (`above`, `from`) and one upper
 * (`below`, `upTo`), whole numbers only or not, and the unit the message names.
 */
export interface NumberRange {
  /** Exclusive lower bound. */
  readonly above?: number;
  /** Inclusive lower bound. */
  readonly from?: number;
  /** Exclusive upper bound. */
  readonly below?: number;
  /** Inclusive upper bound. */
  readonly upTo?: number;
  /** Whole numbers only. @defaultValue false */
  readonly whole?: boolean;
  /** The unit, as in "a number of milliseconds". */
  readonly unit?: string;
}

/**
 * The TypeError message of an option that breaks `rule`, or undefined when it follows it:
 * `State "fetch": timeout.ms must be a positive number of milliseconds, got -5`. For validators
 * that report every problem at once (the graph compiler).
 *
 * @example
 * ```ts
 * const problem = optionProblem('State "fetch"', 'concurrency', 0, wholeNumber(1));
 * // 'State "fetch": concurrency must be a whole number from 1 up, got 0'
 * ```
 */
export function optionProblem(owner: string, option: string, value: unknown, rule: OptionRule<unknown>): string | undefined {
  return rule.test(value) ? undefined : `${owner}: ${option} must be ${rule.expected}, got ${renderValue(value)}`;
}

/**
 * Returns `value` when it follows `rule`, else throws a TypeError naming the owner and the option:
 * `fixedRate: burst must be a whole number from 1 up, got 2.5`.
 *
 * @example
 * ```ts
 * const burst = checkOption('fixedRate', 'burst', options.burst, optional(wholeNumber(1))) ?? 1;
 * ```
 */
export function checkOption<T>(owner: string, option: string, value: unknown, rule: OptionRule<T>): T {
  if (rule.test(value)) return value;
  throw new TypeError(`${owner}: ${option} must be ${rule.expected}, got ${renderValue(value)}`);
}

/**
 * A rule of one's own: the words and the test.
 *
 * @example
 * ```ts
 * const finite = rule('finite', (v): v is number => Number.isFinite(v));
 * ```
 */
export function rule<T>(expected: string, test: (value: unknown) => value is T): OptionRule<T> {
  return { expected, test };
}

/**
 * The same rule, with `undefined` (the option left out) allowed too.
 *
 * @example
 * ```ts
 * checkOption('fixedRate', 'burst', undefined, optional(wholeNumber(1))); // undefined
 * ```
 */
export function optional<T>(inner: OptionRule<T>): OptionRule<T | undefined> {
  return { expected: inner.expected, test: (value): value is T | undefined => value === undefined || inner.test(value) };
}

/**
 * The same rule, its words followed by a note in brackets.
 *
 * @example
 * ```ts
 * explained(wholeNumber(2), 'the first attempt counts').expected; // 'a whole number from 2 up (the first attempt counts)'
 * ```
 */
export function explained<T>(inner: OptionRule<T>, note: string): OptionRule<T> {
  return { expected: `${inner.expected} (${note})`, test: inner.test };
}

/**
 * A finite number within `range`: `a whole number from 1 up`, `a number above 0 and below 1`,
 * `a positive number of milliseconds`.
 *
 * @example
 * ```ts
 * checkOption('aimd', 'backoffFactor', 0.85, numberIn({ above: 0, below: 1 }));
 * ```
 */
export function numberIn(range: NumberRange): OptionRule<number> {
  const { above, from, below, upTo, whole = false } = range;
  return rule(numberWords(range), (value): value is number =>
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!whole || Number.isInteger(value)) &&
    (above === undefined || value > above) &&
    (from === undefined || value >= from) &&
    (below === undefined || value < below) &&
    (upTo === undefined || value <= upTo),
  );
}

/**
 * A whole number from `from` up: `a whole number from 1 up`.
 *
 * @example
 * ```ts
 * checkOption('toDot', 'warnAtErrors', 1.5, wholeNumber(1)); // throws: …must be a whole number from 1 up, got 1.5
 * ```
 */
export function wholeNumber(from: number, unit?: string): OptionRule<number> {
  return numberIn(unit === undefined ? { from, whole: true } : { from, whole: true, unit });
}

/**
 * A duration: a positive, finite number of milliseconds (fractions allowed).
 *
 * @example
 * ```ts
 * optionProblem('State "fetch"', 'timeout.ms', -5, durationMs); // '…timeout.ms must be a positive number of milliseconds, got -5'
 * ```
 */
export const durationMs: OptionRule<number> = numberIn({ above: 0, unit: 'milliseconds' });

/**
 * Any number but NaN (infinities allowed): `a number`.
 *
 * @example
 * ```ts
 * checkOption('aimd', 'max', Infinity, aNumber);
 * ```
 */
export const aNumber: OptionRule<number> = rule('a number', (value): value is number => typeof value === 'number' && !Number.isNaN(value));

/**
 * `true` or `false`.
 *
 * @example
 * ```ts
 * checkOption('aimd', 'slowStart', 'yes', aBoolean); // throws: aimd: slowStart must be true or false, got "yes"
 * ```
 */
export const aBoolean: OptionRule<boolean> = rule('true or false', (value): value is boolean => typeof value === 'boolean');

/**
 * A function: `a function`.
 *
 * @example
 * ```ts
 * optionProblem('State "fetch"', 'retry.retryOn', 5, aFunction);
 * ```
 */
export const aFunction: OptionRule<(...args: never[]) => unknown> = rule('a function', (value): value is (...args: never[]) => unknown => typeof value === 'function');

/**
 * An object, not null: `an object such as { burst: 5 }` with an example.
 *
 * @example
 * ```ts
 * checkOption('fixedRate', 'options', null, anObject('{ burst: 5 }')); // throws: …got null
 * ```
 */
export function anObject(example?: string): OptionRule<object> {
  return rule(example === undefined ? 'an object' : `an object such as ${example}`, (value): value is object => typeof value === 'object' && value !== null);
}

/**
 * One of a few strings: `'cubic' or 'additive'`.
 *
 * @example
 * ```ts
 * checkOption('aimd', 'growth', 'linear', oneOf(['cubic', 'additive'])); // throws: …got "linear"
 * ```
 */
export function oneOf<const T extends string>(allowed: readonly T[]): OptionRule<T> {
  const quoted = allowed.map((a) => `'${a}'`);
  const expected = quoted.length <= 1 ? (quoted[0] ?? 'nothing') : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1] ?? ''}`;
  return rule(expected, (value): value is T => typeof value === 'string' && (allowed as readonly string[]).includes(value));
}

function numberWords({ above, from, below, upTo, whole, unit }: NumberRange): string {
  const of = unit === undefined ? '' : ` of ${unit}`;
  const lower = above !== undefined ? `above ${above}` : from !== undefined ? `from ${from}` : undefined;
  const upper = below !== undefined ? `below ${below}` : upTo !== undefined ? `up to ${upTo}` : undefined;
  if (above === 0 && upper === undefined && whole !== true) return `a positive number${of}`;
  const noun = `${whole === true ? 'a whole number' : 'a number'}${of}`;
  if (lower === undefined) return upper === undefined ? noun : `${noun} ${upper}`;
  if (upper === undefined) return from !== undefined ? `${noun} ${lower} up` : `${noun} ${lower}`;
  return from !== undefined && upTo !== undefined ? `${noun} from ${from} to ${upTo}` : `${noun} ${lower} and ${upper}`;
}

/**
 * Every key of an options type, each mapped to `true`: the table {@link optionKeys} takes. An
 * object literal of this type lists each key of `T` exactly once, so the compiler rejects a table
 * that misses a key of the interface or names one it does not have: the runtime list of known keys
 * cannot drift from the type.
 *
 * @example
 * ```ts
 * const table: KeyTable<{ burst?: number; clock?: Clock }> = { burst: true, clock: true };
 * ```
 */
export type KeyTable<T> = { readonly [K in keyof T]-?: true };

/**
 * The known keys of an options type, for the unknown-key checks: written as a {@link KeyTable}
 * next to the interface, so adding an option to the interface and not here (or the reverse) does
 * not compile.
 *
 * @example
 * ```ts
 * export const FIXED_RATE_OPTION_KEYS = optionKeys<FixedRateOptions>({ burst: true, clock: true });
 * ```
 */
export function optionKeys<T extends object>(table: KeyTable<T>): readonly (keyof T & string)[] {
  return Object.freeze(Object.keys(table) as (keyof T & string)[]);
}

/**
 * One problem per key of `value` that is not among `known`, naming it by its path from the owner
 * and, when a known key is close (a typo, a transposition, another case), the key meant:
 * `State "fetch": unknown option "timeout.failstate" (did you mean "timeout.failState"?)`.
 * `path` is the option `value` is (`'timeout'`), or undefined for the owner's options themselves.
 * Symbol keys are not read. For validators that report every problem at once (the graph compiler).
 *
 * @example
 * ```ts
 * unknownOptionProblems('State "fetch"', undefined, { concurency: 4 }, STATE_OPTION_KEYS);
 * // ['State "fetch": unknown option "concurency" (did you mean "concurrency"?)']
 * ```
 */
export function unknownOptionProblems(owner: string, path: string | undefined, value: object, known: readonly string[]): string[] {
  const problems: string[] = [];
  for (const key of ownKeys(value)) {
    if (known.includes(key)) continue;
    const named = (k: string) => JSON.stringify(path === undefined ? k : `${path}.${k}`);
    const meant = closestKey(key, known);
    problems.push(`${owner}: unknown option ${named(key)}${meant === undefined ? '' : ` (did you mean ${named(meant)}?)`}`);
  }
  return problems;
}

/**
 * Passes when `value` is an object whose keys are all among `known`, else throws a TypeError
 * naming the owner and the problem: the object check first (`fixedRate: options must be an object
 * such as { burst: 5 }, got null`), then the first unknown key (`fixedRate: unknown option "brust"
 * (did you mean "burst"?)`). For an options argument, before any of its options is read.
 *
 * @param example - What a valid value looks like, for the message: `'{ burst: 5 }'`.
 * @param option - The name the value goes by in the message. @defaultValue 'options'
 * @example
 * ```ts
 * checkOptions('fixedRate', options, FIXED_RATE_OPTION_KEYS, '{ burst: 5 }');
 * ```
 */
export function checkOptions(owner: string, value: unknown, known: readonly string[], example?: string, option = 'options'): void {
  const object = checkOption(owner, option, value, anObject(example));
  const [problem] = unknownOptionProblems(owner, option === 'options' ? undefined : option, object, known);
  if (problem !== undefined) throw new TypeError(problem);
}

/** Own enumerable string keys; none (rather than a throw) for an object that cannot list them (a revoked proxy). */
function ownKeys(value: object): string[] {
  try {
    return Object.keys(value);
  } catch {
    return [];
  }
}

/**
 * The known key `key` was most likely meant to be: the same but for case, else the nearest within
 * a third of its length in edits (insertions, deletions, substitutions, swaps of two neighbours;
 * at least one), ties to the first listed; undefined when none is that close.
 */
function closestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const sameButCase = known.find((k) => k.toLowerCase() === lower);
  if (sameButCase !== undefined) return sameButCase;
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(key.length / 3)) + 1;
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

/**
 * Edits from `a` to `b`, a swap of two neighbours counting as one (optimal string alignment):
 * `brust` is 1 from `burst`, where plain Levenshtein counts 2. Written here rather than taken
 * from a package: option keys are short, and the distance packages count a swap as two edits.
 */
function editDistance(a: string, b: string): number {
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (before[j - 2] as number) + 1);
      current.push(d);
    }
    [before, previous] = [previous, current];
  }
  return previous[b.length] as number;
}
