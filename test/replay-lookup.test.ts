// A replay finds the job each record names: a job with a default id at its place in the snapshot,
// any other job in the run's map, ids that read as a number but are not at that place included.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { JsonlStore, Run, type TransitionRecord } from '../src/index.js';
import { useTempDir } from './support/temp-dir.js';

type JC = { n: number };

const tempDir = useTempDir();

it('applies each replayed record to the job it names, whatever its id and place', async () => {
  const path = join(tempDir(), 'run.jsonl');
  // Places 0 to 10: "1" and "0x7" and "10" read as their own place, the others do not.
  const ids = ['5', '1', '007', '1.5', '-1', '1e0', ' 2', '0x7', 'x', '4294967297', '10'];
  const run = new Run<object, JC>('r', {});
  for (const [n, id] of ids.entries()) run.add({ n }, 'a', { id });
  run.add({ n: 11 }, 'a'); // a default id ("0") at place 11
  const store = new JsonlStore<object, JC>(path, { compactAfterBytes: 1 << 30 });
  await store.load();
  await store.checkpoint(run);
  const all = [...ids, '0'];
  const records: TransitionRecord<JC>[] = all.map((id, n) => ({ type: 'transition', id, from: 'a', to: 'b', jc: { n: 100 + n }, at: 1000 + n }));
  await store.append(records);
  rmSync(`${path}.lock`); // a crash: the store is dropped unclosed, the log replayed on load

  const loaded = await new JsonlStore<object, JC>(path).load();
  expect(loaded && [...loaded.jobs.values()].map((job) => [job.id, job.state, job.jc.n, job.history.at(-1)?.at])).toEqual(all.map((id, n) => [id, 'b', 100 + n, 1000 + n]));
});
