// Kicks: child ids unique per parent across the whole run, and run-wide de-duplication by key.
import { describe, expect, it } from 'vitest';
import { MemoryStore, Processor, workflow } from '../src/index.js';

type JC = { n: number; url?: string };

describe('kicks', () => {
  it('a parent that kicks in two transitions gets distinct child ids (the original reused the index)', async () => {
    const wf = workflow<object, object, JC>('twice')
      .state('expand')
      .to('expand', 'done')
      .spawns('leaf')
      .exec(({ jc }) => ({ state: jc.n === 0 ? 'expand' : 'done', jc: { n: jc.n + 1 }, kicks: [{ state: 'leaf', jc: { n: 100 + jc.n } }, { state: 'leaf', jc: { n: 200 + jc.n } }] }))
      .terminal('leaf', 'done')
      .build();
    const run = wf.newRun('r', {}).add({ n: 0 }, 'expand');
    await new Processor(wf, {}).exec(run);
    expect([...run.jobs.values()].map((j) => [j.id, j.parentId, j.state, j.jc.n])).toEqual([
      ['0', undefined, 'done', 2],
      ['0->0', '0', 'leaf', 100],
      ['0->1', '0', 'leaf', 200],
      ['0->2', '0', 'leaf', 101],
      ['0->3', '0', 'leaf', 201],
    ]);
  });

  it('children of children chain their ids, and a parent keeps counting after a reload', async () => {
    const tree = workflow<object, object, JC>('tree')
      .state('node', { concurrency: 3 })
      .to('parked')
      .spawns('node')
      .exec(({ jc }) => ({ state: 'parked', jc, kicks: jc.n > 0 ? [{ state: 'node', jc: { n: jc.n - 1 } }] : [] }))
      .terminal('parked')
      .build();
    const store = new MemoryStore<object, JC>();
    const run = tree.newRun('r', {}).add({ n: 2 }, 'node');
    await new Processor(tree, {}, { store }).exec(run);
    expect([...run.jobs.keys()]).toEqual(['0', '0->0', '0->0->0']);

    // A second phase where parked jobs kick once more: "0" must get "0->1", never "0->0" again.
    const phase2 = workflow<object, object, JC>('tree')
      .state('node')
      .to('parked')
      .exec(({ jc }) => ({ state: 'parked', jc }))
      .state('parked')
      .to('done')
      .spawns('leaf')
      .exec(({ jc }) => ({ state: 'done', jc, kicks: [{ state: 'leaf', jc: { n: -1 } }] }))
      .terminal('done', 'leaf')
      .build();
    const loaded = await store.load();
    if (!loaded) throw new Error('nothing stored');
    await new Processor(phase2, {}).exec(loaded);
    expect([...loaded.jobs.keys()]).toEqual(['0', '0->0', '0->0->0', '0->1', '0->0->1', '0->0->0->0']);
  });

  it('a kick whose key was used before in the run is dropped', async () => {
    const links: Record<string, string[]> = { a: ['b', 'c'], b: ['a', 'c', 'd'], c: ['a'], d: [] };
    const crawl = workflow<object, object, JC>('crawl')
      .state('fetch', { concurrency: 2 })
      .to('done')
      .spawns('fetch')
      .exec(({ jc }) => ({ state: 'done', jc, kicks: (links[jc.url ?? ''] ?? []).map((url) => ({ state: 'fetch', jc: { n: 0, url }, key: url })) }))
      .terminal('done')
      .build();
    const store = new MemoryStore<object, JC>();
    const run = crawl.newRun('r', {});
    run.add({ n: 0, url: 'a' }, 'fetch', { id: 'a', key: 'a' });
    await new Processor(crawl, {}, { store }).exec(run);
    const urls = [...run.jobs.values()].map((j) => j.jc.url);
    // Each key is kicked at most once in the whole run.
    expect(urls.filter((u) => u === 'b')).toHaveLength(1);
    expect(urls.filter((u) => u === 'c')).toHaveLength(1);
    expect(urls.filter((u) => u === 'd')).toHaveLength(1);
    expect(urls.filter((u) => u === 'a')).toHaveLength(1); // the seed was added with its key
    expect(() => run.add({ n: 0, url: 'b' }, 'fetch', { key: 'b' })).toThrow('Run "r": the key "b" was already used by another job');
    const loaded = await store.load();
    expect(loaded && [...loaded.jobs.keys()]).toEqual([...run.jobs.keys()]);
  });
});
