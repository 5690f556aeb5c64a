// Every example runs end to end, as a newcomer runs it.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useTempDir } from './support/temp-dir.js';
import { runWalk, sampleTree } from '../examples/kicks.js';
import { runQuickstart } from '../examples/quickstart.js';

const run = promisify(execFile);

describe('examples/quickstart.ts', () => {
  it('crawls every page of the fake site: each ends done, or fetch-failed after its errors', async () => {
    const summary = await runQuickstart({ pages: 120 });
    expect(summary.outcome).toBe('complete');
    expect(summary.jobs).toBe(120); // one job per page: kick keys drop links to pages already seen
    expect((summary.byState['done'] ?? 0) + (summary.byState['fetch-failed'] ?? 0)).toBe(summary.jobs);
    expect(summary.byState['done']).toBeGreaterThan(100);
    expect(summary.requests).toBeGreaterThan(summary.jobs); // some 503s were retried
  });

  const tempDir = useTempDir();

  it('runs as `npm run demo` does and prints progress and a summary; run again, it says the crawl is complete', async () => {
    const file = join(tempDir(), 'quickstart.jsonl');
    const demo = ['--import', 'tsx', 'examples/quickstart.ts', '--file', file, '--pages', '60'];
    const { stdout } = await run(process.execPath, demo, { timeout: 60_000 });
    expect(stdout).toContain('Crawling a fake site of 60 pages');
    expect(stdout).toContain(`Saving the run in ${file} (Ctrl-C stops it; run again to continue).`);
    expect(stdout).toMatch(/fetch\s+\|/);
    expect(stdout).toMatch(/Crawl complete in [\d.]+ s/);
    expect(stdout).toMatch(/jobs: 60 \(/);
    const { stdout: again } = await run(process.execPath, demo, { timeout: 60_000 });
    expect(again).toMatch(new RegExp(`^The crawl saved in ${file.replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&')} is already complete: 60 jobs \\(\\d+ done(, \\d+ fetch-failed)?\\)\\.\\nRun the demo with --fresh to crawl again\\.\\n$`));
  });

  it('explains its flags: --help, and a one-line error for a bad one', async () => {
    const demo = ['--import', 'tsx', 'examples/quickstart.ts'];
    const { stdout } = await run(process.execPath, [...demo, '--help'], { timeout: 60_000 });
    expect(stdout).toContain('--pages <n>        pages of the fake site (default 300: about 10 s)');
    for (const [flags, message] of [
      [['--pages', 'abc'], 'demo: --pages must be a whole number from 1 up, got "abc" (--help lists the flags)\n'],
      [['--speed'], "demo: Unknown option '--speed' (--help lists the flags)\n"],
    ] as const) {
      const failed = await run(process.execPath, [...demo, ...flags], { timeout: 60_000 }).then(
        () => undefined,
        (e: unknown) => e as { code: number; stderr: string },
      );
      expect(failed).toMatchObject({ code: 2, stderr: message });
    }
  });

  it('stops on Ctrl-C with the run saved, continues where it stopped, and starts over with --fresh', async () => {
    const file = join(tempDir(), 'quickstart.jsonl');
    const args = ['--import', 'tsx', 'examples/quickstart.ts', '--file', file, '--pages', '3000', '--latency', '5-40'];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let interrupted = false;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (interrupted || !out.includes('Saving the run')) return;
      interrupted = true; // once: a second Ctrl-C is a hard stop
      setTimeout(() => child.kill('SIGINT'), 400);
    });
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(out).toContain('Stopping: letting running requests finish and saving the run…');
    expect(out).toContain('Crawl stopped');
    expect(out).toContain(`saved in ${file}: run the demo again to continue where it stopped`);
    expect(existsSync(file)).toBe(true);
    expect(existsSync(`${file}.log`)).toBe(false); // closed cleanly: one snapshot file

    const { stdout: again } = await run(process.execPath, args, { timeout: 60_000 });
    expect(again).toContain(`Continuing the run saved in ${file}.`);
    expect(again).toMatch(/Crawl complete/);
    // Which pages fail depends on where the crawl was stopped (the fake site's randomness restarts
    // with the process), and a page that fails hides the pages only it links to: so the total is
    // not fixed. What must hold: nothing from the stopped run is lost, and every job is finished.
    const jobsIn = (text: string) => Number(/jobs: (\d+) \(/.exec(text)?.[1] ?? Number.NaN);
    expect(jobsIn(again)).toBeGreaterThanOrEqual(jobsIn(out));
    expect(jobsIn(again)).toBeGreaterThan(2900);
    expect(again).toMatch(/jobs: \d+ \(\d+ (done|fetch-failed)(, \d+ (done|fetch-failed))?\)/);

    const { stdout: fresh } = await run(process.execPath, [...args, '--fresh', '--pages', '50'], { timeout: 60_000 });
    expect(fresh).toContain(`Saving the run in ${file}`);
    expect(fresh).toMatch(/jobs: 50 \(/);
  });
});

describe('examples/kicks.ts', () => {
  it('walks the tree through kicks, with ids that show the family tree', async () => {
    const { sizes, ids } = await runWalk(sampleTree);
    expect(sizes).toEqual({ '/src/index.ts': 1200, '/src/engine/run.ts': 3400, '/src/engine/processor.ts': 5100, '/docs/README.md': 800, '/package.json': 600 });
    expect(ids['/']).toBe('0');
    expect(ids['/src']).toBe('0->0');
    expect(ids['/src/engine']).toBe('0->0->1');
    expect(ids['/src/engine/processor.ts']).toBe('0->0->1->1');
  });

  it('runs from the command line', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/kicks.ts'], { timeout: 60_000 });
    expect(stdout).toContain('total: 11100 bytes in 5 files');
  });
});
