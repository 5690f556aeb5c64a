// build() validates what the types cannot see, and mirrors the type checks for untyped callers.
import { describe, expect, it } from 'vitest';
import { workflow, WorkflowDefinitionError } from '../src/index.js';

type JC = { n: number };
// The shape plain JavaScript sees: every method takes strings, nothing is checked at compile time.
type Untyped = {
  state(name: unknown, options?: unknown): Untyped;
  to(...t: unknown[]): Untyped;
  spawns(...t: unknown[]): Untyped;
  exec(fn: unknown): Untyped;
  terminal(...n: unknown[]): Untyped;
  build(): unknown;
};
const untyped = (name = 'w') => workflow<object, object, JC>(name) as unknown as Untyped;
const pass = ({ jc }: { jc: JC }) => ({ state: 'done', jc });

function problemsOf(build: () => unknown): readonly string[] {
  try {
    build();
  } catch (error) {
    if (error instanceof WorkflowDefinitionError) return error.problems;
    throw error;
  }
  throw new Error('build() did not throw');
}

describe('build() rejects an invalid definition, naming the state', () => {
  it.each([
    ['concurrency 0', () => untyped().state('a', { concurrency: 0 }).to('done').exec(pass).terminal('done').build(), 'State "a": concurrency must be a whole number from 1 up, got 0'],
    ['fractional concurrency', () => untyped().state('a', { concurrency: 1.5 }).to('done').exec(pass).terminal('done').build(), 'State "a": concurrency must be a whole number from 1 up, got 1.5'],
    ['no exec', () => untyped().state('a').to('done').terminal('done').build(), 'State "a" has no exec: call .exec(fn) after .to(...)'],
    ['no targets', () => untyped().state('a').exec(pass).terminal('done').build(), 'State "a" has no .to(...) targets: an exec must have somewhere to go'],
    [
      'an undeclared target',
      () => untyped().state('a').to('prase').exec(pass).terminal('done').build(),
      'State "a" targets "prase", which is never declared with .state() or .terminal()',
    ],
    [
      'an undeclared spawn',
      () => untyped().state('a').to('done').spawns('b').exec(pass).terminal('done').build(),
      'State "a" spawns into "b", which is never declared with .state() or .terminal()',
    ],
    ['a duplicate state', () => untyped().state('a').to('done').exec(pass).terminal('done', 'a').build(), 'State "a" is declared twice'],
    [
      'a negative timeout',
      () => untyped().state('a', { timeout: { ms: -5, failState: 'done' } }).to('done').exec(pass).terminal('done').build(),
      'State "a": timeout.ms must be a positive number of milliseconds, got -5',
    ],
    [
      'a fail state that is not a target',
      () => untyped().state('a', { timeout: { ms: 5, failState: 'failed' } }).to('done').exec(pass).terminal('done', 'failed').build(),
      'State "a": timeout failState "failed" must be one of its .to() targets (done)',
    ],
    [
      'retry attempts of 0',
      () => untyped().state('a', { retry: { attempts: 0 } }).to('done').exec(pass).terminal('done').build(),
      'State "a": retry.attempts must be a whole number from 1 up, got 0',
    ],
    [
      'a retry then-state that is not a target',
      () => untyped().state('a', { retry: { attempts: 2, then: 'gave-up' } }).to('done').exec(pass).terminal('done', 'gave-up').build(),
      'State "a": retry then-state "gave-up" must be one of its .to() targets (done)',
    ],
    [
      'a backoff multiplier below 1',
      () => untyped().state('a', { retry: { attempts: 2, backoff: { multiplier: 0.5 } } }).to('done').exec(pass).terminal('done').build(),
      'State "a": retry.backoff.multiplier must be a number from 1 up, got 0.5',
    ],
    [
      'a hedge of one',
      () => untyped().state('a', { hedge: { afterMs: 10, max: 1 } }).to('done').exec(pass).terminal('done').build(),
      'State "a": hedge.max must be a whole number from 2 up (the first attempt counts), got 1',
    ],
    [
      'negative timeout retries',
      () => untyped().state('a', { timeout: { ms: 10, failState: 'done', retries: -1 } }).to('done').exec(pass).terminal('done').build(),
      'State "a": timeout.retries must be a whole number from 0 up, got -1',
    ],
    [
      'a rate limit that is not a limiter',
      () => untyped().state('a', { rateLimit: 10 }).to('done').exec(pass).terminal('done').build(),
      'State "a": rateLimit must be a rate limiter such as fixedRate(10) or aimd({ initial: 10 }), got 10',
    ],
    [
      'a rate limit of null',
      () => untyped().state('a', { rateLimit: null }).to('done').exec(pass).terminal('done').build(),
      'State "a": rateLimit must be a rate limiter such as fixedRate(10) or aimd({ initial: 10 }), got null',
    ],
    [
      'a retryOn that is not a function',
      () => untyped().state('a', { retry: { attempts: 2, retryOn: 'timeouts' } }).to('done').exec(pass).terminal('done').build(),
      'State "a": retry.retryOn must be a function, got "timeouts"',
    ],
    [
      'a jitter that is not one of the two',
      () => untyped().state('a', { retry: { attempts: 2, backoff: { jitter: 'half' } } }).to('done').exec(pass).terminal('done').build(),
      'State "a": retry.backoff.jitter must be \'full\' or \'none\', got "half"',
    ],
    [
      'a timeout that is not an object',
      () => untyped().state('a', { timeout: 5000 }).to('done').exec(pass).terminal('done').build(),
      "State \"a\": timeout must be an object such as { ms: 30_000, failState: 'failed' }, got 5000",
    ],
    [
      'a hedge after no time',
      () => untyped().state('a', { hedge: { afterMs: 0, max: 2 } }).to('done').exec(pass).terminal('done').build(),
      'State "a": hedge.afterMs must be a positive number of milliseconds, got 0',
    ],
    [
      'a concurrency that is a string',
      () => untyped().state('a', { concurrency: '4' }).to('done').exec(pass).terminal('done').build(),
      'State "a": concurrency must be a whole number from 1 up, got "4"',
    ],
    ['an empty state name', () => untyped().state('').to('done').exec(pass).terminal('done').build(), 'a state name must be a non-empty string, got ""'],
    ['no states at all', () => untyped().build(), 'it declares no states: add one with .state(name, options)'],
  ])('%s', (_, build, problem) => {
    expect(problemsOf(build)).toEqual([problem]);
  });

  it('reports every problem at once, in a message that lists them', () => {
    const build = () => untyped('crawl').state('a', { concurrency: -1 }).to('x').exec(pass).state('b').to('y').exec(pass).build();
    expect(build).toThrow(
      [
        'Workflow "crawl" is invalid:',
        '  - State "a": concurrency must be a whole number from 1 up, got -1',
        '  - State "a" targets "x", which is never declared with .state() or .terminal()',
        '  - State "b" targets "y", which is never declared with .state() or .terminal()',
      ].join('\n'),
    );
  });

  it('rejects builder calls out of order and non-function execs', () => {
    expect(() => untyped().to('a')).toThrow('.to() must follow .state(name, options): it applies to the state just declared');
    expect(() => untyped().state('a').to('done').exec('nope')).toThrow('State "a": .exec() needs a function, got string');
    expect(() => untyped().state('a', 5)).toThrow('State "a": options must be an object, got 5');
    expect(() => workflow('')).toThrow('workflow(name): name must be a non-empty string, got ""');
  });
});

describe('builder values', () => {
  it('can be continued and branched in later statements without seeing each other', () => {
    const head = workflow<object, object, JC>('branch').state('a').to('b', 'c').exec(({ jc }) => ({ state: 'b', jc }));
    const one = head.state('b').to('c').exec(({ jc }) => ({ state: 'c', jc })).terminal('c').build();
    const two = head.terminal('b', 'c').build();
    expect(one.states).toEqual(['a', 'b', 'c']);
    expect(two.states).toEqual(['a', 'b', 'c']);
    expect(one.graph.state('b')?.terminal).toBe(false);
    expect(two.graph.state('b')?.terminal).toBe(true);
  });
});

describe('build() rejects options given as null, naming the option', () => {
  const withOptions = (options: unknown) => () => untyped().state('a', options).to('done').exec(pass).terminal('done').build();
  it.each<[string, unknown, string]>([
    ['retry', { retry: null }, 'State "a": retry must be an object such as { attempts: 3 }, got null'],
    ['timeout', { timeout: null }, "State \"a\": timeout must be an object such as { ms: 30_000, failState: 'failed' }, got null"],
    ['retry.backoff', { retry: { attempts: 2, backoff: null } }, 'State "a": retry.backoff must be an object such as { initialMs: 100 }, got null'],
    ['hedge', { hedge: null }, 'State "a": hedge must be an object such as { afterMs: 200, max: 2 }, got null'],
    ['retry, a string', { retry: 'three times' }, 'State "a": retry must be an object such as { attempts: 3 }, got "three times"'],
  ])('%s', (_, options, problem) => {
    expect(problemsOf(withOptions(options))).toEqual([problem]);
  });

  it('the state options themselves', () => {
    expect(() => untyped().state('a', null)).toThrow(new TypeError('State "a": options must be an object, got null'));
  });

  it('and still checks the options that are objects', () => {
    const build = withOptions({ retry: null, timeout: { ms: -1, failState: 'done' }, rateLimit: 5 });
    expect(problemsOf(build)).toEqual([
      "State \"a\": timeout.ms must be a positive number of milliseconds, got -1",
      'State "a": retry must be an object such as { attempts: 3 }, got null',
      'State "a": rateLimit must be a rate limiter such as fixedRate(10) or aimd({ initial: 10 }), got 5',
    ]);
  });
});

describe('build() reports an unknown option key, and the key meant', () => {
  const withOptions = (options: unknown) => () => untyped().state('fetch', options).to('done', 'failed').exec(pass).terminal('done', 'failed').build();
  it.each<[string, unknown, string[]]>([
    ['a state option', { concurency: 4 }, ['State "fetch": unknown option "concurency" (did you mean "concurrency"?)']],
    [
      'a timeout option, in another case',
      { timeout: { ms: 5, failstate: 'failed' } },
      [
        'State "fetch": unknown option "timeout.failstate" (did you mean "timeout.failState"?)',
        'State "fetch": timeout failState undefined must be one of its .to() targets (done, failed)',
      ],
    ],
    ['a retry option', { retry: { attemps: 3 } }, ['State "fetch": unknown option "retry.attemps" (did you mean "retry.attempts"?)', 'State "fetch": retry.attempts must be a whole number from 1 up, got undefined']],
    ['a backoff option', { retry: { attempts: 3, backoff: { initalMs: 100 } } }, ['State "fetch": unknown option "retry.backoff.initalMs" (did you mean "retry.backoff.initialMs"?)']],
    ['a hedge option', { hedge: { afterMs: 10, max: 2, maxx: 3 } }, ['State "fetch": unknown option "hedge.maxx" (did you mean "hedge.max"?)']],
    ['an option with nothing close', { priority: 1 }, ['State "fetch": unknown option "priority"']],
    ['a retry option at the top', { attempts: 3 }, ['State "fetch": unknown option "attempts"']],
  ])('%s', (_, options, problems) => {
    expect(problemsOf(withOptions(options))).toEqual(problems);
  });

  it('lists them with every other problem of the definition', () => {
    const build = () =>
      untyped('crawl')
        .state('fetch', { concurency: 4, timeout: { ms: 0, failSate: 'failed' } })
        .to('parse', 'failed')
        .exec(pass)
        .state('parse', { recursve: true })
        .to('done')
        .exec(pass)
        .terminal('done', 'failed')
        .build();
    expect(build).toThrow(
      [
        'Workflow "crawl" is invalid:',
        '  - State "fetch": unknown option "concurency" (did you mean "concurrency"?)',
        '  - State "fetch": unknown option "timeout.failSate" (did you mean "timeout.failState"?)',
        '  - State "fetch": timeout.ms must be a positive number of milliseconds, got 0',
        '  - State "fetch": timeout failState undefined must be one of its .to() targets (parse, failed)',
        '  - State "parse": unknown option "recursve" (did you mean "recursive"?)',
      ].join('\n'),
    );
  });

  it('accepts every option a state has', () => {
    const all = { concurrency: 2, timeout: { ms: 5, failState: 'failed', retries: 1 }, retry: { attempts: 2, backoff: { initialMs: 1, maxMs: 2, multiplier: 2, jitter: 'none' }, retryOn: () => true, then: 'failed' }, hedge: { afterMs: 5, max: 2 }, recursive: false };
    expect(() => withOptions(all)()).not.toThrow();
  });
});
