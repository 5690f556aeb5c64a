// Misspelt option keys are reported, naming the key and the one meant; the runtime lists of known
// keys are held to the option interfaces by the compiler.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { aimd, fixedRate, RateLimitError, type AimdCubicOptions, type AimdOptions, type FixedRateOptions } from '../src/index.js';
import type { BackoffOptions, HedgeOptions, RetryOptions, StateOptions, TimeoutOptions } from '../src/index.js';
import { checkOptions, optionKeys, unknownOptionProblems, type KeyTable } from '../src/model/check-option.js';
import { BACKOFF_OPTION_KEYS, HEDGE_OPTION_KEYS, RETRY_OPTION_KEYS, STATE_OPTION_KEYS, TIMEOUT_OPTION_KEYS } from '../src/model/state-options.js';
import { AIMD_CUBIC_ONLY_OPTION_KEYS, AIMD_CUBIC_OPTION_KEYS, AIMD_OPTION_KEYS } from '../src/policies/aimd-options.js';

/** Whether two types are the same (the usual conditional-type trick; no tsd needed). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** The keys a list holds, as a union. */
type Listed<L extends readonly string[]> = L[number];

describe('the lists of known keys', () => {
  it('name exactly the keys of their option interfaces (checked by the compiler)', () => {
    const same: [
      Same<Listed<typeof STATE_OPTION_KEYS>, keyof StateOptions>,
      Same<Listed<typeof TIMEOUT_OPTION_KEYS>, keyof TimeoutOptions>,
      Same<Listed<typeof RETRY_OPTION_KEYS>, keyof RetryOptions>,
      Same<Listed<typeof BACKOFF_OPTION_KEYS>, keyof BackoffOptions>,
      Same<Listed<typeof HEDGE_OPTION_KEYS>, keyof HedgeOptions>,
      Same<Listed<typeof AIMD_OPTION_KEYS>, keyof AimdOptions>,
      Same<Listed<typeof AIMD_CUBIC_OPTION_KEYS>, keyof AimdCubicOptions>,
      Same<Listed<typeof AIMD_CUBIC_ONLY_OPTION_KEYS>, Exclude<keyof AimdCubicOptions, keyof AimdOptions>>,
    ] = [true, true, true, true, true, true, true, true];
    expect(same).toEqual([true, true, true, true, true, true, true, true]);
    expectTypeOf<Listed<typeof TIMEOUT_OPTION_KEYS>>().toEqualTypeOf<'ms' | 'failState' | 'retries'>();
  });

  it('hold at run time the keys the table names', () => {
    expect(STATE_OPTION_KEYS).toEqual(['concurrency', 'timeout', 'retry', 'rateLimit', 'hedge', 'recursive', 'join']);
    expect(TIMEOUT_OPTION_KEYS).toEqual(['ms', 'failState', 'retries']);
    expect(RETRY_OPTION_KEYS).toEqual(['attempts', 'backoff', 'retryOn', 'then']);
    expect(BACKOFF_OPTION_KEYS).toEqual(['initialMs', 'maxMs', 'multiplier', 'jitter']);
    expect(HEDGE_OPTION_KEYS).toEqual(['afterMs', 'max']);
    expect(AIMD_OPTION_KEYS).toEqual(['initial', 'min', 'max', 'increaseIntervalMs', 'clock']);
    expect(AIMD_CUBIC_OPTION_KEYS).toHaveLength(13);
    expect(AIMD_CUBIC_OPTION_KEYS).toEqual([...AIMD_OPTION_KEYS, ...AIMD_CUBIC_ONLY_OPTION_KEYS]);
    expect(Object.isFrozen(STATE_OPTION_KEYS)).toBe(true);
  });

  it('cannot be written missing a key of the interface, or with one it does not have', () => {
    type Options = { readonly burst?: number; readonly clock?: object };
    expect(optionKeys<Options>({ burst: true, clock: true })).toEqual(['burst', 'clock']);
    // @ts-expect-error: 'clock' is missing, so the list would let a real option through as unknown
    optionKeys<Options>({ burst: true });
    // @ts-expect-error: 'brust' is not an option, so the list would let a typo through as known
    optionKeys<Options>({ burst: true, clock: true, brust: true });
    const table: KeyTable<FixedRateOptions> = { burst: true, clock: true };
    expect(Object.keys(table)).toEqual(['burst', 'clock']);
  });
});

describe('unknownOptionProblems and checkOptions', () => {
  const KNOWN = ['concurrency', 'timeout', 'retry', 'rateLimit'];
  it.each<[string, object, string[]]>([
    ['a typo', { concurency: 4 }, ['State "fetch": unknown option "concurency" (did you mean "concurrency"?)']],
    ['another case', { RateLimit: 1 }, ['State "fetch": unknown option "RateLimit" (did you mean "rateLimit"?)']],
    ['two neighbours swapped', { rtery: {} }, ['State "fetch": unknown option "rtery" (did you mean "retry"?)']],
    ['nothing close', { priority: 1 }, ['State "fetch": unknown option "priority"']],
    ['every unknown key, in order', { a: 1, concurrency: 2, timeuot: 3 }, ['State "fetch": unknown option "a"', 'State "fetch": unknown option "timeuot" (did you mean "timeout"?)']],
    ['known keys only', { concurrency: 1, retry: undefined }, []],
  ])('%s', (_, value, problems) => {
    expect(unknownOptionProblems('State "fetch"', undefined, value, KNOWN)).toEqual(problems);
  });

  it('names a nested key by its path', () => {
    expect(unknownOptionProblems('State "fetch"', 'timeout', { ms: 5, failstate: 'x' }, TIMEOUT_OPTION_KEYS)).toEqual([
      'State "fetch": unknown option "timeout.failstate" (did you mean "timeout.failState"?)',
    ]);
  });

  it('reads no symbol keys, and survives an object that cannot list its keys', () => {
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    expect(unknownOptionProblems('x', undefined, { [Symbol('s')]: 1 }, KNOWN)).toEqual([]);
    expect(unknownOptionProblems('x', undefined, revoked.proxy, KNOWN)).toEqual([]);
  });

  it('throws for a value that is not an object, then for the first unknown key', () => {
    expect(() => checkOptions('fixedRate', null, ['burst'], '{ burst: 5 }')).toThrow(new TypeError('fixedRate: options must be an object such as { burst: 5 }, got null'));
    expect(() => checkOptions('fixedRate', { brust: 2, x: 1 }, ['burst'])).toThrow(new TypeError('fixedRate: unknown option "brust" (did you mean "burst"?)'));
    expect(() => checkOptions('State "a"', { attemps: 3 }, RETRY_OPTION_KEYS, '{ attempts: 3 }', 'retry')).toThrow(
      new TypeError('State "a": unknown option "retry.attemps" (did you mean "retry.attempts"?)'),
    );
    expect(() => checkOptions('fixedRate', { burst: 2 }, ['burst'])).not.toThrow();
  });
});

describe('the rate limiters and RateLimitError report an unknown option', () => {
  // The shapes plain JavaScript sees.
  const untypedFixedRate = fixedRate as (perSecond: number, options?: unknown) => unknown;
  const untypedAimd = aimd as unknown as ((options?: unknown) => unknown) & { cubic: (options?: unknown) => unknown; classic: (options?: unknown) => unknown };
  const UntypedRateLimitError = RateLimitError as unknown as new (message?: string, options?: unknown) => RateLimitError;

  it.each<[string, () => unknown, string]>([
    ['fixedRate', () => untypedFixedRate(5, { brust: 2 }), 'fixedRate: unknown option "brust" (did you mean "burst"?)'],
    ['fixedRate, nothing close', () => untypedFixedRate(5, { perSecond: 2 }), 'fixedRate: unknown option "perSecond"'],
    ['aimd', () => untypedAimd({ intial: 5 }), 'aimd: unknown option "intial" (did you mean "initial"?)'],
    ['aimd, another case', () => untypedAimd({ maxMS: 5 }), 'aimd: unknown option "maxMS"'],
    ['aimd, a near miss', () => untypedAimd({ increaseInterval: 500 }), 'aimd: unknown option "increaseInterval" (did you mean "increaseIntervalMs"?)'],
    ['aimd.cubic', () => untypedAimd.cubic({ slowstart: false }), 'aimd.cubic: unknown option "slowstart" (did you mean "slowStart"?)'],
    ['aimd.classic', () => untypedAimd.classic({ mni: 1 }), 'aimd.classic: unknown option "mni" (did you mean "min"?)'],
    ['RateLimitError', () => new UntypedRateLimitError('429', { retryAfter: 5 }), 'RateLimitError: unknown option "retryAfter" (did you mean "retryAfterMs"?)'],
    ['RateLimitError of null', () => new UntypedRateLimitError('429', null), 'RateLimitError: options must be an object such as { retryAfterMs: 500 }, got null'],
  ])('%s', (_, make, message) => {
    expect(make).toThrow(new TypeError(message));
  });

  it('accepts every option they have', () => {
    expect(() => fixedRate(5, { burst: 2, clock: undefined as never })).not.toThrow();
    expect(() => aimd({ initial: 5, min: 1, max: 10, increaseIntervalMs: 500, clock: undefined as never })).not.toThrow();
    expect(() => aimd.cubic({ initial: 5, min: 1, max: 10, slowStart: false, growth: 'additive' })).not.toThrow();
    expect(new RateLimitError('429', { retryAfterMs: 5, cause: 'x' }).retryAfterMs).toBe(5);
  });
});
