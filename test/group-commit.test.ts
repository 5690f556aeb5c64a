// Group commit: the attempts that settle in one turn of the event loop share one append, so a
// bounded window of un-durable work is acknowledged in as few writes as it can be.
import { describe, expect, it } from 'vitest';
import { MemoryStore, Processor, type StoreRecord, workflow } from '../src/index.js';

type JC = { n: number };

class CountingStore extends MemoryStore<object, JC> {
  readonly batches: number[] = [];
  override async append(records: readonly StoreRecord<JC>[]): Promise<void> {
    this.batches.push(records.length);
    await super.append(records);
  }
}

describe('group commit', () => {
  it('fills each batch with the whole window: one state of concurrency 10 and maxUndurable 40 writes 50 records per append', async () => {
    const wf = workflow<object, object, JC>('gc')
      .state('work', { concurrency: 10 })
      .to('done')
      .exec(async ({ jc }) => ({ state: 'done', jc }))
      .terminal('done')
      .build();
    const store = new CountingStore();
    const run = wf.newRun('r', {});
    for (let n = 0; n < 1000; n++) run.add({ n }, 'work');
    const result = await new Processor(wf, {}, { store, maxUndurable: 40 }).exec(run);
    expect(result.outcome).toBe('complete');
    const transitions = store.batches.reduce((a, b) => a + b, 0);
    expect(transitions).toBe(1000);
    expect(Math.max(...store.batches)).toBeLessThanOrEqual(50); // never more than the window
    // 1,000 transitions in full windows of 50: no batch cut short (a batch written in the turn its first record came held 10).
    expect(store.batches.filter((size) => size > 0)).toEqual(Array.from({ length: 20 }, () => 50));
  });
});
