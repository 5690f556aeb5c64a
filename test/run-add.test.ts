// run.add: default ids, explicit ids, and clear errors that add nothing.
import { describe, expect, it } from 'vitest';
import { Run, RunError, workflow } from '../src/index.js';

type JC = { n: number };
const wf = workflow<object, object, JC>('adder')
  .state('start')
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc }))
  .terminal('done')
  .build();

describe('run.add', () => {
  it('gives ids "0", "1", … and skips ids already taken', () => {
    const run = wf.newRun('r', {}).add({ n: 0 }, 'start').add({ n: 1 }, 'start', { id: '2' }).add({ n: 2 }, 'start').add({ n: 3 }, 'done');
    expect([...run.jobs.keys()]).toEqual(['0', '2', '1', '3']);
    expect(run.jobs.get('0')).toMatchObject({ id: '0', state: 'start', jc: { n: 0 }, errors: {}, history: [{ state: 'start' }] });
  });

  it('rejects a duplicate id, naming it, and keeps the first job', () => {
    const run = wf.newRun('r', {}).add({ n: 1 }, 'start', { id: 'a' });
    expect(() => run.add({ n: 2 }, 'start', { id: 'a' })).toThrow(new RunError('Run "r": a job with id "a" already exists'));
    expect(run.jobs.size).toBe(1);
    expect(run.jobs.get('a')?.jc).toEqual({ n: 1 });
  });

  it('rejects a state the workflow does not declare (untyped callers)', () => {
    const run = wf.newRun('r', {});
    expect(() => run.add({ n: 1 }, 'strat' as 'start')).toThrow('Run "r": cannot add a job in state "strat": workflow "adder" has the states start, done');
    expect(run.jobs.size).toBe(0);
  });

  it('rejects a missing job context and an empty id', () => {
    const run = wf.newRun('r', {});
    expect(() => run.add(undefined as unknown as JC, 'start')).toThrow('Run "r": a job needs a job context (jc), got undefined');
    expect(() => run.add({ n: 1 }, 'start', { id: '' })).toThrow('Run "r": a job id must be a non-empty string, got ""');
    expect(run.jobs.size).toBe(0);
  });

  it('rejects a run without a name', () => {
    expect(() => new Run('', {})).toThrow('A run needs a non-empty name, got ""');
  });
});
