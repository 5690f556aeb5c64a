/**
 * jorb-ts/testing: test your workflows' timeouts, retries and rate limits without sleeping.
 *
 * @packageDocumentation
 */

export { FakeClock } from './fake-clock.js';
export { runWithFakeClock } from './run-with-fake-clock.js';
export type { FakeClockRun, RunWithFakeClockOptions } from './run-with-fake-clock.js';
export type { Clock } from '../model/clock.js';
