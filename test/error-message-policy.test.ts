// One value renderer and one option validator for every error message.
import { describe, expect, it } from 'vitest';
import { renderValue } from '../src/model/render-value.js';
import { aBoolean, aFunction, aNumber, anObject, checkOption, durationMs, explained, numberIn, oneOf, optional, optionProblem, wholeNumber } from '../src/model/check-option.js';

class Api {
  readonly url = 'https://example.com';
}

describe('renderValue', () => {
  const circular: { name: string; self?: unknown } = { name: 'loop' };
  circular.self = circular;
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  const throwing = Object.defineProperty({}, 'boom', {
    enumerable: true,
    get() {
      throw new Error('no');
    },
  });

  it.each<[string, unknown, string]>([
    ['a string, quoted', '10', '"10"'],
    ['the empty string', '', '""'],
    ['a string with a quote and a newline, escaped', 'say "hi"\n', '"say \\"hi\\"\\n"'],
    ['a number', 2.5, '2.5'],
    ['NaN', Number.NaN, 'NaN'],
    ['-0', -0, '-0'],
    ['Infinity', -Infinity, '-Infinity'],
    ['a bigint', 10n, '10n'],
    ['a symbol', Symbol('id'), 'Symbol(id)'],
    ['undefined', undefined, 'undefined'],
    ['null', null, 'null'],
    ['true', true, 'true'],
    ['a named function', function fetchPage() {}, 'function fetchPage'],
    ['an anonymous function', [() => 1][0], 'an anonymous function'],
    ['an empty object', {}, 'an object {}'],
    ['an object', { burst: '5', n: 1 }, 'an object { burst: "5", n: 1 }'],
    ['an object with keys that need quotes', { 'a-b': 1 }, 'an object { "a-b": 1 }'],
    ['an array', [1, 'two', null], 'an array [1, "two", null]'],
    ['nesting stops at depth 2', { a: { b: { c: 1 } } }, 'an object { a: { b: {…} } }'],
    ['a circular object', circular, 'an object { name: "loop", self: [Circular] }'],
    ['an instance, by class', new Api(), 'Api { url: "https://example.com" }'],
    ['an error', new RangeError('boom'), 'RangeError: boom'],
    ['a date', new Date(Date.UTC(2024, 4, 1)), 'Date(2024-05-01T00:00:00.000Z)'],
    ['an invalid date', new Date(Number.NaN), 'Date(invalid)'],
    ['a map', new Map([[1, 2]]), 'Map(1)'],
    ['a regular expression', /a+/g, '/a+/g'],
    ['a throwing getter', throwing, 'an object { boom: [unreadable] }'],
    ['a revoked proxy', revoked.proxy, 'a value that cannot be shown'],
    ['an object with a null prototype', Object.assign(Object.create(null) as object, { a: 1 }), 'an object { a: 1 }'],
    ['many entries', { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7 }, 'an object { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, … }'],
  ])('%s', (_, value, rendered) => {
    expect(renderValue(value)).toBe(rendered);
  });

  it('cuts long values to 80 characters, ending in …', () => {
    const long = renderValue('x'.repeat(200));
    expect(long).toHaveLength(80);
    expect(long).toBe(`"${'x'.repeat(77)}…"`);
    const wide = renderValue({ text: 'y'.repeat(100), more: 'z'.repeat(100) });
    expect(wide).toHaveLength(80);
    expect(wide.endsWith('…')).toBe(true);
    expect(renderValue('😀'.repeat(100))).toBe(`"${'😀'.repeat(77)}…"`); // never half a character
  });
});

describe('checkOption and optionProblem', () => {
  it.each<[string, () => unknown, string]>([
    ['a whole number', () => checkOption('fixedRate', 'burst', 2.5, wholeNumber(1)), 'fixedRate: burst must be a whole number from 1 up, got 2.5'],
    ['a positive number', () => checkOption('fixedRate', 'perSecond', 0, numberIn({ above: 0 })), 'fixedRate: perSecond must be a positive number, got 0'],
    ['a number within bounds', () => checkOption('aimd', 'backoffFactor', 1, numberIn({ above: 0, below: 1 })), 'aimd: backoffFactor must be a number above 0 and below 1, got 1'],
    ['a number from … to …', () => checkOption('x', 'share', 2, numberIn({ from: 0, upTo: 1 })), 'x: share must be a number from 0 to 1, got 2'],
    ['a duration', () => checkOption('State "fetch"', 'timeout.ms', -5, durationMs), 'State "fetch": timeout.ms must be a positive number of milliseconds, got -5'],
    ['whole milliseconds', () => checkOption('State "fetch"', 'timeout.ms', -5, wholeNumber(1, 'milliseconds')), 'State "fetch": timeout.ms must be a whole number of milliseconds from 1 up, got -5'],
    ['a number, not NaN', () => checkOption('aimd', 'initial', Number.NaN, aNumber), 'aimd: initial must be a number, got NaN'],
    ['a boolean', () => checkOption('aimd', 'slowStart', 'yes', aBoolean), 'aimd: slowStart must be true or false, got "yes"'],
    ['a function', () => checkOption('State "a"', 'retry.retryOn', 5, aFunction), 'State "a": retry.retryOn must be a function, got 5'],
    ['an object', () => checkOption('fixedRate', 'options', null, anObject('{ burst: 5 }')), 'fixedRate: options must be an object such as { burst: 5 }, got null'],
    ['one of two', () => checkOption('aimd', 'growth', 'linear', oneOf(['cubic', 'additive'])), "aimd: growth must be 'cubic' or 'additive', got \"linear\""],
    ['one of three', () => checkOption('x', 'mode', 1n, oneOf(['a', 'b', 'c'])), "x: mode must be 'a', 'b' or 'c', got 1n"],
    ['with a note', () => checkOption('State "a"', 'hedge.max', 1, explained(wholeNumber(2), 'the first attempt counts')), 'State "a": hedge.max must be a whole number from 2 up (the first attempt counts), got 1'],
    ['Infinity is not a number in a range', () => checkOption('State "a"', 'retry.backoff.multiplier', Infinity, numberIn({ from: 1 })), 'State "a": retry.backoff.multiplier must be a number from 1 up, got Infinity'],
  ])('%s', (_, check, message) => {
    expect(check).toThrow(new TypeError(message));
  });

  it('returns the value it checked, typed by the rule', () => {
    const burst: number | undefined = checkOption('fixedRate', 'burst', undefined, optional(wholeNumber(1)));
    expect(burst).toBeUndefined();
    expect(checkOption('fixedRate', 'burst', 5, optional(wholeNumber(1)))).toBe(5);
    expect(checkOption('aimd', 'max', Infinity, aNumber)).toBe(Infinity);
  });

  it('gives the same message as a problem, for validators that report every problem at once', () => {
    expect(optionProblem('State "a"', 'concurrency', 0, wholeNumber(1))).toBe('State "a": concurrency must be a whole number from 1 up, got 0');
    expect(optionProblem('State "a"', 'concurrency', 4, wholeNumber(1))).toBeUndefined();
    expect(optionProblem('State "a"', 'concurrency', undefined, optional(wholeNumber(1)))).toBeUndefined();
  });
});
