// `jorb check` and `jorb lint`, run as a user runs them: the binary in a subprocess.
import { describe, expect, it } from 'vitest';
import { jorb } from './support/run-jorb.js';

describe('jorb check', () => {
  it('passes a clean module with a one-line summary and exit code 0', async () => {
    expect(await jorb('check', 'examples/quickstart.ts')).toEqual({ code: 0, stdout: '1 workflow, 4 states: no findings\n', stderr: '' });
  });

  it('reports a type error as file:line:col with the compiler message, exit code 1', async () => {
    const { code, stdout } = await jorb('check', 'test/fixtures/type-error.ts');
    expect(code).toBe(1);
    expect(stdout).toBe(`test/fixtures/type-error.ts:9:24: error TS2322: Type '"prase"' is not assignable to type '"parse"'.\n`);
  });

  it('reports lint findings at the state declarations, exit code 1', async () => {
    const { code, stdout } = await jorb('check', 'test/fixtures/lint-defects.ts');
    expect(code).toBe(1);
    expect(stdout.trim().split('\n')).toEqual([
      'test/fixtures/lint-defects.ts:10:4: error jorb-lint(spawn-cycle): defects:work: kicks jobs into "start", which leads back here: jobs may kick jobs without end; if the data bounds it (a tree, kick keys), declare the state with { recursive: true }',
      'test/fixtures/lint-defects.ts:14:4: error jorb-lint(self-loop-no-exit): defects:spin: its only target is itself: a job here can never leave',
      'test/fixtures/lint-defects.ts:17:4: error jorb-lint(no-terminal-path): defects:limbo: no path leads from here to a terminal state: its jobs can never finish',
      'test/fixtures/lint-defects.ts:20:4: error jorb-lint(no-terminal-path): defects:limbo-too: no path leads from here to a terminal state: its jobs can never finish',
      'test/fixtures/lint-defects.ts:23:4: error jorb-lint(unreachable): defects:orphan: no path leads here from the entry state "start"',
    ]);
  });

  it('speaks GitHub annotations with --format github', async () => {
    const { code, stdout } = await jorb('check', 'test/fixtures/type-error.ts', '--format', 'github');
    expect(code).toBe(1);
    expect(stdout).toBe(`::error file=test/fixtures/type-error.ts,line=9,col=24,title=TS2322::Type '"prase"' is not assignable to type '"parse"'.\n`);
  });

  it.each([
    [['check', 'test/fixtures/missing.ts'], 'jorb: test/fixtures/missing.ts: no such file'],
    [['check', 'test/fixtures/not-a-workflow.ts'], 'jorb: test/fixtures/not-a-workflow.ts: the module exports no built workflow'],
    [['check', 'examples/kicks.ts#nope'], 'jorb: examples/kicks.ts: the module has no export "nope" (it exports runWalk, sampleTree, walk)'],
    [['check', 'examples/kicks.ts#sampleTree'], 'jorb: examples/kicks.ts: the export "sampleTree" is not a built workflow (call .build() on the builder)'],
    [['lint', 'examples/kicks.ts', '--entry', 'nope'], 'jorb: lint: entry state "nope" is not a state of workflow "walk"'],
    [['check'], "error: missing required argument 'module'"],
  ])('rejects bad input %j with one line on stderr and exit code 2', async (args, line) => {
    const { code, stdout, stderr } = await jorb(...args);
    expect({ code, stdout, stderr }).toEqual({ code: 2, stdout: '', stderr: `${line}\n` });
  });
});

describe('jorb lint', () => {
  it('finds nothing in the examples', async () => {
    expect(await jorb('lint', 'examples/quickstart.ts')).toEqual({ code: 0, stdout: '1 workflow, 4 states: no findings\n', stderr: '' });
    expect(await jorb('lint', 'examples/kicks.ts#walk')).toEqual({ code: 0, stdout: '1 workflow, 4 states: no findings\n', stderr: '' });
  });

  it('has --help with examples', async () => {
    const { code, stdout } = await jorb('lint', '--help');
    expect(code).toBe(0);
    expect(stdout).toContain('jorb lint examples/quickstart.ts');
  });
});
