// The pluggable logger: the library logs nothing by default; consoleLogger() and jsonLogger() write
// the structured events a display (or your code) gives them.
import { describe, expect, it } from 'vitest';
import { consoleLogger } from '../src/log/console-logger.js';
import type { JorbEvent } from '../src/log/jorb-event.js';
import { jsonLogger } from '../src/log/json-logger.js';
import { progressBars } from '../src/status/progress-bars.js';
import { FakeClock } from '../src/testing/index.js';

const drained: JorbEvent = { level: 'info', type: 'state-drained', at: 1500, state: 'fetch', message: 'fetch drained at 1.5 s', fields: { elapsedMs: 1500 } };
const progress: JorbEvent = { level: 'debug', type: 'progress', at: 1000, message: '3/4 jobs settled', fields: { settled: 3, jobs: 4 } };
const rising: JorbEvent = { level: 'warn', type: 'error-rate', at: 3000, state: 'check', message: 'check error rate up to 40 %', fields: { share: 0.4, level: 'spoofed' } };

function sink() {
  const written: string[] = [];
  return { written, stream: { write: (text: string) => written.push(text) } };
}

describe('loggers', () => {
  it('consoleLogger writes a line a person reads per event, from info up by default', () => {
    const { written, stream } = sink();
    const logger = consoleLogger({ stream });
    for (const e of [progress, drained, rising]) logger.log(e);
    expect(written).toEqual(['jorb info: fetch drained at 1.5 s\n', 'jorb warn: check error rate up to 40 %\n']);
    const all = sink();
    consoleLogger({ stream: all.stream, level: 'debug' }).log(progress);
    expect(all.written).toEqual(['jorb debug: 3/4 jobs settled\n']);
  });

  it('jsonLogger writes one JSON object a line: level, type, at, state, message, then the fields (which cannot hide those)', () => {
    const { written, stream } = sink();
    const logger = jsonLogger({ stream, level: 'warn' });
    for (const e of [progress, drained, rising]) logger.log(e);
    expect(written).toEqual(['{"level":"warn","type":"error-rate","at":3000,"state":"check","message":"check error rate up to 40 %","share":0.4}\n']);
  });

  it('progressBars logs nothing without a logger, and gives one its events as JSON lines', async () => {
    const clock = new FakeClock();
    const display = sink();
    const log = sink();
    const bars = progressBars({ stream: display.stream, clock, quiet: true, intervalMs: 1000, env: {}, logger: jsonLogger({ stream: log.stream }) });
    bars([{ state: 'fetch', terminal: false, waiting: 1, executing: 1, committing: 0, completed: 0, failed: 0 }, { state: 'done', terminal: true, waiting: 0, executing: 0, committing: 0, completed: 0, failed: 0 }]);
    await clock.advance(250);
    bars([{ state: 'fetch', terminal: false, waiting: 0, executing: 0, committing: 0, completed: 0, failed: 0 }, { state: 'done', terminal: true, waiting: 0, executing: 0, committing: 0, completed: 2, failed: 0 }]);
    expect(display.written).toEqual(['jorb done in 250 ms: 2 jobs (2 done), 8.0 jobs/s, 0 errors\n']);
    expect(log.written.map((l) => JSON.parse(l) as unknown)).toEqual([
      { level: 'info', type: 'state-drained', at: 250, state: 'fetch', message: 'fetch drained at 250 ms', elapsedMs: 250 },
      { level: 'info', type: 'summary', at: 250, message: 'done in 250 ms: 2 jobs (2 done), 8.0 jobs/s, 0 errors', elapsedMs: 250, jobs: 2, settled: 2, errors: 0, etaMs: 0, outcome: 'complete' }, // no windowed rate over 250 ms,
    ]);
  });
});
