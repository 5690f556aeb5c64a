// A run restored job by job (fromSnapshot, a JsonlStore's load): equal one-entry histories are
// shared, and a change to one job never shows in another.
import { describe, expect, it } from 'vitest';
import { applyRecord, fromSnapshot, type Job, RunError } from '../src/index.js';

type JC = { n: number };

function job(id: string, at: number, extra: Partial<Job<JC>> = {}): Job<JC> {
  return { id, state: 'a', jc: { n: Number(id) }, errors: {}, history: [{ state: 'a', at }], updatedAt: at, ...extra };
}

describe('a restored run', () => {
  it('shares equal one-entry histories, and a transition of one job leaves the others as they were', () => {
    const jobs = [job('0', 5), job('1', 5), job('2', 6), job('3', 5, { history: [{ state: 'a', at: 5, note: 'added by hand' }] })];
    const run = fromSnapshot<object, JC>({ format: 'jorb-run', version: 1, name: 'r', oc: {}, nextId: 4, jobs: JSON.parse(JSON.stringify(jobs)) as Job<JC>[] });
    const [a, b, c, d] = [...run.jobs.values()];
    expect([a, b, c, d]).toEqual(jobs.map((j) => ({ ...j, errors: {} })));
    expect(a?.history).toBe(b?.history);
    expect(c?.history).not.toBe(a?.history);
    expect(d?.history).toEqual([{ state: 'a', at: 5, note: 'added by hand' }]);
    applyRecord(run, { type: 'transition', id: '0', from: 'a', to: 'b', jc: { n: 9 }, at: 7, error: 'once' });
    expect(run.jobs.get('0')).toMatchObject({ state: 'b', jc: { n: 9 }, errors: { a: ['once'] }, history: [{ state: 'a', at: 5 }, { state: 'b', at: 7 }] });
    expect(run.jobs.get('1')).toEqual({ ...jobs[1], errors: {} });
    expect(run.jobs.get('1')?.errors).toEqual({});
  });

  it('refuses a repeated id, naming where', () => {
    expect(() => fromSnapshot({ format: 'jorb-run', version: 1, name: 'r', oc: {}, nextId: 0, jobs: [job('0', 1), job('0', 1)] }, 'here')).toThrow(
      new RunError('here: jobs[1] repeats the id "0"'),
    );
  });
});
