// Using jorb-ts from your own project, as the README says: pack the package (its prepare script
// builds dist/), install the tarball into a fresh project, and compile and run a workflow there
// with the project's own TypeScript settings (no @types/node: the types must not need it).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '..');
const root = mkdtempSync(join(tmpdir(), 'jorb-package-'));
const project = join(root, 'app');
let tarball = '';

const run = (command: string, args: string[], cwd: string) => execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 });

beforeAll(() => {
  const packed = run('npm', ['pack', '--pack-destination', root, '--silent'], repo).trim().split('\n').at(-1) ?? '';
  tarball = join(root, packed);
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  run('npm', ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline'], project);
}, 300_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('jorb-ts installed from its tarball into a project of its own', () => {
  it('ships dist with its types, the CLI, the README and the LICENSE, and no source maps pointing nowhere', () => {
    const files = run('tar', ['-tzf', tarball], root).split('\n');
    expect(files).toEqual(expect.arrayContaining(['package/dist/src/index.js', 'package/dist/src/index.d.ts', 'package/bin/jorb.js', 'package/README.md', 'package/LICENSE']));
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files.some((f) => f.startsWith('package/test/') || f.startsWith('package/src/'))).toBe(false);
  });

  it('compiles a workflow with the minimal tsconfig of the README and runs it', () => {
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'out', skipLibCheck: false } }),
    );
    writeFileSync(
      join(project, 'main.ts'),
      `import { workflow, Processor, MemoryStore } from 'jorb-ts';
import { FakeClock } from 'jorb-ts/testing';

type JC = { n: number };
const double = workflow<{}, {}, JC>('double')
  .state('double', { concurrency: 2 })
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc: { n: jc.n * 2 } }))
  .terminal('done')
  .build();

const run = double.newRun('r', {});
for (let n = 1; n <= 3; n++) run.add({ n }, 'double');
const result = await new Processor(double, {}, { store: new MemoryStore(), clock: new FakeClock() }).exec(run);
console.log(JSON.stringify({ result, jcs: [...run.jobs.values()].map((j) => j.jc.n) }));
`,
    );
    run(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', project], project);
    const output = run(process.execPath, [join(project, 'out/main.js')], project);
    expect(JSON.parse(output)).toEqual({ result: { outcome: 'complete', transitions: 3, failed: 0 }, jcs: [2, 4, 6] });
  });

  it('runs the jorb command from the installed package', () => {
    const version = run(process.execPath, [join(project, 'node_modules/jorb-ts/bin/jorb.js'), '--help'], project);
    expect(version).toContain('Usage: jorb');
  });

  it('scans a big log on a worker thread from the built package (its worker file ships in dist)', () => {
    // The size threshold is set to 0 through the reader itself, so a small run takes the worker path.
    writeFileSync(
      join(project, 'worker-read.mjs'),
      `import { JsonlStore, Run } from 'jorb-ts';
import { readRunFiles } from './node_modules/jorb-ts/dist/src/store/jsonl-reader.js';
const path = new URL('./worker-read.jsonl', import.meta.url).pathname;
const run = new Run('w', {});
for (let i = 0; i < 3; i++) run.add({ n: i }, 'a');
const store = new JsonlStore(path, { fsync: false });
await store.load();
await store.checkpoint(run);
await store.append([{ type: 'transition', id: '1', from: 'a', to: 'b', jc: { n: 10 }, at: 1 }]);
let by = 'none';
const read = await readRunFiles(path, path + '.log', { trustEdits: false, warn: () => {}, parallelLogBytes: 0, logScannedBy: (b, e) => (by = e === undefined ? b : String(e)) });
console.log(JSON.stringify({ by, jobs: [...read.run.jobs.values()].map((j) => j.state + ':' + j.jc.n) }));
await store.close();
`,
    );
    const output = run(process.execPath, [join(project, 'worker-read.mjs')], project);
    expect(JSON.parse(output)).toEqual({ by: 'worker', jobs: ['a:0', 'b:10', 'a:2'] });
  });

  it('runs a state in worker threads from the built package (its thread entry ships in dist)', () => {
    writeFileSync(join(project, 'square.mjs'), "export default ({ jc }) => ({ state: 'done', jc: { ...jc, sq: jc.n * jc.n } });\n");
    writeFileSync(
      join(project, 'threads.mjs'),
      `import { inThreads, workflow, Processor } from 'jorb-ts';
const wf = workflow('sq').state('square', { concurrency: 2 }).to('done')
  .exec(inThreads(new URL('./square.mjs', import.meta.url), { threads: 2 })).terminal('done').build();
const run = wf.newRun('r', {});
for (let n = 1; n <= 4; n++) run.add({ n }, 'square');
const result = await new Processor(wf, {}).exec(run);
console.log(JSON.stringify({ result, sq: [...run.jobs.values()].map((j) => j.jc.sq) }));
`,
    );
    // It ends by itself: idle threads keep no process alive.
    expect(JSON.parse(run(process.execPath, [join(project, 'threads.mjs')], project))).toEqual({ result: { outcome: 'complete', transitions: 4, failed: 0 }, sq: [1, 4, 9, 16] });
  });

  it('a CommonJS project can require it too (Node 20.19 and later load an ES module without top-level await)', () => {
    writeFileSync(join(project, 'main.cjs'), "const { workflow } = require('jorb-ts');\nconsole.log(typeof workflow);\n");
    expect(run(process.execPath, [join(project, 'main.cjs')], project).trim()).toBe('function');
    expect(readdirSync(join(project, 'node_modules/jorb-ts/dist/src')).length).toBeGreaterThan(0);
  });
});
