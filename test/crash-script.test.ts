// `npm run crash` itself (scripts/crash.ts): a small campaign with a fixed seed passes, prints its
// figures and PASS lines, and ends with one JSON line; and a campaign whose children lie (they
// acknowledge batches they never wrote: the checker's self-test) fails with exit code 1, naming
// the seed and the command that replays it.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const SEED = 7;

function crash(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/crash.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function lastJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] as string) as Record<string, unknown>;
}

describe('npm run crash', () => {
  it(`passes with --kills 3 --seed ${SEED}, printing its figures and a final JSON line`, async () => {
    const { code, stdout, stderr } = await crash(['--kills', '3', '--seed', String(SEED), '--jobs', '150']);
    expect(code, `npm run crash -- --kills 3 --seed ${SEED} --jobs 150 failed:\n${stdout}\n${stderr}`).toBe(0);
    for (const figure of ['kills:', 'lost jobs:', 'duplicate children:', 'transitions applied twice:', 'time to resume:', 'lock races:', 'full disk:']) expect(stdout).toContain(figure);
    expect(stdout).toContain(`PASS crash campaign, seed ${SEED}`);
    expect(stdout).not.toMatch(/^FAIL/m);
    expect(lastJson(stdout)).toMatchObject({ passed: true, seed: SEED, kills: 3, lostJobs: 0, duplicateChildren: 0, appliedTwice: 0, notSettled: 0, failures: 0 });
  }, 90_000);

  it('fails, naming the seed and the replay command, when the children acknowledge what they never wrote', async () => {
    const { code, stdout } = await crash(['--kills', '2', '--seed', String(SEED), '--jobs', '150', '--sabotage']);
    // A failed round keeps its files for inspection; these failures were the point.
    for (const [, kept] of stdout.matchAll(/what each start did are in (\S+)/g)) if (kept?.includes('jorb-crash-failed-')) rmSync(kept, { recursive: true, force: true });
    expect(code, stdout).toBe(1);
    expect(stdout).toMatch(/^FAIL no acknowledged job or transition lost$/m);
    expect(stdout).toContain(`FAIL crash campaign, seed ${SEED}; replay with: npm run crash -- --kills 2 --seed ${SEED} --jobs 150 --sabotage`);
    const figures = lastJson(stdout);
    expect(figures).toMatchObject({ passed: false, seed: SEED });
    expect(figures['lostJobs']).toBeGreaterThan(0);
  }, 90_000);
});
