// `jorb diagram --run <file> --job <id>`: one job's path through the states, with when it entered
// each and how long it stayed, and the children it kicked (issue #19's instance view).
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { JsonlStore } from '../src/index.js';
import { runWithFakeClock } from '../src/testing/index.js';
import { clock, type JC, START, wf } from './fixtures/job-path-workflow.js';
import { jorb } from './support/run-jorb.js';
import { useTempDir } from './support/temp-dir.js';

const tempDir = useTempDir();

describe('jorb diagram --job', () => {
  it('draws a job\'s visits with their start times and durations, the children it kicked from the visit that kicked them, and the join that waited for them', async () => {
    const file = join(tempDir(), 'paths.jsonl');
    const store = new JsonlStore<object, JC>(file, { fsync: false });
    await store.load();
    vi.useFakeTimers({ toFake: ['Date'], now: START }); // run.add stamps the job with Date.now()
    const run = wf.newRun('paths', {}).add({ n: 0 }, 'plan', { id: 'p' });
    vi.useRealTimers();
    const { result } = await runWithFakeClock(wf, {}, run, { store, clock });
    await store.close();
    expect(result.outcome).toBe('complete');

    const mermaid = await jorb('diagram', 'test/fixtures/job-path-workflow.ts#wf', '--run', file, '--job', 'p');
    expect(mermaid.stderr).toBe('');
    expect(mermaid.stdout).toContain('title: "job p"');
    expect(mermaid.stdout).toMatch(/v0\["plan<br>2026-12-01T12#58;00#58;00\.000Z<br>1\.5s"\]/);
    // The join waited 40 ms for the children, then its exec took 250 ms.
    expect(mermaid.stdout).toMatch(/v1\["check \(join\)<br>2026-12-01T12#58;00#58;01\.500Z<br>290ms"\]/);
    expect(mermaid.stdout).toMatch(/v2\["done<br>2026-12-01T12#58;00#58;01\.790Z<br>here now"\]/);
    expect(mermaid.stdout).toContain('v0 --> v1');
    expect(mermaid.stdout).toContain('c0["p-#gt;0<br>done"]');
    expect(mermaid.stdout).toContain('v0 -.->|"kicked"| c0');
    expect(mermaid.stdout).toContain('v0 -.->|"kicked"| c1');
    expect(mermaid.stdout).toContain('c0 -.->|"joined"| v1');
    expect(mermaid.stdout).toContain('c1 -.->|"joined"| v1');

    const dot = await jorb('diagram', 'test/fixtures/job-path-workflow.ts#wf', '--run', file, '--job', 'p->1', '--format', 'dot');
    expect(dot.stdout).toMatch(/^digraph "job p->1" \{/);
    expect(dot.stdout).toContain('v0 [label="work\\n2026-12-01T12:00:01.500Z\\n40ms"];');

    expect(await jorb('diagram', 'test/fixtures/job-path-workflow.ts#wf', '--run', file, '--job', 'nobody')).toEqual({ code: 2, stdout: '', stderr: `jorb: ${file}: run "paths" has no job "nobody"\n` });
    expect(await jorb('diagram', 'test/fixtures/job-path-workflow.ts#wf', '--job', 'p')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'jorb: --job draws a job of a run: give the run with --run <run file | postgres url>\n',
    });
  });
});

