// lintWorkflow: what the type system cannot see, found in the graph.
import { describe, expect, it } from 'vitest';
import { walk } from '../examples/kicks.js';
import { crawl } from '../examples/quickstart.js';
import { lintWorkflow } from '../src/index.js';
import { defects } from './fixtures/lint-defects.js';

describe('lintWorkflow', () => {
  it('finds each defect class, naming the state and where it is declared', () => {
    const findings = lintWorkflow(defects);
    expect(findings.map(({ rule, state, message }) => ({ rule, state, message }))).toEqual([
      { rule: 'spawn-cycle', state: 'work', message: 'kicks jobs into "start", which leads back here: jobs may kick jobs without end; if the data bounds it (a tree, kick keys), declare the state with { recursive: true }' },
      { rule: 'self-loop-no-exit', state: 'spin', message: 'its only target is itself: a job here can never leave' },
      { rule: 'no-terminal-path', state: 'limbo', message: 'no path leads from here to a terminal state: its jobs can never finish' },
      { rule: 'no-terminal-path', state: 'limbo-too', message: 'no path leads from here to a terminal state: its jobs can never finish' },
      { rule: 'unreachable', state: 'orphan', message: 'no path leads here from the entry state "start"' },
    ]);
    expect(findings.find((f) => f.state === 'spin')?.source).toEqual({ file: expect.stringMatching(/test\/fixtures\/lint-defects\.ts$/) as string, line: 14, column: 4 });
  });

  it('takes other entry states, and rejects unknown ones', () => {
    expect(lintWorkflow(defects, { entries: ['start', 'orphan'] }).map((f) => f.rule)).not.toContain('unreachable');
    expect(() => lintWorkflow(defects, { entries: ['nope'] })).toThrow('lint: entry state "nope" is not a state of workflow "defects"');
  });

  it('finds nothing in the examples', () => {
    expect(lintWorkflow(crawl)).toEqual([]);
    expect(lintWorkflow(walk)).toEqual([]);
  });
});
