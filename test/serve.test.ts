// `jorb serve` as a person uses it: a real run written by another process, the real command on a
// free port of 127.0.0.1, the page opened in headless Chromium (test/support/browser.ts). One
// browser, one run and its servers for the whole file.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { get } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from './support/browser.js';
import { type ServeProcess, startServe } from './support/serve-process.js';

interface Family {
  readonly name: string;
  readonly type: string;
  readonly metrics: readonly { readonly value?: string; readonly labels?: Record<string, string> }[];
}
/** The Prometheus text parser (parse-prometheus-text-format, ported from the Python client's). */
const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Family[];

const JOBS = 1_200;
const FAILING = JOBS / 10; // fetch fails every job whose n is a multiple of 10

let dir: string;
let file: string;
let writer: ChildProcess;
let finished: Promise<void>;
let live: ServeProcess;
let readOnly: ServeProcess | undefined;
let browser: Browser;
let page: Page;

/** Text of the ledger table's cell of `state`, column `k` (waiting, failed, completed). */
const cell = (state: string, k: string) => page.locator(`#ledger tr[data-state="${state}"] td[data-k="${k}"]`).innerText();
const count = async (state: string, k: string) => Number((await cell(state, k)).replace(/,/g, ''));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jorb-serve-'));
  file = join(dir, 'crawl.jsonl');
  // The run waits 2.5 s after its first save, so the page opens on a run that has not moved yet.
  writer = spawn(process.execPath, ['--import', 'tsx', 'test/support/serve-writer.ts', file, String(JOBS)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, SERVE_START_DELAY_MS: '2500', SERVE_PARSE_MS: '6' },
  });
  let said = '';
  const ready = new Promise<void>((resolve, reject) => {
    writer.stdout?.on('data', (data: Buffer) => {
      said += String(data);
      if (said.includes('ready')) resolve();
    });
    writer.on('exit', (code) => reject(new Error(`the writer exited with ${code} before it was ready`)));
  });
  finished = new Promise<void>((resolve) => writer.stdout?.on('data', () => said.includes('finished') && resolve()));
  const launched = launchBrowser();
  await ready;
  [live, browser] = await Promise.all([startServe([file, '--workflow', 'test/support/serve-workflow.ts', '--allow-actions']), launched]);
  page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
}, 45_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all([live?.stop(), readOnly?.stop()]);
  writer?.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe('jorb serve, in a browser', () => {
  it('draws the workflow as an SVG with its states, and its counts change while the run goes on', async () => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(live.url);
    const names = await page.locator('#diagram svg g.node title').allTextContents();
    expect(names).toEqual(['fetch', 'parse', 'done']);
    expect(await page.locator('#diagram svg').count()).toBe(1);
    const before = await count('done', 'completed');
    const jobs = async () => Number((await page.locator('#h-jobs').innerText()).replace(/,/g, ''));
    // The run adds its jobs once it starts: the page sees them come, and then go through.
    await expect.poll(jobs, { timeout: 20_000, interval: 100 }).toBeGreaterThan(JOBS);
    await expect.poll(() => count('done', 'completed'), { timeout: 20_000, interval: 100 }).toBeGreaterThan(before);
    // Health colours: fetch turns red once jobs failed there; the diagram's label says how many.
    await expect.poll(() => page.locator('#diagram g.node[data-health="failing"] title').allTextContents(), { timeout: 20_000 }).toContain('fetch');
    expect(await page.locator('#diagram g.node:has(title:text-is("fetch")) text').allTextContents()).toContainEqual(expect.stringMatching(/\d+ failed$/));
    // The bottleneck the ledger names is marked on the diagram and in the table, and its verdict said.
    const marked = () => page.locator('#diagram g.node.bottleneck title').allTextContents();
    await expect.poll(marked, { timeout: 10_000 }).toHaveLength(1);
    // Read in one go: an update between two reads may name another state (fetch, then parse).
    const seen = await page.evaluate(() => ({
      marked: [...document.querySelectorAll('#diagram g.node.bottleneck title')].map((t) => t.textContent),
      verdict: document.querySelector<HTMLElement>('#verdict')?.innerText ?? '',
      row: document.querySelector('#ledger tr.bottleneck')?.getAttribute('data-state'),
    }));
    const [bottleneck] = seen.marked;
    expect(seen.marked).toHaveLength(1);
    expect(seen.verdict).toMatch(new RegExp(`^Bottleneck: ${bottleneck ?? ''} — [a-z-]+: `));
    expect(seen.row).toBe(bottleneck);
    expect(await page.locator('#live').innerText()).toBe('live');
    expect(errors).toEqual([]);
  }, 30_000);

  it('closes its event stream while the tab is hidden and resumes it from the last event id', async () => {
    const state = () => page.evaluate(() => (window as unknown as { jorbDashboard: { connected: boolean; lastEventId: number } }).jorbDashboard);
    expect((await state()).connected).toBe(true);
    const setVisibility = (hidden: boolean) =>
      page.evaluate((h) => {
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (h ? 'hidden' : 'visible') });
        document.dispatchEvent(new Event('visibilitychange'));
      }, hidden);
    await setVisibility(true);
    expect((await state()).connected).toBe(false);
    expect(await page.locator('#live').innerText()).toBe('paused (tab hidden)');
    const hiddenAt = (await state()).lastEventId;
    await setVisibility(false);
    expect((await state()).connected).toBe(true);
    await expect.poll(async () => (await state()).lastEventId, { timeout: 10_000 }).toBeGreaterThan(hiddenAt);
  }, 20_000);

  it('finds jobs by error text and by id, and shows a job\'s timeline and kick tree', async () => {
    await page.fill('#q', 'HTTP 503');
    await page.click('#search button');
    await expect.poll(() => page.locator('#results tr[data-id]').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await page.locator('#results tr[data-id]').first().innerText()).toMatch(/fetch \(failed\).*HTTP 503/s);
    // Job "2" (n = 1) kicks a child "2->0" once parsed: wait until it is done.
    await page.fill('#q', '2');
    await expect
      .poll(
        async () => {
          await page.click('#search button');
          await page.locator('#results tr[data-id="2"]').first().click({ timeout: 2_000 }).catch(() => undefined);
          return page.locator('#tree').innerText();
        },
        { timeout: 20_000, interval: 300 },
      )
      .toContain('2->0');
    const timeline = await page.locator('#timeline').innerText();
    expect(timeline).toMatch(/fetch[\s\S]*parse[\s\S]*done/);
    // The README's screenshot, written when asked (UPDATE_SCREENSHOTS=1), else into the run's directory.
    const shot = process.env['UPDATE_SCREENSHOTS'] === '1' ? 'docs/screenshots/dashboard.png' : join(dir, 'dashboard.png');
    mkdirSync(dirname(shot), { recursive: true });
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
  }, 30_000);

  it('refuses an action without the token (403), and every action when --allow-actions is absent', async () => {
    const post = (url: string, auth?: string) =>
      page.evaluate(
        async ([u, a]) => (await fetch(u as string, { method: 'POST', headers: a ? { authorization: `Bearer ${a}` } : {}, body: JSON.stringify({ from: 'fetch', to: 'fetch' }) })).status,
        [url, auth],
      );
    expect(await post(`${live.url}api/actions/redrive`)).toBe(403);
    expect(await post(`${live.url}api/actions/redrive`, 'not-the-token')).toBe(403);
    readOnly = await startServe([file]); // no --workflow: the states and moves are read off the run
    expect(readOnly.token).toBeUndefined();
    const status = await new Promise<number>((resolve, reject) => {
      const req = get(`${readOnly?.url ?? ''}api/actions/redrive`, { method: 'POST', headers: { authorization: `Bearer ${live.token ?? ''}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  }, 30_000);

  it('with the token, redrives the failed jobs from the page once the run has stopped', async () => {
    await finished;
    await page.goto('about:blank');
    await page.goto(`${live.url}#token=${live.token ?? ''}`);
    await expect.poll(() => count('fetch', 'failed'), { timeout: 10_000 }).toBe(FAILING);
    await page.selectOption('#redrive-from', 'fetch');
    await page.selectOption('#redrive-to', 'fetch');
    await page.fill('#redrive-where', 'HTTP 503');
    await page.click('#redrive button');
    await expect.poll(() => page.locator('#action-result').innerText(), { timeout: 15_000 }).toMatch(new RegExp(`^200: moved ${FAILING} jobs from fetch to fetch`));
    // The server follows the run file: the failed jobs wait in fetch again.
    await expect.poll(() => count('fetch', 'failed'), { timeout: 10_000 }).toBe(0);
    expect(await count('fetch', 'waiting')).toBe(FAILING);
  }, 30_000);
});

describe('jorb serve, its endpoints', () => {
  it('/metrics is Prometheus text with jorb_ metrics', async () => {
    const res = await fetch(`${live.url}metrics`);
    const text = await res.text();
    expect(res.status, text).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = parsePrometheus(text);
    expect(families.length).toBeGreaterThan(0);
    for (const family of families) {
      expect(family.name).toMatch(/^jorb_[a-z0-9_]+$/);
      expect(['COUNTER', 'GAUGE', 'SUMMARY', 'HISTOGRAM', 'UNTYPED']).toContain(family.type);
    }
    // The parser is lenient: every sample line is also checked against the text format's grammar.
    for (const line of text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*",?)*\})? (NaN|[+-]Inf|[+-]?\d+(\.\d+)?([eE][+-]?\d+)?)( -?\d+)?$/);
    }
    expect(text).not.toMatch(/job_?id=/);
  });

  it('/events replays what a page missed after its Last-Event-ID, and sends the whole state to a page with none', async () => {
    await quiet(); // the redrive above changed the run: its last update (the ledger's, within a second) has gone out
    const first = await readEvents(`${live.url}events`, {}, 1);
    expect(first[0]?.event).toBe('reset');
    const lastId = Number(first[0]?.id);
    expect(lastId).toBeGreaterThanOrEqual(3);
    const replayed = await readEvents(`${live.url}events`, { 'last-event-id': String(lastId - 2) }, 2);
    expect(replayed.map((e) => Number(e.id))).toEqual([lastId - 1, lastId]);
    expect(replayed.every((e) => e.event === 'update' || e.event === 'reset')).toBe(true);
    const none = await readEvents(`${live.url}events?lastEventId=${lastId}`, {}, 1, 600);
    expect(none).toEqual([]);
  }, 30_000);

  it('without --workflow, draws the states and moves the run shows (post-mortem of the finished run)', async () => {
    await finished;
    const state = (await (await fetch(`${readOnly?.url ?? ''}api/state`)).json()) as { inferred: boolean; states: { state: string; terminal: boolean; completed: number }[]; svg: string };
    expect(state.inferred).toBe(true);
    expect(state.states.map((s) => [s.state, s.terminal])).toEqual([['fetch', false], ['parse', false], ['done', true]]);
    expect(state.states.find((s) => s.state === 'done')?.completed).toBe(1 + JOBS - FAILING + JOBS / 50); // the first job, the others that did not fail, their kicks
    for (const name of ['fetch', 'parse', 'done']) expect(state.svg).toContain(`<title>${name}</title>`);
  });

  it('serves 127.0.0.1 only, and only under its own host name', async () => {
    expect(live.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const status = await new Promise<number>((resolve, reject) => {
      get(live.url, { headers: { host: 'attacker.example:80' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    expect(status).toBe(403);
    const page = await (await fetch(live.url)).text();
    expect(page).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i); // self-contained: nothing fetched from elsewhere
  });

  // Last: a pause changes the page, and the test above wants an idle one.
  it('with the token, pauses and resumes a state from the page; the table shows it paused; an unknown state is refused', async () => {
    const pausedBadge = () => page.locator('#ledger tr[data-state="fetch"] td.state .paused').count();
    expect(await pausedBadge()).toBe(0);
    await page.selectOption('#pause-state', 'fetch');
    await page.click('#pause-button');
    await expect.poll(() => page.locator('#action-result').innerText(), { timeout: 10_000 }).toMatch(/^200: paused state "fetch" of run "crawl-test"/);
    expect(statSync(`${file}.paused`).isFile()).toBe(true); // where a processor running the run reads it (test/pause.test.ts)
    await expect.poll(pausedBadge, { timeout: 5_000 }).toBe(1);
    await page.click('#resume-button');
    await expect.poll(() => page.locator('#action-result').innerText(), { timeout: 10_000 }).toMatch(/^200: resumed state "fetch"/);
    await expect.poll(pausedBadge, { timeout: 5_000 }).toBe(0);
    const refused = await page.evaluate(
      async ([u, t]) => {
        const r = await fetch(`${u as string}api/actions/pause`, { method: 'POST', headers: { authorization: `Bearer ${t as string}` }, body: JSON.stringify({ state: 'nowhere' }) });
        return { status: r.status, body: (await r.json()) as { error: string } };
      },
      [live.url, live.token],
    );
    expect(refused.status).toBe(409);
    expect(refused.body.error).toContain('"nowhere" is not a state of workflow');
  }, 30_000);
});

/** Reads `n` server-sent events (or what came within `ms`) from an `/events` URL. */
/** Waits until the server sent no event for longer than the ledger's refresh (1 s), at most 10 tries. */
async function quiet(): Promise<void> {
  let last = -1;
  for (let tries = 0; tries < 10; tries++) {
    const { eventId } = (await (await fetch(`${live.url}api/state`)).json()) as { eventId: number };
    if (eventId === last) return;
    last = eventId;
    await new Promise((resolve) => setTimeout(resolve, 1_200));
  }
  throw new Error('the dashboard kept sending events for 12 s after the run stopped');
}

function readEvents(url: string, headers: Record<string, string>, n: number, ms = 5_000): Promise<{ id?: string; event?: string; data?: string }[]> {
  return new Promise((resolve, reject) => {
    const events: { id?: string; event?: string; data?: string }[] = [];
    let buffer = '';
    const req = get(url, { headers }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: Record<string, string> = {};
          for (const line of block.split('\n')) {
            const at = line.indexOf(': ');
            if (at > 0) event[line.slice(0, at)] = line.slice(at + 2);
          }
          if (event['event'] !== undefined) events.push(event);
          if (events.length >= n) {
            req.destroy();
            resolve(events);
            return;
          }
        }
      });
    });
    req.on('error', (error) => (events.length >= n ? undefined : reject(error)));
    setTimeout(() => {
      req.destroy();
      resolve(events);
    }, ms);
  });
}
