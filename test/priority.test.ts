// Priorities: higher first within a state, first-in-first-out among equals; kept across restarts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryStore, Processor, workflow } from '../src/index.js';

type JC = { name: string; kids?: number };

describe('priority', () => {
  it('runs higher priorities first within a state, FIFO among equals, kicks included', async () => {
    const order: string[] = [];
    const wf = workflow<object, object, JC>('prio')
      .state('work', { concurrency: 1 })
      .to('done')
      .spawns('work')
      .exec(({ jc }) => {
        order.push(jc.name);
        const kicks = Array.from({ length: jc.kids ?? 0 }, (_, i) => ({ state: 'work' as const, jc: { name: `${jc.name}.${i}` }, priority: i === 0 ? 100 : -1 }));
        return { state: 'done', jc, kicks };
      })
      .terminal('done')
      .build();
    const newRun = () =>
      wf
        .newRun('r', {})
        .add({ name: 'low-1' }, 'work', { priority: -5 })
        .add({ name: 'normal-1', kids: 2 }, 'work')
        .add({ name: 'high-1' }, 'work', { priority: 10 })
        .add({ name: 'normal-2' }, 'work')
        .add({ name: 'high-2' }, 'work', { priority: 10 });
    await new Processor(wf, {}).exec(newRun());
    expect(order).toEqual(['high-1', 'high-2', 'normal-1', 'normal-1.0', 'normal-2', 'normal-1.1', 'low-1']);

    // Priorities are stored with the jobs (and kicks), so a restarted run keeps its order.
    const store = new MemoryStore<object, JC>();
    await new Processor(wf, {}, { store }).exec(newRun());
    const loaded = await store.load();
    expect(loaded?.jobs.get('2')?.priority).toBe(10);
    expect(loaded?.jobs.get('1->0')?.priority).toBe(100);
    expect(loaded?.jobs.get('3')?.priority).toBeUndefined();
  });

  it('rejects a priority that is not a finite number', () => {
    const wf = workflow<object, object, JC>('p').state('a').to('b').exec(({ jc }) => ({ state: 'b', jc })).terminal('b').build();
    expect(() => wf.newRun('r', {}).add({ name: 'x' }, 'a', { priority: Number.NaN })).toThrow('Run "r": a priority must be a finite number, got NaN');
  });

  it('many distinct priorities, mixed with equal ones and with jobs added while running: always the highest first, FIFO among equals', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 300 }), fc.array(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), { maxLength: 300 }), async (few, many) => {
        const priorities = [...few, ...many];
        const order: number[] = [];
        const wf = workflow<object, object, { i: number }>('heap')
          .state('work', { concurrency: 1 })
          .to('done')
          .exec(({ jc }) => (order.push(jc.i), { state: 'done', jc }))
          .terminal('done')
          .build();
        const run = wf.newRun('r', {});
        priorities.forEach((priority, i) => run.add({ i }, 'work', { priority }));
        await new Processor(wf, {}).exec(run);
        const expected = priorities.map((priority, i) => ({ priority, i })).sort((a, b) => b.priority - a.priority || a.i - b.i).map((x) => x.i);
        expect(order).toEqual(expected);
      }),
      { seed: 42, numRuns: 60 },
    );
  });
});
