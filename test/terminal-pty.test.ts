/* eslint-disable no-control-regex -- these tests match the escape codes a terminal receives */
// progressBars() on a real terminal: a child process draws a run on process.stdout under a
// pseudo-terminal (util-linux `script`), on the real clock.
import { describe, expect, it } from 'vitest';
import { hasScript, inPty } from './support/pty.js';

const FRAME_START = /\x1b\[(\d+)F/g; // cursor to the start of the line n up: a repaint
const SGR = /\x1b\[\d+(;\d+)*m/;

/** The frames of a run: the first, and one per repaint. */
const framesOf = (out: string) => 1 + [...out.matchAll(FRAME_START)].length;
/** The run's length as its summary line says (`jorb done in 1.3 s: …`), in ms. */
function runMs(out: string): number {
  const m = /jorb(?:\x1b\[22m)? done in ([\d.]+) (ms|s):/.exec(out);
  if (m === null) throw new Error(`no summary line in ${JSON.stringify(out.slice(-300))}`);
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
}

describe.skipIf(!hasScript)('progressBars on a pseudo-terminal', () => {
  it('repaints in place (cursor up, erase), at most 10 frames a second, in colour, and ends with the last frame and a summary', async () => {
    const { stdout, code } = await inPty(['--jobs', '120', '--ms', '15', '--fail', '10']);
    expect(code).toBe(0);
    const frames = framesOf(stdout);
    const ms = runMs(stdout);
    expect(ms).toBeGreaterThan(400); // 120 jobs, 15 ms each through 2 slots of check: about 1 s
    expect(frames).toBeGreaterThanOrEqual(3);
    // a frame at most every 100 ms, and the last one at once when the run ends
    expect(frames).toBeLessThanOrEqual(Math.floor(ms / 100) + 2);
    for (const m of stdout.matchAll(FRAME_START)) expect(Number(m[1])).toBe(6); // header, titles, 4 states
    expect(stdout).toContain('\x1b[K'); // each line erased to its end
    expect(stdout).toMatch(SGR);
    const plain = stdout.replaceAll(/\x1b\[[\d;]*[A-Za-z]/g, '');
    expect(plain).toMatch(/^fetch +\|/m);
    expect(plain).toMatch(/done +\|▓+ *\| +108 /);
    expect(plain).toMatch(/rejected +\|▓* *\| +12 /);
    expect(plain).toMatch(/jorb done in [\d.]+ m?s: 120 jobs \(108 done, 12 rejected\), [\d.]+ jobs\/s, 12 errors\n$/); // the ledger counts the rejections as errors
  });

  it('NO_COLOR: still repaints in place, without a colour code', async () => {
    const { stdout } = await inPty(['--jobs', '30', '--ms', '10'], { NO_COLOR: '1' });
    expect(stdout).toMatch(FRAME_START);
    expect(stdout).not.toMatch(SGR);
    expect(stdout).toMatch(/jorb done in [\d.]+ m?s: 30 jobs \(30 done\)/);
  });

  it('CI set: a terminal is written to as a log (no escape codes at all)', async () => {
    const { stdout } = await inPty(['--jobs', '30', '--ms', '10'], { CI: 'true' });
    expect(stdout).not.toContain('\x1b');
    expect(stdout).toMatch(/^jorb 0 ms: 0\/30 jobs settled[^\n]*; fetch 26 waiting, 4(\/4)? in flight/);
    expect(stdout).toMatch(/jorb done in [\d.]+ m?s: 30 jobs \(30 done\), [\d.]+ jobs\/s, 0 errors\n$/);
  });

  it('quiet: only the summary line, even on a terminal', async () => {
    const { stdout } = await inPty(['--jobs', '30', '--ms', '10', '--quiet']);
    expect(stdout.replaceAll(/\x1b\[[\d;]*m/g, '')).toMatch(/^jorb done in [\d.]+ m?s: 30 jobs \(30 done\), [\d.]+ jobs\/s, 0 errors\n$/);
  });
});
