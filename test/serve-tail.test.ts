// The run jorb serve keeps while a processor writes the file: its log's new batches applied as
// they come, compactions followed (or the run read again), so that it ends as the file ends.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonlStore, Processor, type Run } from '../src/index.js';
import { JsonlTail } from '../src/serve/jsonl-tail.js';
import { RunFigures } from '../src/serve/run-figures.js';
import { crawl, type ServeJc } from './support/serve-workflow.js';
import { useTempDir } from './support/temp-dir.js';

const tempDir = useTempDir();

describe('following a run file a processor writes', () => {
  it('ends with the run the file holds, its counts kept record by record, across compactions', async () => {
    const path = join(tempDir(), 'tail.jsonl');
    const store = new JsonlStore<object, ServeJc>(path, { fsync: false, compactAfterBytes: 16 << 10 });
    const run = crawl.newRun('tail', {});
    for (let n = 0; n < 400; n++) run.add({ n, url: `https://example.test/${n}` }, 'fetch', { key: `https://example.test/${n}` });
    await store.checkpoint(run);

    const tail = new JsonlTail(path);
    let followed = (await tail.load()) as Run<unknown, unknown>;
    let figures = new RunFigures(crawl as never, followed);
    let records = 0;
    let reloads = 0;
    tail.follow(
      {
        records: (list) => {
          records += list.length;
          for (const record of list) figures.apply(followed, record);
        },
        reloaded: (again) => {
          reloads++;
          followed = again;
          figures = new RunFigures(crawl as never, again);
        },
      },
      5,
    );
    await new Processor(crawl, {}, { store }).exec(run);
    await store.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    await tail.look();
    tail.close();

    const final = await new JsonlStore<object, ServeJc>(path, { readOnly: true }).load();
    const states = (r: Run<unknown, unknown> | undefined) => [...(r?.jobs.values() ?? [])].map((j) => `${j.id}:${j.state}:${j.failed === true}`).sort();
    expect(states(followed)).toEqual(states(final));
    expect(records).toBeGreaterThan(400); // most of it read from the log as it was written, not by reading the run again
    expect(reloads).toBeLessThan(records);
    const byState = Object.fromEntries(figures.states.map((s) => [s.state, { waiting: s.waiting, failed: s.failed, completed: s.completed, errorJobs: s.errorJobs }]));
    const done = [...(final?.jobs.values() ?? [])].filter((j) => j.state === 'done').length;
    expect(byState).toEqual({
      fetch: { waiting: 0, failed: 40, completed: 0, errorJobs: 40 },
      parse: { waiting: 0, failed: 0, completed: 0, errorJobs: 0 },
      done: { waiting: 0, failed: 0, completed: done, errorJobs: 0 },
    });
    expect(figures.jobs).toBe(final?.jobs.size);
  }, 30_000);
});
