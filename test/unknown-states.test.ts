// A run holding states the workflow does not declare is reported before anything runs.
import { describe, expect, it } from 'vitest';
import { fromSnapshot, MemoryStore, Processor, type RunSnapshot, toSnapshot, UnknownStatesError, workflow } from '../src/index.js';

type JC = { n: number };
const wf = workflow<object, object, JC>('renamed')
  .state('fetch')
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc }))
  .terminal('done')
  .build();

describe('unknown states in a loaded run', () => {
  it('names every offending job and state, runs nothing and changes nothing', async () => {
    const original = wf.newRun('edited', {});
    for (let n = 0; n < 5; n++) original.add({ n }, 'fetch');
    // Someone edited the file: two jobs moved to a state that was renamed, one to a typo.
    const snapshot = JSON.parse(JSON.stringify(toSnapshot(original))) as RunSnapshot<object, JC>;
    const jobs = snapshot.jobs.map((j) => (j.id === '1' || j.id === '3' ? { ...j, state: 'download' } : j.id === '4' ? { ...j, state: 'fetchh' } : j));
    const run = fromSnapshot<object, JC>({ ...snapshot, jobs }, 'runs/edited.jsonl');
    const before = JSON.stringify(toSnapshot(run));
    let executed = 0;
    const spy = workflow<object, object, JC>('renamed')
      .state('fetch')
      .to('done')
      .exec(({ jc }) => (executed++, { state: 'done', jc }))
      .terminal('done')
      .build();
    const store = new MemoryStore<object, JC>();

    const error = await new Processor(spy, {}, { store }).exec(run).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UnknownStatesError);
    expect((error as Error).message).toBe(
      [
        'Run "edited" has 3 jobs in states workflow "renamed" does not declare (nothing was run or changed):',
        '  - state "download": jobs "1", "3"',
        '  - state "fetchh": job "4"',
        '  known states: fetch, done',
      ].join('\n'),
    );
    expect((error as UnknownStatesError).jobs).toEqual([
      { id: '1', state: 'download' },
      { id: '3', state: 'download' },
      { id: '4', state: 'fetchh' },
    ]);
    expect(executed).toBe(0);
    expect(JSON.stringify(toSnapshot(run))).toBe(before);
    expect(await store.load()).toBeUndefined();
  });
});
