// progressBars(): what a user sees on a terminal and in a log, and lines printed above the bars.
import { describe, expect, it } from 'vitest';
import { progressBars, type StateStatus } from '../src/index.js';

const status = (waiting: number, executing: number, committing: number, done: number): StateStatus[] => [
  { state: 'fetch', terminal: false, waiting, executing, committing, completed: 0, failed: 0 },
  { state: 'done', terminal: true, waiting: 0, executing: 0, committing: 0, completed: done, failed: 0 },
];

function output(isTTY: boolean) {
  const written: string[] = [];
  return { written, stream: { write: (text: string) => written.push(text), isTTY } };
}

describe('progressBars', () => {
  it('on a terminal, log() erases the bars, prints the line and draws the bars again below it', () => {
    const { written, stream } = output(true);
    const bars = progressBars({ stream, width: 10 });
    bars(status(6, 2, 2, 0));
    bars.log('Stopping… (the run is saved)');
    expect(written).toEqual([
      'fetch |██░░░░░░░░| 6 waiting, 2 executing, 2 committing\ndone  |          | 0 done\n',
      '\x1b[2F\x1b[JStopping… (the run is saved)\nfetch |██░░░░░░░░| 6 waiting, 2 executing, 2 committing\ndone  |          | 0 done\n',
    ]);
  });

  it('before any bars, or once they are finished, log() just writes the line', () => {
    const { written, stream } = output(true);
    const bars = progressBars({ stream, width: 10 });
    bars.log('Crawling…');
    bars(status(0, 0, 0, 10));
    bars.log('done.');
    expect(written).toEqual(['Crawling…\n', 'fetch |          | 0 waiting, 0 executing\ndone  |▓▓▓▓▓▓▓▓▓▓| 10 done\n', 'done.\n']);
  });

  it('in a log (no terminal), writes no escape codes: blocks at most once per interval, lines as they come', () => {
    const { written, stream } = output(false);
    const bars = progressBars({ stream, width: 10, intervalMs: 60_000 });
    bars(status(8, 2, 0, 0));
    bars(status(7, 2, 0, 1)); // within the interval: not printed
    bars.log('a line');
    bars(status(0, 0, 0, 10)); // the last one always
    expect(written.join('')).not.toContain('\x1b');
    expect(written).toEqual([
      'fetch |██░░░░░░░░| 8 waiting, 2 executing\ndone  |          | 0 done\n',
      'a line\n',
      'fetch |          | 0 waiting, 0 executing\ndone  |▓▓▓▓▓▓▓▓▓▓| 10 done\n',
    ]);
  });
});
