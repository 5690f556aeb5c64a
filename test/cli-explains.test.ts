// The CLI explains what went wrong with a module (issue #17, "The first hour"): every problem a
// workflow's `.build()` reported, at its state's declaration, with the type error where there is
// one; a module that throws, does not parse, never finishes importing or leaves a server running;
// exit 1 for findings, 2 for bad input, never 0 on failure. Run as a user runs it: a subprocess.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jorb, jorbWith } from './support/run-jorb.js';
import { useTempDir } from './support/temp-dir.js';

const tempDir = useTempDir();

const BACKFILL_PROBLEMS = [
  'test/fixtures/build-throws.ts:8:4: error jorb-build: backfill: State "fetch": concurrency must be a whole number from 1 up, got 0',
  'test/fixtures/build-throws.ts:8:4: error jorb-build: backfill: State "fetch" targets "parse", which is never declared with .state() or .terminal()',
  'test/fixtures/build-throws.ts:11:4: error jorb-build: backfill: State "store" targets "done", which is never declared with .state() or .terminal()',
];

/** Well under the 60 s a command may take in these tests; before the fix these hung for good. */
const PROMPTLY_MS = 20_000;

describe('a module whose .build() throws', () => {
  it('jorb lint lists every problem at its state, exit 1', async () => {
    const { code, stdout, stderr } = await jorb('lint', 'test/fixtures/build-throws.ts');
    expect({ code, stderr }).toEqual({ code: 1, stderr: '' });
    expect(stdout.trimEnd().split('\n')).toEqual(BACKFILL_PROBLEMS);
  });

  it('jorb check type-checks it all the same: the type error, then the problems, exit 1', async () => {
    const { code, stdout, stderr } = await jorb('check', 'test/fixtures/build-throws.ts');
    expect({ code, stderr }).toEqual({ code: 1, stderr: '' });
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^test\/fixtures\/build-throws\.ts:\d+:\d+: error TS\d+: /);
    expect(stdout).toContain("'parse'"); // the type error names the undeclared state
    expect(lines.slice(-3)).toEqual(BACKFILL_PROBLEMS);
  });

  it('jorb diagram has nothing to draw: the problems on stderr, exit 1', async () => {
    expect(await jorb('diagram', 'test/fixtures/build-throws.ts')).toEqual({ code: 1, stdout: '', stderr: `${BACKFILL_PROBLEMS.join('\n')}\n` });
  });

  it('speaks GitHub annotations with --format github', async () => {
    const { code, stdout } = await jorb('lint', 'test/fixtures/build-throws.ts', '--format', 'github');
    expect(code).toBe(1);
    expect(stdout.split('\n')[0]).toBe(
      '::error file=test/fixtures/build-throws.ts,line=8,col=4,title=jorb build::backfill: State "fetch": concurrency must be a whole number from 1 up, got 0',
    );
  });

  it('points a duplicate declaration at the second one', async () => {
    expect(await jorb('lint', 'test/fixtures/duplicate-state.ts')).toEqual({
      code: 1,
      stdout: 'test/fixtures/duplicate-state.ts:11:4: error jorb-build: twice: State "work" is declared twice\n',
      stderr: '',
    });
  });
});

describe('a module that cannot be imported', () => {
  it.each([
    [['lint', 'test/fixtures/import-throws.ts'], 'jorb: test/fixtures/import-throws.ts:12:67: could not load the module: JORB_FIXTURE_DATABASE_URL is not set'],
    [['diagram', 'test/fixtures/syntax-error.ts'], 'jorb: test/fixtures/syntax-error.ts:2:23: could not load the module: Unexpected ";"'],
  ])('%j: one line at the line that threw, exit 2', async (args, line) => {
    expect(await jorb(...args)).toEqual({ code: 2, stdout: '', stderr: `${line}\n` });
  });

  it('a directory: one line naming the modules in it, exit 2', async () => {
    const dir = tempDir();
    for (const name of ['crawl.ts', 'backfill.js', 'notes.md']) writeFileSync(join(dir, name), '');
    expect(await jorb('lint', dir)).toEqual({ code: 2, stdout: '', stderr: `jorb: ${relative(process.cwd(), dir)}: is a directory, not a module: name one of its files (backfill.js, crawl.ts)\n` });
  });

  it('jorb check still prints the type errors that may explain it, then exits 2', async () => {
    const { code, stdout, stderr } = await jorb('check', 'test/fixtures/syntax-error.ts');
    expect(code).toBe(2);
    expect(stdout).toMatch(/^test\/fixtures\/syntax-error\.ts:2:23: error TS1109: Expression expected\.\n$/);
    expect(stderr).toBe('jorb: test/fixtures/syntax-error.ts:2:23: could not load the module: Unexpected ";"\n');
  });
});

describe("a module's top-level code", () => {
  it('a server it starts neither keeps jorb running nor changes its exit code', async () => {
    const clean = await jorbWith({}, 'lint', 'test/fixtures/starts-server.ts');
    expect(clean.result).toEqual({ code: 0, stdout: '1 workflow, 2 states: no findings\n', stderr: '' });
    expect(clean.ms).toBeLessThan(PROMPTLY_MS);
    const bad = await jorbWith({}, 'lint', 'test/fixtures/starts-server.ts#nope');
    expect(bad.result).toEqual({ code: 2, stdout: '', stderr: 'jorb: test/fixtures/starts-server.ts: the module has no export "nope" (it exports served)\n' });
    expect(bad.ms).toBeLessThan(PROMPTLY_MS);
    const checked = await jorbWith({}, 'check', 'test/fixtures/starts-server.ts');
    expect(checked.result).toEqual({ code: 0, stdout: '1 workflow, 2 states: no findings\n', stderr: '' });
  });

  it.each([
    ['an await that never settles', 'lint', 'test/fixtures/hangs.ts'],
    ['an unguarded main (a back-fill that runs for hours)', 'diagram', 'test/fixtures/unguarded-main.ts'],
  ])('%s: given up after the import timeout, exit 2', async (_what, command, file) => {
    const { result, ms } = await jorbWith({ env: { JORB_IMPORT_TIMEOUT_MS: '1500' } }, command, file);
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr:
        `jorb: ${file}: importing the module did not finish within 1500ms: its top-level code is still running ` +
        '(a main that starts when imported, or a top-level await that never settles). ' +
        'Guard the main with `if (import.meta.url === pathToFileURL(process.argv[1]).href)`; JORB_IMPORT_TIMEOUT_MS sets the limit\n',
    });
    expect(ms).toBeGreaterThanOrEqual(1500);
    expect(ms).toBeLessThan(PROMPTLY_MS);
  });

  it('an error thrown later by code it left running: exit 2, said as such', async () => {
    expect(await jorb('lint', 'test/fixtures/throws-later.ts')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'jorb: an uncaught error, thrown by code test/fixtures/throws-later.ts left running: Error: lost the connection to the queue (at test/fixtures/throws-later.ts:13:9)\n',
    });
  });

  it('an unguarded main that ends in process.exit(0) does not decide the exit code: exit 2', async () => {
    expect(await jorb('lint', 'test/fixtures/exits.ts')).toEqual({
      code: 2,
      stdout: 'back-fill finished\n',
      stderr: "jorb: test/fixtures/exits.ts:12:9: could not load the module: process.exit(0) was called, which jorb refuses: guard the module's main (jorb lint --help shows how)\n",
    });
  });

  it('refuses a timeout that is not a number', async () => {
    expect((await jorbWith({ env: { JORB_IMPORT_TIMEOUT_MS: 'soon' } }, 'lint', 'examples/quickstart.ts')).result).toEqual({
      code: 2,
      stdout: '',
      stderr: 'jorb: JORB_IMPORT_TIMEOUT_MS=soon: expected a number of milliseconds above 0\n',
    });
  });
});

describe('jorb --version', () => {
  it("prints the package's version", async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(await jorb('--version')).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect(await jorb('-v')).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});
