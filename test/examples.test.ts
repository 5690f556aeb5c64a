// Every example runs end to end, as a newcomer runs it.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../src/index.js';
import { FakeClock } from '../src/testing/index.js';
import { useTempDir } from './support/temp-dir.js';
import { runBackfill } from '../examples/backfill.js';
import { DEFAULT_REQUESTS, runChainedCalls } from '../examples/chained-calls.js';
import { runWalk, sampleTree } from '../examples/kicks.js';
import { runQuickstart } from '../examples/quickstart.js';
import { type JC as ScheduledJC, runScheduled } from '../examples/scheduled.js';
import { runSqlSummary } from '../examples/sql-summary.js';

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

/** Advances `clock` to each of its timers until `work` settles, as runWithFakeClock does for a processor it makes itself. */
async function onFakeClock<T>(clock: FakeClock, work: Promise<T>): Promise<T> {
  let settled = false;
  const done = work.finally(() => (settled = true));
  while (!settled) {
    const next = clock.nextAt;
    if (next === undefined) await new Promise((resolve) => setImmediate(resolve));
    else await clock.advance(Math.max(0, next - clock.now()));
  }
  return done;
}

describe('examples/sql-summary.ts', () => {
  it('summarises both tables once both queries, run side by side, have settled, and sends the notification', async () => {
    const r = await runSqlSummary();
    expect(r).toMatchObject({ outcome: 'complete', state: 'done', errors: {}, transitions: 6 });
    expect(r.summary).toEqual({ day: '2026-05-01', orders: { table: 'orders', rows: 5, cents: 56_575 }, refunds: { table: 'refunds', rows: 2, cents: 6_025 }, netCents: 50_550 });
    expect(r.queries).toEqual([
      { id: 'summary->0', table: 'orders', state: 'queried', failed: false, errors: [] },
      { id: 'summary->1', table: 'refunds', state: 'queried', failed: false, errors: [] },
    ]);
    const events = r.events.map((e) => e.text);
    expect(events.slice(0, 2)).toEqual(['connect sales-db: conn-1', 'auth ana: read granted']);
    // Both queries start before either answers (in parallel); refunds answers first, yet the
    // join's children come in kick order (orders, refunds), which is what the summary relies on.
    expect(new Set(events.slice(2, 4))).toEqual(new Set(['query orders started', 'query refunds started']));
    expect(new Set(events.slice(4, 6))).toEqual(new Set(['query orders: 5 rows', 'query refunds: 2 rows']));
    expect(events.slice(6)).toEqual(['summarize: net $505.50', 'mail to ops@example.com: Sales 2026-05-01: net $505.50']);
    expect(r.mail).toEqual([{ id: 'mail-1', to: 'ops@example.com', subject: 'Sales 2026-05-01: net $505.50', body: 'orders:  5 rows, $565.75\nrefunds: 2 rows, $60.25\nnet:     $505.50' }]);
  });

  it("a query that fails for good sends the job to notify without running summarize, with an error that names the child; the other query still finishes", async () => {
    const r = await runSqlSummary({ brokenTables: ['refunds'] });
    expect(r).toMatchObject({ outcome: 'complete', state: 'incomplete', summary: undefined });
    const why = 'child summary->1 failed in state "query": relation "refunds" is locked';
    expect(r.errors).toEqual({ summarize: [why] });
    expect(r.queries).toEqual([
      { id: 'summary->0', table: 'orders', state: 'queried', failed: false, errors: [] },
      // retried once (attempts: 2), then stopped, marked failed: a settled child
      { id: 'summary->1', table: 'refunds', state: 'query', failed: true, errors: ['relation "refunds" is locked', 'relation "refunds" is locked'] },
    ]);
    expect(r.events.map((e) => e.text).filter((t) => t.startsWith('summarize'))).toEqual([]);
    expect(r.mail).toEqual([{ id: 'mail-1', to: 'ops@example.com', subject: 'Sales 2026-05-01: no summary', body: why }]);
  });

  it('a user who may not read is denied before any query runs', async () => {
    const r = await runSqlSummary({ user: 'bob' });
    expect(r).toMatchObject({ outcome: 'complete', state: 'denied', errors: { authorize: ['bob may not read sales-db'] }, queries: [], mail: [] });
    expect(r.events.map((e) => e.text)).toEqual(['connect sales-db: conn-1', 'auth bob: denied']);
  });

  it('runs from the command line and prints the events and the summary', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/sql-summary.ts'], { timeout: 60_000 });
    expect(stdout).toContain('The summary job ended in "done" after 6 transitions.');
    expect(stdout).toContain('summary of 2026-05-01: orders 5 rows $565.75, refunds 2 rows $60.25, net $505.50');
    expect(stdout).toContain('sent mail-1 to ops@example.com: "Sales 2026-05-01: net $505.50"');
    const { stdout: broken } = await run(process.execPath, ['--import', 'tsx', 'examples/sql-summary.ts', '--break', 'refunds'], { timeout: 60_000 });
    expect(broken).toContain('error in summarize: child summary->1 failed in state "query": relation "refunds" is locked');
  });
});

describe('examples/chained-calls.ts', () => {
  it('on a FakeClock: each answer feeds the next call; a hung call is cut off at 100 ms and tried again at once, a 503 after its backoff', async () => {
    const clock = new FakeClock(0);
    const r = await onFakeClock(clock, runChainedCalls({ clock }));
    expect(r.outcome).toBe('complete');
    expect(r.jobs).toEqual([
      { user: 'u1', usd: 1_999, state: 'priced', currency: 'SEK', price: 209.9, errors: { profile: ['timed out after 100ms'], currency: ['timed out after 100ms'] } },
      { user: 'u2', usd: 4_500, state: 'priced', currency: 'JPY', price: 6_984, errors: {} },
      { user: 'u3', usd: 12_000, state: 'priced', currency: 'BRL', price: 612, errors: { rate: ['rates: 503 Service Unavailable'] } },
      // three tries in all, whatever each failed of: two 503s, then a timeout
      { user: 'u4', usd: 250, state: 'gave-up', errors: { profile: ['profiles: 503 Service Unavailable', 'profiles: 503 Service Unavailable', 'timed out after 100ms'] } },
      // retryOn says a NotFoundError is not worth another try
      { user: 'u9', usd: 100, state: 'gave-up', errors: { profile: ['profiles: no user u9'] } },
    ]);
    const callsOf = (request: string) => r.calls.filter((c) => c.request === request).map((c) => [c.ms, c.service, c.n, c.outcome]);
    expect(callsOf('u1')).toEqual([
      [100, 'profiles', 1, 'cut off after hanging: timed out after 100ms'],
      [108, 'profiles', 2, 'ok in 8 ms'], // a timeout's retry starts at once
    ]);
    expect(callsOf('SE')).toEqual([
      [208, 'currencies', 1, 'cut off after hanging: timed out after 100ms'], // the request built from u1's profile
      [231, 'currencies', 2, 'ok in 23 ms'],
    ]);
    expect(callsOf('u4')).toEqual([
      [61, 'profiles', 1, '503 Service Unavailable'],
      [138, 'profiles', 2, '503 Service Unavailable'], // after 50 ms of backoff and 27 ms of latency
      [338, 'profiles', 3, 'cut off after hanging: timed out after 100ms'], // after 100 ms of backoff
    ]);
    expect(r.elapsedMs).toBe(338);
  });

  it('whatever the seed, every job ends priced or gave up, after at most 3 tries of a call', async () => {
    for (let seed = 1; seed <= 30; seed++) {
      const clock = new FakeClock(0);
      const r = await onFakeClock(clock, runChainedCalls({ clock, seed }));
      expect(r.outcome).toBe('complete');
      expect(r.jobs.map((j) => j.user)).toEqual(DEFAULT_REQUESTS.map((q) => q.user));
      for (const job of r.jobs) {
        const where = `seed ${seed}, ${job.user}`;
        expect(['priced', 'gave-up'], where).toContain(job.state);
        for (const errors of Object.values(job.errors)) expect(errors.length, where).toBeLessThanOrEqual(3);
        const notFound = job.errors['profile']?.indexOf(`profiles: no user ${job.user}`) ?? -1;
        if (notFound >= 0) expect(notFound, `${where}: a NotFoundError is not retried`).toBe((job.errors['profile']?.length ?? 0) - 1);
        // a job gives up on a call that cannot succeed, or on its third failure
        if (job.state === 'gave-up') expect(notFound >= 0 || Object.values(job.errors).some((errors) => errors.length === 3), where).toBe(true);
      }
      expect(r.jobs.find((j) => j.user === 'u9')?.state).toBe('gave-up');
    }
  });

  it('runs from the command line on the real clock', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/chained-calls.ts'], { timeout: 60_000 });
    expect(stdout).toContain('Pricing 5 amounts: profile → currency → rate, each call cut off at 100 ms, 3 tries at most (seed 7)');
    expect(stdout).toMatch(/profiles\(u1\) call 1: cut off after hanging: timed out after 100ms/); // hangs for 1 s: always cut off
    expect(stdout).toMatch(/Done in \d+ ms:/);
    expect(stdout).toMatch(/ {2}u9: gave-up {2}\(errors: profile: /);
  });
});

describe('examples/scheduled.ts', () => {
  const T0 = Date.UTC(2026, 0, 1, 12, 0, 0, 500); // half a second past a tick of a 2 s schedule

  it('on a FakeClock: a job every 2 s at whole multiples of 2 s, 3 in all, keyed by tick; the exec ends once the third is done', async () => {
    const clock = new FakeClock(T0);
    const lines: string[] = [];
    const r = await onFakeClock(clock, runScheduled({ store: new MemoryStore<object, ScheduledJC>(), clock, print: (line) => lines.push(line) }));
    expect(r.outcome).toBe('complete');
    expect(lines).toEqual([
      '12:00:02.020  job 0 (key schedule:poll:001767268802000): tick 12:00:02.000, job 1 of the schedule, 3 new items',
      '12:00:04.020  job 1 (key schedule:poll:001767268804000): tick 12:00:04.000, job 2 of the schedule, 2 new items',
      '12:00:06.020  job 2 (key schedule:poll:001767268806000): tick 12:00:06.000, job 3 of the schedule, 3 new items',
    ]);
    expect(r.jobs.map((j) => [j.id, j.key, j.tick - T0, j.n, j.state])).toEqual([
      ['0', 'schedule:poll:001767268802000', 1_500, 1, 'done'],
      ['1', 'schedule:poll:001767268804000', 3_500, 2, 'done'],
      ['2', 'schedule:poll:001767268806000', 5_500, 3, 'done'],
    ]);
    expect(clock.now() - T0).toBe(5_520); // the third tick, and its job's 20 ms
  });

  it('continued after a stop: the limit counts the jobs the run holds, and one job stands for the ticks missed meanwhile', async () => {
    const store = new MemoryStore<object, ScheduledJC>();
    const lines: string[] = [];
    const first = new FakeClock(T0);
    await onFakeClock(first, runScheduled({ store, clock: first, limit: 2, print: (line) => lines.push(line) }));
    // Back 20 s later with a limit of 4: the ticks at 6 s … 20 s were missed; the default catch-up adds the latest.
    const again = new FakeClock(T0 + 20_000);
    const r = await onFakeClock(again, runScheduled({ store, clock: again, limit: 4, print: (line) => lines.push(line) }));
    expect(r.before).toBe(2);
    expect(r.jobs.map((j) => [j.key, j.n])).toEqual([
      ['schedule:poll:001767268802000', 1],
      ['schedule:poll:001767268804000', 2],
      ['schedule:poll:001767268820000', 3],
      ['schedule:poll:001767268822000', 4],
    ]);
    expect(lines.slice(2)).toEqual([
      '12:00:20.520  job 2 (key schedule:poll:001767268820000): tick 12:00:20.000, job 3 of the schedule, 3 new items', // caught up as the exec starts
      '12:00:22.020  job 3 (key schedule:poll:001767268822000): tick 12:00:22.000, job 4 of the schedule, 3 new items',
    ]);
  });

  const tempDir = useTempDir();

  it('runs from the command line for real, keeps the run in its file, and adds only what the limit leaves when run again', async () => {
    const file = join(tempDir(), 'scheduled.jsonl');
    const cli = ['--import', 'tsx', 'examples/scheduled.ts', '--every', '300', '--file', file];
    const { stdout } = await run(process.execPath, cli, { timeout: 60_000 });
    expect(stdout).toContain(`A poll job every 300 ms, 3 in all; the run is in ${file}`);
    const ticks = [...stdout.matchAll(/^\d\d:\d\d:\d\d\.\d{3} {2}job (\d) \(key schedule:poll:(\d{15})\): tick [\d:.]+, job (\d) of the schedule/gm)].map((m) => [m[1], Number(m[2]), m[3]]);
    expect(ticks.map(([id, , n]) => [id, n])).toEqual([
      ['0', '1'],
      ['1', '2'],
      ['2', '3'],
    ]);
    const [a, b, c] = ticks.map(([, at]) => at as number);
    expect([(a ?? 0) % 300, (b ?? 0) - (a ?? 0), (c ?? 0) - (b ?? 0)]).toEqual([0, 300, 300]);
    expect(stdout).toContain('Complete: this run added 3.');
    expect(existsSync(file)).toBe(true);

    const { stdout: more } = await run(process.execPath, [...cli, '--limit', '4'], { timeout: 60_000 });
    expect(more).toContain('Complete: the run held 3 jobs; this run added 1.');
    expect(more).toMatch(/job 3 \(key schedule:poll:\d{15}\): tick [\d:.]+, job 4 of the schedule/);
    const { stdout: none } = await run(process.execPath, [...cli, '--limit', '4'], { timeout: 60_000 });
    expect(none).toContain('Complete: the run held 4 jobs; this run added 0.');
  });

  it('refuses a bad flag with one line and exit code 2', async () => {
    const failed = await run(process.execPath, ['--import', 'tsx', 'examples/scheduled.ts', '--every', '0'], { timeout: 60_000 }).then(
      () => undefined,
      (e: unknown) => e as { code: number; stderr: string },
    );
    expect(failed).toMatchObject({ code: 2, stderr: 'scheduled: --every must be a whole number of ms from 1 up, got "0" (--help lists the flags)\n' });
  });
});

describe('examples/backfill.ts', () => {
  it('on a FakeClock: every id looked up, the quota learned from 1 a second with few 429s, no more calls in flight than the rate needs', async () => {
    const clock = new FakeClock();
    const r = await onFakeClock(clock, runBackfill({ jobs: 400, quota: 50, clock }));
    expect(r.done).toBe(400);
    // aimd() cruises at 95 % of the quota it measured; a 429 costs a call, not a job
    expect(r.rate).toBeGreaterThan(0.85 * 50);
    expect(r.rate).toBeLessThanOrEqual(1.1 * 50);
    expect(r.refused / r.calls).toBeLessThanOrEqual(0.05);
    // 50 a second at 20 ms is one call in flight: adaptive() stays far under the API's knee of 8
    expect(r.highestLimit).toBeGreaterThanOrEqual(1);
    expect(r.highestLimit).toBeLessThan(8);
    // 400 calls at 50 a second take 8 s; finding the quota from 1 a second costs about 3 more
    expect(r.seconds).toBeLessThan(14);
  });

  it('runs from the command line and says what each policy learned; a bad flag gets one line and exit 2', async () => {
    const { stdout } = await run('npx', ['tsx', 'examples/backfill.ts', '--jobs', '60', '--quota', '20']);
    expect(stdout).toMatch(/^Looking up 60 ids against an API of 20 calls a second/);
    expect(stdout).toMatch(/60 done in [\d.]+ s; the API refused \d+ of \d+ calls .*; aimd\(\) ended at [\d.]+ calls a second, adaptive\(\) allowed at most \d+ in flight\./);
    const failed = await run('npx', ['tsx', 'examples/backfill.ts', '--quota', 'x']).then(
      () => ({ code: 0, stderr: '' }),
      (e: unknown) => e as { code: number; stderr: string },
    );
    expect(failed).toMatchObject({ code: 2, stderr: 'backfill: --quota must be a whole number from 1 up, got "x" (--help lists the flags)\n' });
  });
});
