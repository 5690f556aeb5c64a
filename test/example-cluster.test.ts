// examples/cluster.ts as a newcomer runs it: the same program started twice at the same moment
// against one (real, freshly started) PostgreSQL shares the run: both print a complete result,
// together they made every transition exactly once, and the fetch rate held across both.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PgStore } from '../src/postgres/index.js';
import { clusterCrawl, type JC, type OC } from '../examples/cluster.js';
import { usePostgresServer } from './support/postgres-server.js';

const server = usePostgresServer();

interface Exited {
  readonly pid: number | undefined;
  readonly code: number | null;
  readonly out: string;
}

/** `DATABASE_URL=… npx tsx examples/cluster.ts <args>`, bounded in time. */
function cluster(args: readonly string[]): Promise<Exited> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/cluster.ts', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DATABASE_URL: server().url() },
    timeout: 25_000,
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (data: string) => (out += data));
  child.stderr.setEncoding('utf8').on('data', (data: string) => (out += data));
  return new Promise((resolve) => child.on('close', (code) => resolve({ pid: child.pid, code, out })));
}

/** The result a process printed last: `[pid N] result: {…}`. */
function resultOf(exited: Exited): { outcome: string; transitions: number; failed: number } {
  const line = new RegExp(`^\\[pid ${exited.pid}\\] result: (.*)$`, 'm').exec(exited.out);
  expect(line, exited.out).not.toBeNull();
  return JSON.parse(line?.[1] ?? '{}') as { outcome: string; transitions: number; failed: number };
}

describe('examples/cluster.ts', () => {
  it('started twice at once, the two processes share the run: both complete, every transition made once, 100 fetches a second across both', async () => {
    const pages = 250;
    const args = ['--run', 'example-cluster', '--pages', String(pages)];
    const [a, b] = await Promise.all([cluster(args), cluster(args)]);
    for (const p of [a, b]) {
      expect(p.code, p.out).toBe(0);
      expect(p.out).toMatch(new RegExp(`^\\[pid ${p.pid}\\] (starting|joining) run "example-cluster": a crawl of ${pages} pages`, 'm'));
      expect(p.out).toMatch(new RegExp(`^\\[pid ${p.pid}\\] complete in [\\d.]+ s: \\d+ transitions in this process`, 'm'));
      expect(resultOf(p)).toMatchObject({ outcome: 'complete', failed: 0 });
    }
    // One seed (both added it, with the same id), one job per page (both kicked none twice: keys).
    const ra = resultOf(a);
    const rb = resultOf(b);
    expect(ra.transitions + rb.transitions).toBe(1 + 2 * pages);
    expect(ra.transitions).toBeGreaterThan(0);
    expect(rb.transitions).toBeGreaterThan(0);

    const store = new PgStore<OC, JC>({ connectionString: server().url(), run: 'example-cluster', readOnly: true });
    const run = await store.load(clusterCrawl);
    await store.close();
    const jobs = [...(run?.jobs.values() ?? [])];
    expect(jobs).toHaveLength(1 + pages);
    expect(jobs.filter((j) => j.state !== 'done')).toEqual([]);
    // Each job's history holds each of its states once: no transition was made twice, none lost.
    const walks = new Map<string, number>();
    for (const job of jobs) {
      const walk = job.history.map((h) => h.state).join('>');
      walks.set(walk, (walks.get(walk) ?? 0) + 1);
    }
    expect(Object.fromEntries(walks)).toEqual({ 'seed>done': 1, 'fetch>parse>done': pages });
    expect(new Set(jobs.map((j) => j.key).filter((k) => k !== undefined)).size).toBe(pages);

    // fetch is limited to 100 a second cluster-wide: 250 fetches take 2.4 s or so whichever process
    // makes them (each on its own limit, the two together would take half of it).
    const fetched = jobs.flatMap((j) => j.history.filter((h) => h.state === 'parse').map((h) => h.at)).sort((x, y) => x - y);
    const spanMs = (fetched.at(-1) ?? 0) - (fetched[0] ?? 0);
    expect(spanMs).toBeGreaterThan(1_800);

    // Started again, the run is complete already.
    const again = await cluster(args);
    expect(again.code, again.out).toBe(0);
    expect(again.out).toContain('run "example-cluster" had nothing left to do: start another with --run <name>');
    expect(resultOf(again)).toEqual({ outcome: 'complete', transitions: 0, failed: 0 });
  }, 30_000);
});
