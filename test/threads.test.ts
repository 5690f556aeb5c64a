// Worker-thread states (issue #21, part 3): an exec in its own module, run by inThreads() in a
// pool of real worker threads, as a user sees it through the processor and the run.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeThreadPools, fixedRate, inThreads, MemoryStore, Processor, workflow } from '../src/index.js';
import type burn from './fixtures/threads/burn.js';
import type { BurnJC } from './fixtures/threads/burn.js';
import type double from './fixtures/threads/double.js';
import type { DoubleJC } from './fixtures/threads/double.js';
import type { exec as flaky, FlakyJC } from './fixtures/threads/flaky.js';
import type rateLimited from './fixtures/threads/rate-limited.js';

const fixture = (name: string) => new URL(`./fixtures/threads/${name}.js`, import.meta.url);

const burnExec = () => inThreads<typeof burn>(fixture('burn'), { threads: 1 });
const dir = mkdtempSync(join(tmpdir(), 'jorb-threads-'));

beforeAll(async () => {
  // Start the 1-thread pool of burn.ts (a thread, tsx, the module) before the tests that time it.
  const wf = workflow<object, object, BurnJC>('warm').state('burn').to('done').exec(burnExec()).terminal('done').build();
  await new Processor(wf, {}).exec(wf.newRun('warm', {}).add({ ms: 0 }, 'burn'));
});

afterAll(async () => {
  await closeThreadPools();
  rmSync(dir, { recursive: true, force: true });
});

/** Resolves once `path` exists, polling every 10 ms. */
async function fileAppears(path: string): Promise<void> {
  while (!existsSync(path)) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('a state whose exec runs in worker threads', () => {
  it('runs each job on a thread of the pool, with the thread’s own setup(), and its kicks become children', async () => {
    const wf = workflow<object, object, DoubleJC>('double')
      .state('double', { concurrency: 4 })
      .to('done')
      .spawns('double')
      .exec(inThreads<typeof double>(fixture('double'), { threads: 2 }))
      .terminal('done')
      .build();
    const run = wf.newRun('r', {});
    for (let n = 1; n <= 8; n++) run.add({ n, kids: n === 1 ? 2 : 0 }, 'double');
    const result = await new Processor(wf, {}, { store: new MemoryStore() }).exec(run);
    expect(result).toEqual({ outcome: 'complete', transitions: 10, failed: 0 });
    const jobs = [...run.jobs.values()];
    expect(jobs.map((j) => [j.id, j.state, j.jc.n])).toEqual([
      ['0', 'done', 2], ['1', 'done', 4], ['2', 'done', 6], ['3', 'done', 8],
      ['4', 'done', 10], ['5', 'done', 12], ['6', 'done', 14], ['7', 'done', 16],
      ['0->0', 'done', 20], ['0->1', 'done', 22],
    ]);
    const threads = new Set(jobs.map((j) => j.jc.thread));
    expect(threads.has(threadId)).toBe(false);
    expect(threads.size).toBeLessThanOrEqual(2);
    // setup() ran once in each thread, however many jobs that thread ran.
    expect(new Set(jobs.map((j) => j.jc.setups))).toEqual(new Set([1]));
  });

  it('a thread returning a state that is not among .to targets fails the job with the usual message', async () => {
    const wf = workflow<object, object, { n: number }>('wrong')
      .state('hash')
      .to('done')
      // The module's type says 'nowhere': cast here as a JavaScript caller could (the tsd test shows the compiler refusing it).
      .exec(inThreads(fixture('wrong-target'), { threads: 1 }) as unknown as () => Promise<{ state: 'done'; jc: { n: number } }>)
      .terminal('done')
      .build();
    const run = wf.newRun('r', {}).add({ n: 1 }, 'hash');
    const result = await new Processor(wf, {}).exec(run);
    expect(result).toEqual({ outcome: 'complete', transitions: 1, failed: 1 });
    expect(run.jobs.get('0')).toMatchObject({
      state: 'hash',
      failed: true,
      errors: { hash: ['exec of state "hash" returned state "nowhere", which is not one of its .to() targets (done)'] },
    });
  });

  it('a throwing exec: its message is recorded and the retry policy runs it again', async () => {
    const wf = workflow<object, object, FlakyJC>('flaky')
      .state('parse', { retry: { attempts: 3, backoff: { initialMs: 1, maxMs: 1 }, then: 'unparsable' } })
      .to('done', 'unparsable')
      .exec(inThreads<typeof flaky>(fixture('flaky'), { threads: 1 }))
      .terminal('done', 'unparsable')
      .build();
    const run = wf.newRun('r', {}).add({ id: 'a' }, 'parse').add({ id: 'b', always: true }, 'parse');
    const result = await new Processor(wf, {}).exec(run);
    expect(result).toMatchObject({ outcome: 'complete', failed: 0 });
    expect(run.jobs.get('0')).toMatchObject({ state: 'done', jc: { attempts: 2 }, errors: { parse: ['parse a: unexpected token at 7 (attempt 1)'] } });
    expect(run.jobs.get('1')).toMatchObject({
      state: 'unparsable',
      errors: { parse: [1, 2, 3].map((n) => `parse b: unexpected token at 7 (attempt ${n})`) },
    });
  });

  it('a RateLimitError thrown in a thread stays one: the job waits out its retry-after and runs again, no error recorded', async () => {
    const wf = workflow<object, object, { n: number; calls?: number }>('limited')
      .state('call', { rateLimit: fixedRate(1000) })
      .to('done')
      .exec(inThreads<typeof rateLimited>(fixture('rate-limited'), { threads: 1 }))
      .terminal('done')
      .build();
    const run = wf.newRun('r', {}).add({ n: 1 }, 'call');
    const started = performance.now();
    expect(await new Processor(wf, {}).exec(run)).toEqual({ outcome: 'complete', transitions: 1, failed: 0 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(run.jobs.get('0')).toMatchObject({ state: 'done', jc: { n: 1, calls: 2 }, errors: {} });
  });

  it('a timeout ends the attempt by terminating its thread, and the pool goes on with a new thread', async () => {
    const wf = workflow<object, object, BurnJC>('stuck')
      .state('burn', { concurrency: 1, timeout: { ms: 1000, failState: 'too-slow' } })
      .to('done', 'too-slow')
      .exec(burnExec())
      .terminal('done', 'too-slow')
      .build();
    // Job 1 spins for ever on the only thread; job 2 can run only once that thread is gone.
    const run = wf.newRun('r', {}).add({ ms: 10 }, 'burn').add({ ms: -1 }, 'burn').add({ ms: 10 }, 'burn');
    const started = performance.now();
    const result = await new Processor(wf, {}).exec(run);
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(result).toEqual({ outcome: 'complete', transitions: 3, failed: 0 });
    expect(run.jobs.get('1')).toMatchObject({ state: 'too-slow', errors: { burn: ['timed out after 1000ms'] } });
    expect(run.jobs.get('0')?.state).toBe('done');
    expect(run.jobs.get('2')?.state).toBe('done');
    expect(run.jobs.get('2')?.jc.thread).not.toBe(run.jobs.get('0')?.jc.thread);
  });

  it('an abort of processor.exec terminates the thread mid-attempt; exec again finishes the run', async () => {
    const wf = workflow<object, object, BurnJC>('abort')
      .state('burn', { concurrency: 1 })
      .to('done')
      .exec(burnExec())
      .terminal('done')
      .build();
    const mark = join(dir, 'spinning');
    const run = wf.newRun('r', {}).add({ ms: -1, mark }, 'burn');
    const controller = new AbortController();
    const exec = new Processor(wf, {}).exec(run, { signal: controller.signal });
    await fileAppears(mark); // the attempt spins, for ever, in its thread
    controller.abort(new Error('shutting down'));
    expect(await exec).toEqual({ outcome: 'aborted', transitions: 0, failed: 0 });
    expect(run.jobs.get('0')).toMatchObject({ state: 'burn', errors: {} });
    expect(run.jobs.get('0')?.failed).toBeUndefined();
    // The pool runs the next attempt on a new thread.
    const spun = Number(readFileSync(mark, 'utf8'));
    const again = wf.newRun('r2', {}).add({ ms: 1 }, 'burn');
    expect(await new Processor(wf, {}).exec(again)).toEqual({ outcome: 'complete', transitions: 1, failed: 0 });
    expect(again.jobs.get('0')?.jc.thread).not.toBe(spun);
  });

  it('a module with no exec export fails the job with a message naming the state and the module', async () => {
    const wf = workflow<object, object, { n: number }>('none')
      .state('hash')
      .to('done')
      .exec(inThreads<(args: { jc: { n: number } }) => { state: 'done'; jc: { n: number } }>(fixture('no-exec'), { threads: 1 }))
      .terminal('done')
      .build();
    const run = wf.newRun('r', {}).add({ n: 1 }, 'hash');
    expect(await new Processor(wf, {}).exec(run)).toMatchObject({ failed: 1 });
    expect(run.jobs.get('0')?.errors).toEqual({
      hash: [
        `state "hash": thread module ${new URL('./fixtures/threads/no-exec.ts', import.meta.url).href} exports no exec function: export it as the default export (export default function …) or as \`exec\``,
      ],
    });
  });

  it('a thread returning what cannot be copied back fails the job with the path and the reason', async () => {
    const wf = workflow<object, object, { n: number }>('uncloneable')
      .state('hash')
      .to('done')
      .exec(inThreads(fixture('uncloneable'), { threads: 1 }) as unknown as () => Promise<{ state: 'done'; jc: { n: number } }>)
      .terminal('done')
      .build();
    const run = wf.newRun('r', {}).add({ n: 1 }, 'hash');
    expect(await new Processor(wf, {}).exec(run)).toMatchObject({ failed: 1 });
    expect(run.jobs.get('0')?.errors).toEqual({
      hash: ['exec of state "hash" returned what a worker thread cannot send back: cannot store the returned job context: jc.callback is a function, which JSON drops'],
    });
  });

  it('refuses a bad module or thread count at once, naming the module', () => {
    expect(() => inThreads(fixture('burn'), { threads: 0 })).toThrow(
      `inThreads(${new URL('./fixtures/threads/burn.ts', import.meta.url).href}): threads must be a whole number from 1 up, got 0`,
    );
    expect(() => inThreads(fixture('burn'), { thread: 2 } as never)).toThrow(/inThreads\(.*burn\.ts\): unknown option "thread" \(did you mean "threads"\?\)/);
    expect(() => inThreads('./fixtures/threads/burn.js')).toThrow(
      `inThreads: the module must be a file URL or an absolute path, as new URL('./my-exec.js', import.meta.url) gives, got "./fixtures/threads/burn.js"`,
    );
    expect(() => inThreads(fixture('missing'))).toThrow(`inThreads: there is no module at ${new URL('./fixtures/threads/missing.js', import.meta.url).pathname}`);
  });
});
