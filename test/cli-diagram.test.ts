// `jorb diagram`, run as a user runs it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jorb } from './support/run-jorb.js';
import { useTempDir } from './support/temp-dir.js';

const tempDir = useTempDir();

describe('jorb diagram', () => {
  it('prints Mermaid by default', async () => {
    const { code, stdout } = await jorb('diagram', 'examples/quickstart.ts');
    expect(code).toBe(0);
    expect(stdout).toContain('flowchart LR');
    expect(stdout).toContain('s1 -.->|"spawn"| s0');
  });

  it('prints DOT, and writes SVG rendered without a system Graphviz', async () => {
    const dot = await jorb('diagram', 'examples/quickstart.ts#crawl', '--format', 'dot');
    expect(dot.stdout).toMatch(/^digraph "crawl" \{/);
    const file = join(tempDir(), 'crawl.svg');
    const svg = await jorb('diagram', 'examples/quickstart.ts', '--format', 'svg', '-o', file);
    expect(svg).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(readFileSync(file, 'utf8')).toMatch(/<svg[\s\S]*>fetch&#45;failed<\/text>/);
  });

  it('shows a run\'s counts with --run', async () => {
    const dir = tempDir();
    const runFile = join(dir, 'q.jsonl');
    const demo = await import('node:child_process').then(({ execFileSync }) =>
      execFileSync(process.execPath, ['--import', 'tsx', 'examples/quickstart.ts', '--file', runFile, '--pages', '40'], { encoding: 'utf8' }),
    );
    expect(demo).toContain('Crawl complete');
    const { code, stdout } = await jorb('diagram', 'examples/quickstart.ts', '--run', runFile);
    expect(code).toBe(0);
    expect(stdout).toMatch(/done<br>\d+ completed/);
  });

  it.each([
    [['diagram', 'examples/quickstart.ts', '--format', 'png'], "error: option '--format <format>' argument 'png' is invalid. Allowed choices are mermaid, dot, svg."],
    [['diagram', 'examples/nope.ts'], 'jorb: examples/nope.ts: no such file'],
    [['diagram', 'examples/quickstart.ts', '--run', 'missing.jsonl'], 'jorb: missing.jsonl: no such run file'],
  ])('rejects bad input %j with one line on stderr and exit code 2', async (args, line) => {
    expect(await jorb(...args)).toEqual({ code: 2, stdout: '', stderr: `${line}\n` });
  });
});
