// A reader of a live run (jorb report, a read-only JsonlStore) never calls it corrupt: it meets the
// writer mid-batch and mid-compaction, and reads again. The writer is a real second process.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonlStore } from '../src/index.js';
import { useTempDir } from './support/temp-dir.js';

const tempDir = useTempDir();

describe('reading a run a processor is writing', () => {
  it('every read-only load while the writer appends and compacts loads a run, never a corrupt file', async () => {
    const path = join(tempDir(), 'live.jsonl');
    const jobs = 200;
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/live-writer.ts', path, String(jobs), '400'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (data: Buffer) => String(data).includes('ready') && resolve());
      child.on('exit', (code) => reject(new Error(`the writer exited with ${code} before it was ready`)));
    });

    let reads = 0;
    let running = true;
    void exited.then(() => (running = false));
    const progress: number[] = [];
    while (running || reads < 40) {
      const run = await new JsonlStore<object, { lap: number }>(path, { readOnly: true, onWarning: () => undefined }).load();
      expect(run?.jobs.size).toBe(jobs);
      progress.push([...(run?.jobs.values() ?? [])].reduce((sum, job) => sum + job.jc.lap, 0));
      reads++;
    }
    expect(await exited).toBe(0);
    expect(reads).toBeGreaterThanOrEqual(40);
    // The reads saw the run move on, and never back.
    expect(progress.at(-1)).toBeGreaterThan(progress[0] ?? 0);
    expect(progress.every((laps, i) => i === 0 || laps >= (progress[i - 1] ?? 0))).toBe(true);
  }, 120_000);
});
