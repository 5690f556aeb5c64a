// Every example runs end to end, as a newcomer runs it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
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

  it('runs as `npm run demo` does and prints progress and a summary', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/quickstart.ts'], { timeout: 60_000 });
    expect(stdout).toContain('Crawling a fake site of 300 pages');
    expect(stdout).toMatch(/fetch\s+\|/);
    expect(stdout).toMatch(/Crawl complete in [\d.]+ s/);
    expect(stdout).toMatch(/jobs: 300 \(\d+ done(, \d+ fetch-failed)?\)/);
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
