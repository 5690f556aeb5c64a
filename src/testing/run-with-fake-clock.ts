import type { ProcessorExecResult } from '../engine/processor-exec-result.js';
import { Processor, type ProcessorOptions } from '../engine/processor.js';
import type { Run } from '../model/run.js';
import type { Workflow } from '../model/workflow.js';
import type { Schedule } from '../schedule/schedule.js';
import { FakeClock } from './fake-clock.js';

/**
 * Options of {@link runWithFakeClock}.
 *
 * @example
 * ```ts
 * await runWithFakeClock(wf, ac, run, { clock: new FakeClock(Date.parse('2026-01-01')), maxMs: 60_000 });
 * ```
 * @public
 */
export interface RunWithFakeClockOptions<OC, JC> extends Omit<ProcessorOptions<OC, JC>, 'clock'> {
  /** The clock to drive. @defaultValue a new FakeClock at 0 */
  readonly clock?: FakeClock;
  /** Give up (and throw) when this much fake time has passed. @defaultValue one day */
  readonly maxMs?: number;
  /** Schedules to run on the fake clock (see `ProcessorExecOptions.schedules`); give each a `limit`, or the run never completes. */
  readonly schedules?: readonly Schedule<JC, string>[];
}

/**
 * What {@link runWithFakeClock} returns.
 *
 * @example
 * ```ts
 * const { result, elapsedMs } = await runWithFakeClock(wf, ac, run);
 * ```
 * @public
 */
export interface FakeClockRun {
  /** What `processor.exec` resolved with. */
  readonly result: ProcessorExecResult;
  /** The clock, for more assertions or another run. */
  readonly clock: FakeClock;
  /** Fake milliseconds the run took. */
  readonly elapsedMs: number;
}

/**
 * Runs a workflow to completion on a fake clock: timeouts, retries, backoffs and rate limits
 * happen in fake time, instantly and the same way every time, so a test asserts what a day of
 * back-off does without waiting for it. Execs should wait through the clock (or not at all).
 *
 * @example
 * ```ts
 * const { result, elapsedMs } = await runWithFakeClock(crawl, ac, crawl.newRun('t', oc).add(jc, 'fetch'));
 * expect(result.outcome).toBe('complete');
 * expect(elapsedMs).toBe(700); // 100 + 200 + 400 ms of backoff
 * ```
 * @public
 */
export async function runWithFakeClock<AC, OC, JC, S extends string>(
  workflow: Workflow<AC, OC, JC, S>,
  ac: AC,
  run: Run<OC, JC>,
  options: RunWithFakeClockOptions<OC, JC> = {},
): Promise<FakeClockRun> {
  const { clock = new FakeClock(), maxMs = 24 * 3600_000, schedules, ...processorOptions } = options;
  const start = clock.now();
  let settled = false;
  const execution = new Processor(workflow, ac, { ...processorOptions, clock }).exec(run, schedules === undefined ? {} : { schedules: schedules as readonly Schedule<JC, S>[] }).finally(() => (settled = true));
  while (!settled) {
    const next = clock.nextAt;
    if (next === undefined) {
      // Nothing scheduled on the clock: the run is waiting on real work (a store write, I/O).
      await Promise.race([execution.catch(() => undefined), new Promise((resolve) => setImmediate(resolve))]);
      continue;
    }
    if (next - start > maxMs) throw new Error(`runWithFakeClock: the run did not finish within ${maxMs} ms of fake time`);
    await clock.advance(Math.max(0, next - clock.now()));
  }
  return { result: await execution, clock, elapsedMs: clock.now() - start };
}
