/* eslint-disable no-control-regex -- these tests match the escape codes a terminal receives */
// progressBars() on a pipe: a child process draws a run on process.stdout, which is a pipe, on a
// FakeClock, so what it writes is the same bytes every run.
import { describe, expect, it } from 'vitest';
import { piped } from './support/pty.js';

// 200 jobs through fetch (4 slots) then check (2 slots), 50 ms each; every 9th job is rejected.
const RUN = ['--fake', '--jobs', '200', '--ms', '50', '--fail', '9', '--interval', '1000'];

describe('progressBars on a pipe', () => {
  it('without the ledger: no escape codes, a line a second, the drains, the table and the summary, byte for byte', async () => {
    const { stdout, code } = await piped([...RUN, '--no-ledger']);
    expect(code).toBe(0);
    expect(stdout).toBe(
      [
        'jorb 0 ms: 0/200 jobs settled; fetch 196 waiting, 4 in flight',
        'jorb 1.0 s: 36/200 jobs settled, 36 jobs/s, ETA 4.6 s; fetch 120 waiting, 4 in flight; check 38 waiting, 2 in flight',
        'jorb 2.0 s: 76/200 jobs settled, 38 jobs/s, ETA 3.3 s; fetch 40 waiting, 4 in flight; check 78 waiting, 2 in flight',
        'jorb 2.5 s: fetch drained at 2.5 s',
        'jorb 3.0 s: 116/200 jobs settled, 39 jobs/s, ETA 2.2 s; check 82 waiting, 2 in flight',
        'jorb 4.0 s: 156/200 jobs settled, 39 jobs/s, ETA 1.1 s; check 42 waiting, 2 in flight',
        'jorb 5.0 s: 196/200 jobs settled, 39 jobs/s, ETA 102 ms; check 2 waiting, 2 in flight',
        'jorb 5.0 s: check drained at 5.0 s',
        'jorb 5.0 s · 200/200 jobs settled · 40 jobs/s',
        'state                                done/total  in flight  waiting   rate  errors',
        'fetch    |                        |                      0  0                    0',
        'check    |                        |                      0  0                    0',
        'done     |▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓   |         178                       35/s',
        'rejected |▓▓▓                     |          22                      4.4/s',
        'jorb done in 5.0 s: 200 jobs (178 done, 22 rejected), 40 jobs/s, 0 errors',
        '',
      ].join('\n'),
    );
  });

  it('with the ledger: limits, p95, errors, throughput and the bottleneck in the lines; the summary byte for byte', async () => {
    const { stdout } = await piped(RUN);
    expect(stdout).not.toContain('\x1b');
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^jorb 0 ms: 0\/200 jobs settled.*; fetch 196 waiting, 4\/4 in flight/);
    expect(lines.find((l) => l.startsWith('jorb 2.0 s: 76/200 jobs settled'))).toMatch(/transitions\/s, ETA 3\.3 s; fetch 40 waiting, 4\/4 in flight, p95 50 ms; check 78 waiting, 2\/2 in flight, p95 50 ms; 8 errors; bottleneck check \(concurrency-bound\)$/);
    expect(lines).toContain('jorb 2.5 s: fetch drained at 2.5 s');
    expect(stdout).toMatch(/\ncheck +\| +\| +200\/200 +0\/2 +0 +\d+\/s +50 ms +22/);
    expect(lines.at(-2)).toBe('jorb done in 5.0 s: 200 jobs (178 done, 22 rejected), 40 jobs/s, 22 errors');
  });

  it('FORCE_COLOR colours the lines of a pipe, and still moves no cursor', async () => {
    const { stdout } = await piped([...RUN, '--no-ledger'], { FORCE_COLOR: '1' });
    expect(stdout).toMatch(/\x1b\[1mjorb\x1b\[22m 1\.0 s: 36\/200 jobs settled/);
    expect(stdout).not.toMatch(/\x1b\[\d*[A-HJKST]/);
    expect(stdout.replaceAll(/\x1b\[\d+m/g, '')).toContain('jorb done in 5.0 s: 200 jobs (178 done, 22 rejected), 40 jobs/s, 0 errors\n');
  });

  it('quiet: the summary line alone', async () => {
    const { stdout } = await piped([...RUN, '--no-ledger', '--quiet']);
    expect(stdout).toBe('jorb done in 5.0 s: 200 jobs (178 done, 22 rejected), 40 jobs/s, 0 errors\n');
  });
});
