// build() compiles to a plain, inspectable graph.
import { describe, expect, it } from 'vitest';
import { workflow } from '../src/index.js';

type JC = { url: string; body?: string };

describe('the compiled graph', () => {
  it('lists states in declared order and edges by kind', () => {
    const crawl = workflow<object, object, JC>('crawl')
      .state('fetch', { concurrency: 10, timeout: { ms: 30_000, failState: 'fetch-failed' } })
      .to('parse', 'fetch', 'fetch-failed')
      .exec(({ jc }) => ({ state: 'parse', jc }))
      .state('parse', { concurrency: 4 })
      .to('done')
      .spawns('fetch')
      .exec(({ jc }) => ({ state: 'done', jc }))
      .terminal('done', 'fetch-failed')
      .build();

    expect(crawl.name).toBe('crawl');
    expect(crawl.states).toEqual(['fetch', 'parse', 'done', 'fetch-failed']);
    expect(crawl.graph.states.map(({ name, index, terminal, concurrency, targets, spawns, timeout }) => ({ name, index, terminal, concurrency, targets, spawns, timeout }))).toEqual([
      { name: 'fetch', index: 0, terminal: false, concurrency: 10, targets: ['parse', 'fetch', 'fetch-failed'], spawns: [], timeout: { ms: 30_000, failState: 'fetch-failed' } },
      { name: 'parse', index: 1, terminal: false, concurrency: 4, targets: ['done'], spawns: ['fetch'], timeout: undefined },
      { name: 'done', index: 2, terminal: true, concurrency: 0, targets: [], spawns: [], timeout: undefined },
      { name: 'fetch-failed', index: 3, terminal: true, concurrency: 0, targets: [], spawns: [], timeout: undefined },
    ]);
    expect(crawl.graph.edges).toEqual([
      { from: 'fetch', to: 'parse', kind: 'transition' },
      { from: 'fetch', to: 'fetch', kind: 'transition' },
      { from: 'fetch', to: 'fetch-failed', kind: 'transition' },
      { from: 'fetch', to: 'fetch-failed', kind: 'timeout-fail' },
      { from: 'parse', to: 'done', kind: 'transition' },
      { from: 'parse', to: 'fetch', kind: 'spawn' },
    ]);
    expect(typeof crawl.graph.state('fetch')?.exec).toBe('function');
    expect(crawl.graph.state('done')?.exec).toBeUndefined();
    expect(crawl.graph.state('nope')).toBeUndefined();
    expect(Object.isFrozen(crawl.graph.states)).toBe(true);
  });

  it('defaults concurrency to 1', () => {
    const wf = workflow<object, object, JC>('w').state('a').to('done').exec(({ jc }) => ({ state: 'done', jc })).terminal('done').build();
    expect(wf.graph.state('a')?.concurrency).toBe(1);
  });

  it('tells terminal states from working ones by `terminal`: only a working state has an exec and policies', () => {
    const wf = workflow<object, object, JC>('w')
      .state('a', { retry: { attempts: 2 }, recursive: true })
      .to('done')
      .exec(({ jc }) => ({ state: 'done', jc }))
      .terminal('done')
      .build();
    const [a, done] = wf.graph.states;
    if (a === undefined || a.terminal || done === undefined || !done.terminal) throw new Error('expected a working state, then a terminal one');
    const exec: (args: never) => unknown = a.exec; // required: no cast, no check
    expect(typeof exec).toBe('function');
    expect(a).toMatchObject({ terminal: false, concurrency: 1, recursive: true, retry: { attempts: 2 } });
    expect(done).toEqual({ name: 'done', index: 1, terminal: true, concurrency: 0, recursive: false, targets: [], spawns: [], source: expect.anything() as unknown });
    expect(Object.isFrozen(a) && Object.isFrozen(done) && Object.isFrozen(done.targets)).toBe(true);
  });
});
