// The timeout policy as a plain function: what the engine does after an attempt timed out.
import { describe, expect, it } from 'vitest';
import type { TimeoutOptions } from '../src/index.js';
import { decideTimeout, timedOutMessage, type TimeoutDecision } from '../src/policies/timeout.js';

describe('decideTimeout', () => {
  it.each<[string, TimeoutOptions, number, TimeoutDecision]>([
    ['no retries: the fail state after the first timeout', { ms: 100, failState: 'failed' }, 1, { kind: 'fail-state', to: 'failed' }],
    ['retries 0 is the same', { ms: 100, failState: 'failed', retries: 0 }, 1, { kind: 'fail-state', to: 'failed' }],
    ['retries left: a fresh attempt', { ms: 100, failState: 'failed', retries: 2 }, 1, { kind: 'retry' }],
    ['the last retry', { ms: 100, failState: 'failed', retries: 2 }, 2, { kind: 'retry' }],
    ['retries spent: the fail state', { ms: 100, failState: 'failed', retries: 2 }, 3, { kind: 'fail-state', to: 'failed' }],
  ])('%s', (_, timeout, attempt, decision) => {
    expect(decideTimeout(timeout, attempt)).toEqual(decision);
  });

  it('records "timed out after <ms>ms"', () => {
    expect(timedOutMessage(30_000)).toBe('timed out after 30000ms');
    expect(timedOutMessage(0.5)).toBe('timed out after 0.5ms');
  });
});
