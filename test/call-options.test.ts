// The options of the calls that run a workflow (new Processor, processor.exec, new JsonlStore,
// run.add, redrive): null, a non-object or a misspelt key is a TypeError naming the call and the
// option, never "Cannot read properties of null" and never silently ignored.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonlStore, Processor, redrive, workflow } from '../src/index.js';
import { useTempDir } from './support/temp-dir.js';

type JC = { n: number };
const wf = workflow<object, object, JC>('calls')
  .state('start')
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc }))
  .terminal('done')
  .build();
const tempDir = useTempDir();

// The shapes plain JavaScript sees.
const UntypedProcessor = Processor as unknown as new (workflow: unknown, ac: unknown, options?: unknown) => { exec(run: unknown, options?: unknown): Promise<unknown> };
const UntypedJsonlStore = JsonlStore as unknown as new (path: string, options?: unknown) => unknown;
const untypedRedrive = redrive as (run: unknown, options?: unknown) => string[];
type UntypedRun = { add(jc: unknown, state: string, options?: unknown): unknown };

describe('an options argument that is not an object', () => {
  it.each<[string, (given: unknown) => unknown, string]>([
    ['new Processor', (given) => new UntypedProcessor(wf, {}, given), 'new Processor(workflow, ac, options): options must be an object such as { store, status }, got null'],
    ['new JsonlStore', (given) => new UntypedJsonlStore(join(tempDir(), 'run.jsonl'), given), 'JsonlStore: options must be an object such as { fsync: false }, got null'],
    ['run.add', (given) => (wf.newRun('r', {}) as unknown as UntypedRun).add({ n: 1 }, 'start', given), 'run.add(jc, state, options): options must be an object such as { key: url }, got null'],
    ['redrive', (given) => untypedRedrive(wf.newRun('r', {}), given), "redrive(run, options): options must be an object such as { from: 'fetch-failed', to: 'fetch' }, got null"],
  ])('%s', (_, call, message) => {
    expect(() => call(null)).toThrow(new TypeError(message));
  });

  it('processor.exec rejects', async () => {
    const processor = new UntypedProcessor(wf, {});
    await expect(processor.exec(wf.newRun('r', {}), null)).rejects.toThrow(new TypeError('processor.exec(run, options): options must be an object such as { signal }, got null'));
    await expect(processor.exec(wf.newRun('r', {}), 'fast')).rejects.toThrow(new TypeError('processor.exec(run, options): options must be an object such as { signal }, got "fast"'));
  });

  it('redrive without options', () => {
    expect(() => untypedRedrive(wf.newRun('r', {}))).toThrow(new TypeError("redrive(run, options): options must be an object such as { from: 'fetch-failed', to: 'fetch' }, got undefined"));
  });
});

describe('an options argument with a misspelt key', () => {
  it.each<[string, () => unknown, string]>([
    ['new Processor', () => new UntypedProcessor(wf, {}, { stauts: () => {} }), 'new Processor(workflow, ac, options): unknown option "stauts" (did you mean "status"?)'],
    ['new JsonlStore', () => new UntypedJsonlStore(join(tempDir(), 'run.jsonl'), { fsycn: false }), 'JsonlStore: unknown option "fsycn" (did you mean "fsync"?)'],
    ['run.add', () => (wf.newRun('r', {}) as unknown as UntypedRun).add({ n: 1 }, 'start', { prority: 1 }), 'run.add(jc, state, options): unknown option "prority" (did you mean "priority"?)'],
    [
      'redrive',
      () => untypedRedrive(wf.newRun('r', {}), { from: 'done', to: 'start', keepfailed: true }),
      'redrive(run, options): unknown option "keepfailed" (did you mean "keepFailed"?)',
    ],
  ])('%s', (_, call, message) => {
    expect(call).toThrow(new TypeError(message));
  });

  it('processor.exec rejects', async () => {
    const processor = new UntypedProcessor(wf, {});
    await expect(processor.exec(wf.newRun('r', {}), { singal: new AbortController().signal })).rejects.toThrow(
      new TypeError('processor.exec(run, options): unknown option "singal" (did you mean "signal"?)'),
    );
  });

  it('adds nothing to the run', () => {
    const run = wf.newRun('r', {});
    expect(() => (run as unknown as UntypedRun).add({ n: 1 }, 'start', { idd: 'a' })).toThrow(TypeError);
    expect(run.jobs.size).toBe(0);
  });
});
