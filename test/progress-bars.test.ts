/* eslint-disable no-control-regex -- these tests match the escape codes a terminal receives */
// progressBars(): what a user sees on a terminal and in a log, lines printed above the display, the
// figures it takes from the engine's ledger, colour, quiet, and its events. Time is a FakeClock;
// a real pseudo-terminal and a real pipe are in terminal-pty.test.ts and terminal-pipe.test.ts.
import { describe, expect, it } from 'vitest';
import { progressBars, type StateStatus } from '../src/index.js';
import type { RunLedger, StateLedger } from '../src/ledger/run-ledger.js';
import type { JorbEvent } from '../src/log/jorb-event.js';
import { FakeClock } from '../src/testing/index.js';

const status = (waiting: number, executing: number, committing: number, done: number, failed = 0): StateStatus[] => [
  { state: 'fetch', terminal: false, waiting, executing, committing, completed: 0, failed },
  { state: 'done', terminal: true, waiting: 0, executing: 0, committing: 0, completed: done, failed: 0 },
];

function output(isTTY: boolean, columns?: number) {
  const written: string[] = [];
  return { written, stream: { write: (text: string) => written.push(text), isTTY, ...(columns !== undefined ? { columns } : {}) } };
}

const CURSOR = /\x1b\[\d*[A-HJKST]/; // cursor moves and erases
const SGR = /\x1b\[\d+(;\d+)*m/; // colours
const NO_ENV = {}; // no CI, NO_COLOR or FORCE_COLOR

/** The engine's ledger for a crawl: fetch feeds parse, which is concurrency-bound. */
function crawlLedger(): RunLedger {
  const state = (name: string, over: Partial<StateLedger>): StateLedger => ({
    state: name, terminal: false, arrivalsPerSecond: 0, completionsPerSecond: 0, arrivals: 0, completions: 0, visitsPerJob: 1, permitWaitMs: 0,
    waiting: 0, inFlight: 0, limit: 0, utilisation: 0, errors: 0, retries: 0, timeouts: 0, verdict: { kind: 'idle', reason: '' }, ...over,
  });
  return {
    at: 0, elapsedMs: 12_300, throughput: 41.2, transitions: 500, eventLoopDelayMs: 2, jobsPerSecond: 19.8,
    states: [
      state('fetch', { arrivals: 271, completions: 240, completionsPerSecond: 24.1, serviceMs: { mean: 200, p50: 180, p95: 310, count: 200 }, limit: 8, errors: 5, verdict: { kind: 'starved', reason: '' } }),
      state('parse', { arrivals: 240, completions: 238, completionsPerSecond: 19.8, serviceMs: { mean: 100, p50: 100, p95: 102, count: 200 }, limit: 2, verdict: { kind: 'concurrency-bound', reason: '' } }),
      state('done', { terminal: true, arrivals: 238, arrivalsPerSecond: 19.8 }),
      state('fetch-failed', { terminal: true, arrivals: 1 }),
    ],
    bottleneck: { kind: 'concurrency-bound', state: 'parse', reason: 'both slots busy; jobs wait for one' },
  };
}
const crawlStatus: StateStatus[] = [
  { state: 'fetch', terminal: false, waiting: 23, delayed: 3, executing: 8, committing: 0, completed: 0, failed: 0 },
  { state: 'parse', terminal: false, waiting: 0, executing: 2, committing: 0, completed: 0, failed: 0 },
  { state: 'done', terminal: true, waiting: 0, executing: 0, committing: 0, completed: 238, failed: 0 },
  { state: 'fetch-failed', terminal: true, waiting: 0, executing: 0, committing: 0, completed: 1, failed: 0 },
];

describe('progressBars on a terminal', () => {
  it('draws a header, column titles and a row per state; log() erases it, prints the line and draws it again below', () => {
    const { written, stream } = output(true);
    const bars = progressBars({ stream, width: 10, clock: new FakeClock(), env: NO_ENV });
    bars(status(6, 2, 2, 0));
    bars.log('Stopping… (the run is saved)');
    const frame = [
      'jorb 0 ms · 0/10 jobs settled',
      'state               done/total  in flight  waiting  errors',
      'fetch |██░░░░░░░░|                      2  6             0  2 committing',
      'done  |          |           0',
    ];
    expect(written.map((w) => w.replace(new RegExp(SGR, 'g'), ''))).toEqual([
      `${frame.join('\n')}\n`,
      `\x1b[4FStopping… (the run is saved)\x1b[K\n${frame.map((l) => `${l}\x1b[K\n`).join('')}`,
    ]);
  });

  it('shows the ledger: done / total, in flight / limit, delayed, rate, p95, ETA, errors, and the bottleneck in the header and on its row', () => {
    const { written, stream } = output(true);
    progressBars({ stream, clock: new FakeClock(), env: NO_ENV, color: false })(crawlStatus, crawlLedger);
    expect(written.join('')).toBe(
      [
        'jorb 0 ms · 239/272 jobs settled · 20 jobs/s · 41 transitions/s · ETA 1.7 s · 5 errors · bottleneck: parse (concurrency-bound)',
        'state                                    done/total  in flight  waiting          rate     p95     ETA  errors',
        'fetch        |█░░                     |     240/271        8/8  23 (3 delayed)   24/s  310 ms   1.3 s       5',
        'parse        |                        |     238/240        2/2  0                20/s  102 ms  101 ms       0  ◀ concurrency-bound',
        'done         |▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓   |         238                              20/s',
        'fetch-failed |                        |           1                             0.0/s',
        '',
      ].join('\n'),
    );
  });

  it('before any update, or once the run is over, log() just writes the line; the end leaves the last frame and a summary line', () => {
    const { written, stream } = output(true);
    const bars = progressBars({ stream, width: 10, clock: new FakeClock(), env: NO_ENV, color: false });
    bars.log('Crawling…');
    bars(status(0, 0, 0, 10));
    bars.log('done.');
    bars.done(); // already over: nothing more
    expect(written).toEqual([
      'Crawling…\n',
      'jorb 0 ms · 10/10 jobs settled\nstate               done/total  in flight  waiting  errors\nfetch |          |                      0  0             0\ndone  |▓▓▓▓▓▓▓▓▓▓|          10\n',
      'jorb done in 0 ms: 10 jobs (10 done), 0 errors\n',
      'done.\n',
    ]);
  });

  it('repaints in place at most 10 frames a second, the latest update in each, and the last at once', async () => {
    const { written, stream } = output(true);
    const clock = new FakeClock();
    const bars = progressBars({ stream, width: 10, clock, env: NO_ENV, color: false });
    for (let done = 0; done < 100; done++) {
      bars(status(100 - done - 1, 1, 0, done)); // an update every 10 ms for a second
      await clock.advance(10);
    }
    const frames = written.length;
    expect(frames).toBeGreaterThanOrEqual(10);
    expect(frames).toBeLessThanOrEqual(11); // t = 0, 100, …, 1000 ms
    expect(written.slice(1).every((w) => w.startsWith('\x1b[4F'))).toBe(true);
    expect(written.at(-1)).toContain('jorb 1.0 s · 99/100 jobs settled'); // the latest counts (at 990 ms), drawn at 1 s
    bars(status(0, 0, 0, 100));
    expect(written.slice(frames).join('')).toBe(
      '\x1b[4Fjorb 1.0 s · 100/100 jobs settled · 100 jobs/s\x1b[K\nstate               done/total  in flight  waiting   rate  errors\x1b[K\nfetch |          |                      0  0                    0\x1b[K\ndone  |▓▓▓▓▓▓▓▓▓▓|         100                      100/s\x1b[K\njorb done in 1.0 s: 100 jobs (100 done), 100 jobs/s, 0 errors\n',
    );
  });

  it('cuts its lines to the terminal width and shrinks the bars to fit', () => {
    const { written, stream } = output(true, 60);
    progressBars({ stream, clock: new FakeClock(), env: NO_ENV, color: false })(crawlStatus, crawlLedger);
    const lines = written.join('').split('\n').slice(0, -1);
    expect(Math.max(...lines.map((l) => [...l].length))).toBeLessThanOrEqual(59);
    expect(lines[2]).toBe('fetch        |░     |     240/271        8/8  23 (3 delayed'); // 8 of 272 jobs is less than a cell
  });
});

describe('progressBars piped or in CI', () => {
  it('writes no escape codes: a line now and every intervalMs, a line when a state drains, and at the end the table and a summary', async () => {
    const { written, stream } = output(false);
    const clock = new FakeClock();
    const bars = progressBars({ stream, width: 10, clock, intervalMs: 1000, env: NO_ENV });
    for (let done = 0; done <= 30; done++) {
      bars(status(Math.max(0, 28 - done), Math.min(2, 30 - done), 0, done)); // a job done every 100 ms
      if (done < 30) await clock.advance(100);
    }
    expect(written.join('')).not.toContain('\x1b');
    expect(written.join('')).toBe(
      [
        'jorb 0 ms: 0/30 jobs settled; fetch 28 waiting, 2 in flight',
        // each line falls due before the update of the same millisecond: the counts of 100 ms before
        'jorb 1.0 s: 9/30 jobs settled, 9.0 jobs/s, ETA 2.3 s; fetch 19 waiting, 2 in flight',
        'jorb 2.0 s: 19/30 jobs settled, 9.5 jobs/s, ETA 1.2 s; fetch 9 waiting, 2 in flight',
        'jorb 3.0 s: 29/30 jobs settled, 9.7 jobs/s, ETA 103 ms; fetch 0 waiting, 1 in flight',
        'jorb 3.0 s: fetch drained at 3.0 s',
        'jorb 3.0 s · 30/30 jobs settled · 10 jobs/s',
        'state               done/total  in flight  waiting  rate  errors',
        'fetch |          |                      0  0                   0',
        'done  |▓▓▓▓▓▓▓▓▓▓|          30                      10/s',
        'jorb done in 3.0 s: 30 jobs (30 done), 10 jobs/s, 0 errors',
        '',
      ].join('\n'),
    );
  });

  it('a terminal in CI (CI set) is written to as a log', () => {
    const { written, stream } = output(true);
    const bars = progressBars({ stream, width: 10, clock: new FakeClock(), env: { CI: 'true' } });
    bars(status(8, 2, 0, 0));
    bars(status(7, 2, 0, 1));
    bars.log('a line');
    bars(status(0, 0, 0, 10));
    expect(written.join('')).not.toMatch(/\x1b/);
    expect(written.slice(0, 2)).toEqual(['jorb 0 ms: 0/10 jobs settled; fetch 8 waiting, 2 in flight\n', 'a line\n']);
    expect(written.at(-1)).toBe('jorb done in 0 ms: 10 jobs (10 done), 0 errors\n');
  });

  it('says when a state’s error rate jumps (at least 3 errors, 10 % of the jobs out, twice the interval before)', async () => {
    const { written, stream } = output(false);
    const clock = new FakeClock();
    const events: JorbEvent[] = [];
    const bars = progressBars({ stream, width: 10, clock, intervalMs: 1000, env: NO_ENV, logger: { log: (e) => events.push(e) } });
    bars(status(100, 2, 0, 0));
    await clock.advance(1000);
    bars(status(88, 2, 0, 10, 0)); // 10 out, none failed
    await clock.advance(1000);
    bars(status(76, 2, 0, 16, 4)); // 10 out, 4 failed in fetch: 40 %
    await clock.advance(1000);
    bars(status(64, 2, 0, 26, 5)); // 11 out, 1 failed: calm again
    await clock.advance(1000);
    expect(written.filter((l) => l.includes('error rate'))).toEqual(['jorb 3.0 s: fetch error rate up to 40 % in the last 1.0 s (4 errors, 10 jobs out; was 0 %)\n']);
    expect(events.filter((e) => e.type === 'error-rate')).toEqual([
      { level: 'warn', type: 'error-rate', at: 3000, state: 'fetch', message: 'fetch error rate up to 40 % in the last 1.0 s (4 errors, 10 jobs out; was 0 %)', fields: { elapsedMs: 3000, share: 0.4, errors: 4, out: 10, previousShare: 0 } },
    ]);
    bars.done({ outcome: 'aborted' });
    expect(written.at(-1)).toBe('jorb stopped after 4.0 s: 97 jobs (26 done, 5 failed in fetch), 66 left, 7.8 jobs/s, 5 errors\n');
  });
});

describe('progressBars colour, quiet and events', () => {
  const run = (isTTY: boolean, env: Record<string, string>, quiet = false) => {
    const { written, stream } = output(isTTY);
    const bars = progressBars({ stream, width: 10, clock: new FakeClock(), env, quiet });
    bars(status(5, 1, 0, 4, 1));
    bars(status(0, 0, 0, 9, 1));
    return written.join('');
  };

  it('colours on a terminal; not piped; never with NO_COLOR; with FORCE_COLOR piped too (but no cursor codes)', () => {
    expect(run(true, {})).toMatch(SGR);
    expect(run(true, {})).toContain('\x1b[31m1\x1b[39m'); // errors in red
    expect(run(false, {})).not.toMatch(/\x1b/);
    expect(run(true, { NO_COLOR: '1' })).not.toMatch(SGR);
    expect(run(true, { NO_COLOR: '1', FORCE_COLOR: '1' })).not.toMatch(SGR); // NO_COLOR wins
    expect(run(true, { FORCE_COLOR: '0' })).not.toMatch(SGR);
    expect(run(false, { FORCE_COLOR: '1' })).toMatch(SGR);
    expect(run(false, { FORCE_COLOR: '1' })).not.toMatch(CURSOR);
    expect(run(true, { CI: '1' })).not.toMatch(/\x1b/);
  });

  it('quiet: only the final summary line, on a terminal and piped', () => {
    expect(run(true, { NO_COLOR: '1' }, true)).toBe('jorb done in 0 ms: 10 jobs (9 done, 1 failed in fetch), 1 errors\n');
    expect(run(false, {}, true)).toBe('jorb done in 0 ms: 10 jobs (9 done, 1 failed in fetch), 1 errors\n');
  });

  it('gives its logger structured events, and prints nothing of a logger that throws', async () => {
    const events: JorbEvent[] = [];
    const clock = new FakeClock();
    const { written, stream } = output(false);
    const bars = progressBars({ stream, width: 10, clock, intervalMs: 1000, quiet: true, env: NO_ENV, logger: { log: (e) => events.push(e) } });
    bars(status(3, 1, 0, 0));
    await clock.advance(500);
    bars(status(0, 1, 0, 3));
    await clock.advance(1000);
    bars(status(0, 0, 0, 4));
    expect(events).toEqual([
      { level: 'debug', type: 'progress', at: 1000, message: '3/4 jobs settled, 3.0 jobs/s, ETA 333 ms; fetch 0 waiting, 1 in flight', fields: { elapsedMs: 1000, jobs: 4, settled: 3, errors: 0, settledPerSecond: 3, etaMs: 1000 / 3 } },
      { level: 'info', type: 'state-drained', at: 1500, state: 'fetch', message: 'fetch drained at 1.5 s', fields: { elapsedMs: 1500 } },
      { level: 'info', type: 'summary', at: 1500, message: 'done in 1.5 s: 4 jobs (4 done), 2.7 jobs/s, 0 errors', fields: { elapsedMs: 1500, jobs: 4, settled: 4, errors: 0, settledPerSecond: 4 / 1.5, etaMs: 0, outcome: 'complete' } },
    ]);
    expect(written).toEqual(['jorb done in 1.5 s: 4 jobs (4 done), 2.7 jobs/s, 0 errors\n']);
    const throwing = progressBars({ stream, clock, quiet: true, env: NO_ENV, logger: { log: () => { throw new Error('full disk'); } } });
    expect(() => throwing(status(0, 0, 0, 1))).not.toThrow();
  });
});
