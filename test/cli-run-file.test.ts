// `jorb report` and `jorb redrive` on real run files, run as a user runs them.
import { spawn } from 'node:child_process';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonlStore, Processor, workflow } from '../src/index.js';
import { countStates } from './support/count-states.js';
import { jorb, jorbWith } from './support/run-jorb.js';
import { useTempDir } from './support/temp-dir.js';

type JC = { n: number };

const wf = workflow<object, object, JC>('orders')
  .state('fetch', { concurrency: 4 })
  .to('ship', 'fetch-failed')
  .spawns('ship')
  .exec(({ jc }) => {
    if (jc.n % 5 === 0) throw new Error(jc.n % 10 === 0 ? 'HTTP 503' : 'HTTP 404');
    return { state: jc.n % 7 === 0 ? 'fetch-failed' : 'ship', jc, ...(jc.n === 1 ? { kicks: [{ state: 'ship', jc: { n: 100 } }] } : {}) };
  })
  .state('ship')
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc }))
  .terminal('done', 'fetch-failed')
  .build();

const tempDir = useTempDir();

async function runFile(jobs = 30): Promise<string> {
  const path = join(tempDir(), 'orders.jsonl');
  const store = new JsonlStore<object, JC>(path);
  const run = wf.newRun('orders', {});
  await store.load();
  for (let n = 0; n < jobs; n++) run.add({ n }, 'fetch');
  await new Processor(wf, {}, { store }).exec(run);
  await store.close();
  return path;
}

describe('jorb report', () => {
  it('--workflow lists the states in the workflow\'s order', async () => {
    const path = await runFile();
    const { code, stdout } = await jorb('report', path, '--workflow', 'test/fixtures/orders-workflow.ts');
    expect(code).toBe(0);
    const states = (text: string) => [...text.slice(0, text.indexOf('Top errors')).matchAll(/^ {2}(\S+) +\d+/gm)].map((m) => m[1]);
    expect(states(stdout)).toEqual(['fetch', 'fetch-failed', 'done']); // as declared
    expect(states((await jorb('report', path)).stdout)).toEqual(['fetch', 'done', 'fetch-failed']); // as the jobs first reach them
  });

  it('summarises counts per state, top errors with examples, kicks and slow states', async () => {
    const path = await runFile();
    const { code, stdout } = await jorb('report', path);
    expect(code).toBe(0);
    expect(stdout).toContain('Run "orders": 31 jobs');
    expect(stdout).toMatch(/ {2}fetch +6 {2}\(6 failed, 6 with errors\)/);
    expect(stdout).toContain('3 × HTTP 503   e.g. job "0", "10", "20"');
    expect(stdout).toContain('3 × HTTP 404   e.g. job "5", "15", "25"');
    expect(stdout).toContain('Kicks: 30 jobs added, 1 kicked, deepest chain 1, largest family: job "1" with 1 descendant');
  });

  it('--json gives the same for machines', async () => {
    const path = await runFile();
    const { stdout } = await jorb('report', path, '--json');
    const report = JSON.parse(stdout) as { jobs: number; states: { state: string; jobs: number }[]; errors: { state: string; count: number }[] };
    expect(report.jobs).toBe(31);
    expect(report.states.find((s) => s.state === 'done')?.jobs).toBe(21);
    expect(report.errors).toEqual([expect.objectContaining({ state: 'fetch', count: 6 })]);
  });
});

describe('jorb redrive', () => {
  it('moves matching jobs, clears their failed mark and records the move in their history', async () => {
    const path = await runFile();
    const { code, stdout } = await jorb('redrive', path, '--from', 'fetch', '--to', 'fetch', '--where-error', 'HTTP 5\\d\\d');
    expect({ code, stdout }).toEqual({ code: 0, stdout: 'moved 3 jobs from fetch to fetch: "0", "10", "20"\n' });
    const run = await new JsonlStore<object, JC>(path, { readOnly: true }).load();
    expect(run?.jobs.get('10')).toMatchObject({ state: 'fetch', errors: { fetch: ['HTTP 503'] } });
    expect(run?.jobs.get('10')?.failed).toBeUndefined();
    expect(run?.jobs.get('10')?.history.at(-1)).toMatchObject({ state: 'fetch', note: 'redrive from fetch' });
    expect(run?.jobs.get('5')?.failed).toBe(true); // a 404 did not match
  });

  it('--dry-run lists what would move and writes nothing', async () => {
    const path = await runFile();
    const before = readFileSync(path, 'utf8');
    const { code, stdout } = await jorb('redrive', path, '--from', 'fetch-failed', '--to', 'fetch', '--dry-run');
    expect({ code, stdout }).toEqual({ code: 0, stdout: 'would move 4 jobs from fetch-failed to fetch: "7", "14", "21", "28" (dry run: nothing written)\n' });
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  it('checks states against a workflow with --workflow', async () => {
    const path = await runFile();
    const { code, stderr } = await jorb('redrive', path, '--from', 'fetch', '--to', 'nowhere', '--workflow', 'examples/quickstart.ts#crawl');
    expect({ code, stderr }).toEqual({ code: 2, stderr: 'jorb: --to "nowhere": unknown state; the states are fetch, parse, done, fetch-failed\n' });
  });

  it.each([
    [['--from', 'fetch', '--to', 'shipp'], 'jorb: --to "shipp": unknown state; the states are fetch, done, ship, fetch-failed (give --workflow <module> to name a state no job has reached)'],
    [['--from', 'fetch', '--to', 'ship', '--where-error', '(['], 'jorb: --where-error: not a valid regular expression: Invalid regular expression: /([/: Unterminated character class'],
    [['--from', 'fetch'], "error: required option '--to <state>' not specified"],
  ])('rejects bad input %j with one line on stderr, exit 2, file untouched', async (args, line) => {
    const path = await runFile();
    const before = readFileSync(path, 'utf8');
    const { code, stdout, stderr } = await jorb('redrive', path, ...args);
    expect({ code, stdout, stderr }).toEqual({ code: 2, stdout: '', stderr: `${line}\n` });
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  it('says so for a directory, or a file it may not read: one line, exit 2', async () => {
    const dir = tempDir();
    const shown = relative(process.cwd(), dir);
    expect(await jorb('report', dir)).toEqual({ code: 2, stdout: '', stderr: `jorb: ${shown}: is a directory, not a run file (it holds no .jsonl file)\n` });
    const path = await runFile();
    expect(await jorb('report', dir)).toEqual({ code: 2, stdout: '', stderr: `jorb: ${shown}: is a directory, not a run file: name one of its files (orders.jsonl)\n` });
    chmodSync(dir, 0o755);
    chmodSync(path, 0o000);
    // Root reads any file: the command then runs without the capabilities that let it (not as
    // another user, who may not be able to read the checkout it runs from).
    const asUser = process.getuid?.() === 0 ? { withoutFileOverride: true } : {};
    for (const command of ['report', 'seal']) {
      const { result } = await jorbWith(asUser, command, path);
      expect(result).toEqual({ code: 2, stdout: '', stderr: `jorb: ${relative(process.cwd(), path)}: cannot be read: permission denied\n` });
    }
  });

  it('rejects a corrupt or missing run file with one line and exit 2', async () => {
    const path = await runFile();
    writeFileSync(path, readFileSync(path, 'utf8').replace('"id":"3"', '"id":3'));
    expect(await jorb('report', path)).toMatchObject({ code: 2, stderr: `jorb: ${path}:6: a job needs a non-empty string "id", got 3\n` });
    expect(await jorb('report', join(tempDir(), 'nope.jsonl'))).toMatchObject({ code: 2, stderr: expect.stringMatching(/^jorb: .*nope\.jsonl: no such run file\n$/) as string });
  });

  it('refuses while a processor holds the run, except a dry run, which only reads', async () => {
    const path = await runFile();
    const store = new JsonlStore<object, JC>(path);
    await store.load(); // holds the lock, as a running processor does
    const { code, stderr } = await jorb('redrive', path, '--from', 'fetch', '--to', 'fetch');
    expect(code).toBe(2);
    expect(stderr).toMatch(new RegExp(`^jorb: .*orders\\.jsonl is in use by process ${process.pid} on .+: stop it before a redrive \\(--dry-run only reads: it may run now\\)\\n$`));
    const before = readFileSync(path, 'utf8');
    const dry = await jorb('redrive', path, '--from', 'fetch-failed', '--to', 'fetch', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(
      new RegExp(`^would move 4 jobs from fetch-failed to fetch: "7", "14", "21", "28" \\(dry run: nothing written; process ${process.pid} on .+ is running it: its jobs may have moved on since\\)\\n$`),
    );
    expect(readFileSync(path, 'utf8')).toBe(before);
    await store.close();
  });

  it('is atomic: killed mid-redrive, the file is as before or as after, never a mix', async () => {
    const path = await runFile(30);
    // Grow the run so that writing it back takes a while.
    const store = new JsonlStore<object, JC>(path);
    const big = await store.load();
    if (!big) throw new Error('no run');
    for (let n = 1000; n < 60_000; n++) big.add({ n }, 'fetch-failed');
    await store.checkpoint(big);
    await store.close();
    const before = readFileSync(path, 'utf8');
    const outcomes = new Set<string>();
    // From before the command starts writing to after it finished: every kill must leave a whole file.
    for (const delay of [40, 300, 450, 600, 800, 1000, 8000]) {
      writeFileSync(path, before);
      rmSync(`${path}.log`, { force: true }); // the previous kill's log belongs to the previous copy
      const child = spawn(process.execPath, ['bin/jorb.js', 'redrive', path, '--from', 'fetch-failed', '--to', 'fetch'], { stdio: 'ignore' });
      const timer = setTimeout(() => child.kill('SIGKILL'), delay);
      await new Promise((resolve) => child.on('exit', resolve));
      clearTimeout(timer);
      const loaded = await new JsonlStore<object, JC>(path, { readOnly: true }).load();
      if (!loaded) throw new Error('run file lost');
      const counts = countStates(loaded);
      const state = counts['fetch-failed'] === undefined ? 'after' : counts['fetch-failed'] === 59_004 ? 'before' : `a mix: ${JSON.stringify(counts)}`;
      outcomes.add(state);
      expect(loaded.jobs.size).toBe(59_031);
    }
    expect([...outcomes].sort()).toEqual(['after', 'before']);
  });
});

describe('jorb redrive --where-error', () => {
  // A job sent to a fail state has its errors under the state where they happened.
  const failing = workflow<object, object, JC>('failing')
    .state('fetch', { timeout: { ms: 50, failState: 'fetch-failed' }, retry: { attempts: 2, backoff: { initialMs: 0 }, then: 'fetch-failed' } })
    .to('done', 'fetch-failed')
    .exec(async ({ jc, signal }) => {
      if (jc.n % 4 === 0) await new Promise((resolve) => signal.addEventListener('abort', resolve)); // times out
      if (jc.n % 4 === 1) throw new Error('HTTP 503'); // twice: the retry's then
      if (jc.n % 4 === 2) return { state: 'fetch-failed', jc, error: 'HTTP 502' }; // the exec's own choice
      return { state: 'done', jc };
    })
    .terminal('done', 'fetch-failed')
    .build();

  async function failingRun(): Promise<string> {
    const path = join(tempDir(), 'failing.jsonl');
    const store = new JsonlStore<object, JC>(path);
    await store.load();
    const run = failing.newRun('failing', {});
    for (let n = 0; n < 8; n++) run.add({ n }, 'fetch');
    await new Processor(failing, {}, { store }).exec(run);
    await store.close();
    return path;
  }

  it('matches the errors that brought a job into a fail state: a timeout, a retry\'s then, an exec returning it', async () => {
    const path = await failingRun();
    expect(await jorb('redrive', path, '--from', 'fetch-failed', '--to', 'fetch', '--where-error', 'HTTP 5\\d\\d', '--dry-run')).toEqual({
      code: 0,
      stdout: 'would move 4 jobs from fetch-failed to fetch: "1", "2", "5", "6" (dry run: nothing written)\n',
      stderr: '',
    });
    expect(await jorb('redrive', path, '--from', 'fetch-failed', '--to', 'fetch', '--where-error', '^timed out')).toEqual({
      code: 0,
      stdout: 'moved 2 jobs from fetch-failed to fetch: "0", "4"\n',
      stderr: '',
    });
  });

  it('moves jobs with the example of its --help, which says which errors it matches', async () => {
    const help = (await jorb('redrive', '--help')).stdout;
    expect(help.replace(/\s+/g, ' ')).toContain('recorded in --from or in the state they came from into --from');
    const example = /jorb redrive runs\/crawl\.jsonl (--from fetch-failed --to fetch --where-error) '(HTTP 5\\d\\d)' (--dry-run)/.exec(help);
    expect(example).not.toBeNull();
    const [, flags = '', pattern = '', dryRun = ''] = example ?? [];
    const { code, stdout } = await jorb('redrive', await failingRun(), ...flags.split(' '), pattern, dryRun);
    expect({ code, stdout }).toEqual({ code: 0, stdout: 'would move 4 jobs from fetch-failed to fetch: "1", "2", "5", "6" (dry run: nothing written)\n' });
  });
});

describe('jorb seal', () => {
  it('accepts a hand edit: the edited file is refused until sealed, then loads as edited', async () => {
    const path = await runFile();
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.replaceAll('"state":"fetch-failed"', '"state":"fetch"'));
    const refused = await jorb('report', path);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/the checksum does not match .+ if you edited it, `jorb seal .+orders\.jsonl` accepts the edit\n$/);

    const sealed = await jorb('seal', path);
    expect(sealed).toMatchObject({ code: 0, stderr: '' });
    expect(sealed.stdout).toMatch(/^accepted: .+orders\.jsonl:\d+: the checksum does not match .+; accepted as edited\n.*orders\.jsonl: sealed, 31 jobs\n$/);
    const loaded = await new JsonlStore<object, JC>(path, { readOnly: true }).load();
    expect(loaded && countStates(loaded)['fetch-failed']).toBeUndefined();
    expect((await jorb('report', path)).code).toBe(0);
  });

  it('refuses a file whose structure is broken, with one line and exit 2, and leaves it', async () => {
    const path = await runFile();
    const text = readFileSync(path, 'utf8').replace('"id":"3"', '"id":3');
    writeFileSync(path, text);
    expect(await jorb('seal', path)).toMatchObject({ code: 2, stderr: `jorb: ${path}:6: a job needs a non-empty string "id", got 3\n` });
    expect(readFileSync(path, 'utf8')).toBe(text);
  });
});
