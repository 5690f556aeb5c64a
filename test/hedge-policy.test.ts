// The hedge policy as plain functions: when to launch another exec, and which outcome decides.
import { describe, expect, it } from 'vitest';
import type { HedgeOptions } from '../src/index.js';
import { hedgeDecides, nextHedgeInMs, type HedgedExecOutcome } from '../src/policies/hedge.js';

describe('nextHedgeInMs', () => {
  it.each<[HedgeOptions, number, number | undefined]>([
    [{ afterMs: 200, max: 2 }, 1, 200],
    [{ afterMs: 200, max: 2 }, 2, undefined],
    [{ afterMs: 50, max: 3 }, 1, 50],
    [{ afterMs: 50, max: 3 }, 2, 50],
    [{ afterMs: 50, max: 3 }, 3, undefined],
  ])('%o with %i launched: %s', (hedge, launched, inMs) => {
    expect(nextHedgeInMs(hedge, launched)).toBe(inMs);
  });
});

describe('hedgeDecides', () => {
  it.each<[string, HedgedExecOutcome, number, number, boolean]>([
    ['the first to return wins', 'returned', 1, 3, true],
    ['a later one that returns wins too', 'returned', 2, 2, true],
    ['a shutdown decides at once', 'aborted', 1, 2, true],
    ['an error while others run waits for them', 'threw', 1, 2, false],
    ['the last error, when every exec has thrown, is the outcome', 'threw', 2, 2, true],
    ['an exec that failed fast, alone, is the outcome (no hedge for it)', 'threw', 1, 1, true],
  ])('%s', (_, outcome, settled, launched, decides) => {
    expect(hedgeDecides(outcome, settled, launched)).toBe(decides);
  });
});
