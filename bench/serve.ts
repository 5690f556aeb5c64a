// Workload "serve" (issue #20, "jorb serve on a 1,000,000-job run file"): a run of N jobs
// (BENCH_SERVE_N, 1,000,000 by default) saved by bench/serve-child.ts, then `jorb serve` on it as a
// user starts it (bin/jorb.js, --workflow bench/serve-workflow.ts), and the page opened in headless
// Chromium (Debian's chromium, playwright-core):
//   1. the server's start: spawn to address printed (it has read the run), its RSS then;
//   2. first paint: the page's first-contentful-paint from navigation start, and when its script
//      had drawn the diagram and the table (the page is one response: no request follows);
//   3. live: the run continued by a second process at BENCH_SERVE_RATE (2,000) transitions a second
//      (fsync on) for BENCH_SERVE_LIVE_S (15) seconds; for every update event the page gets, the
//      time since the newest transition it carries was stamped (before it was durable, so an upper
//      bound on durable-to-page), p50 / p95 / max; the server's peak RSS (VmHWM) over it all.
// About 1 min for 1,000,000 jobs.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { benchScript, runChild, startChild } from './child-process.js';
import { passFail, withLoadLines } from './goal.js';
import { fmt, fmtBytes, fmtSeconds, round3 } from './report.js';
import { withTempDir } from './temp-dir.js';

const N = Number(process.env['BENCH_SERVE_N'] ?? 1_000_000);
const RATE = Number(process.env['BENCH_SERVE_RATE'] ?? 2_000);
const LIVE_S = Number(process.env['BENCH_SERVE_LIVE_S'] ?? 15);
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const GOALS = { first_paint_ms: 2_000, rss_bytes: 400 * 2 ** 20, latency_ms: 500 };

export interface ServeFigures {
  readonly serve_n: number;
  readonly serve_make_s: number;
  readonly serve_start_s: number;
  readonly serve_rss_after_load_bytes: number;
  readonly serve_peak_rss_bytes: number;
  readonly serve_rss_end_bytes: number;
  readonly serve_first_paint_ms: number;
  readonly serve_page_drawn_ms: number;
  readonly serve_page_bytes: number;
  readonly serve_live_transitions_per_s: number;
  readonly serve_events: number;
  readonly serve_event_latency_p50_ms: number;
  readonly serve_event_latency_p95_ms: number;
  readonly serve_event_latency_max_ms: number;
}

export async function serveDashboard(log: (line: string) => void): Promise<ServeFigures> {
  return withLoadLines('SERVE', log, () =>
    withTempDir('serve', async (dir) => {
      const path = join(dir, 'serve.jsonl');
      const env = { ...process.env, BENCH_SERVE_RATE: String(RATE) };
      const makeStart = performance.now();
      await runChild<{ jobs: number }>('serve make', 'serve-child.ts', ['make', path, String(N)]);
      const make_s = (performance.now() - makeStart) / 1000;

      const root = join(benchScript('.'), '..');
      const started = performance.now();
      const server = spawn(process.execPath, ['bin/jorb.js', 'serve', path, '--workflow', 'bench/serve-workflow.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
      const url = await new Promise<string>((resolve, reject) => {
        let text = '';
        server.stdout.on('data', (data: Buffer) => {
          text += String(data);
          const found = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(text)?.[1];
          if (found) resolve(found);
        });
        server.on('exit', (code) => reject(new Error(`jorb serve exited with ${code}: ${text}`)));
      });
      const start_s = (performance.now() - started) / 1000;
      const pid = server.pid ?? 0;
      const rssAfterLoad = procStatus(pid, 'VmRSS');
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
      let writer: ReturnType<typeof startChild> | undefined;
      try {
        const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
        const response = await page.goto(url, { waitUntil: 'load' });
        const pageBytes = (await response?.body())?.length ?? 0;
        await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length > 0, undefined, { timeout: 10_000 }).catch(() => undefined);
        const paint = await page.evaluate(() => {
          const fcp = performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1;
          const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
          return { fcp, drawn: nav?.domContentLoadedEventEnd ?? -1 };
        });
        // The latency probe: a second EventSource in the page, timing every update against its newest transition.
        await page.evaluate(() => {
          const w = window as unknown as { probe: { latencies: number[]; records: number[]; times: number[] } };
          w.probe = { latencies: [], records: [], times: [] };
          const es = new EventSource('/events');
          es.addEventListener('update', (e) => {
            const u = JSON.parse((e as MessageEvent<string>).data) as { lastAt: number; records: number };
            w.probe.latencies.push(Date.now() - u.lastAt);
            w.probe.records.push(u.records);
            w.probe.times.push(Date.now());
          });
        });
        writer = startChild('serve-child.ts', ['run', path], undefined);
        await new Promise((resolve) => setTimeout(resolve, LIVE_S * 1000));
        const probe = await page.evaluate(() => (window as unknown as { probe: { latencies: number[]; records: number[]; times: number[] } }).probe);
        writer.proc.kill('SIGTERM');
        await writer.exited;
        // The first seconds are the writer's start (loading the run): count from the first event on.
        const latencies = probe.latencies.slice(1).sort((a, b) => a - b);
        const seconds = ((probe.times.at(-1) ?? 0) - (probe.times[0] ?? 0)) / 1000;
        const rate = seconds > 0 ? ((probe.records.at(-1) ?? 0) - (probe.records[0] ?? 0)) / seconds : 0;
        const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? -1;
        const peak = procStatus(pid, 'VmHWM');
        const rssEnd = procStatus(pid, 'VmRSS');
        const figures: ServeFigures = {
          serve_n: N,
          serve_make_s: round3(make_s),
          serve_start_s: round3(start_s),
          serve_rss_after_load_bytes: rssAfterLoad,
          serve_peak_rss_bytes: peak,
          serve_rss_end_bytes: rssEnd,
          serve_first_paint_ms: Math.round(paint.fcp),
          serve_page_drawn_ms: Math.round(paint.drawn),
          serve_page_bytes: pageBytes,
          serve_live_transitions_per_s: Math.round(rate),
          serve_events: latencies.length,
          serve_event_latency_p50_ms: at(0.5),
          serve_event_latency_p95_ms: at(0.95),
          serve_event_latency_max_ms: latencies.at(-1) ?? -1,
        };
        log(`SERVE run of ${fmt(N)} jobs made in ${fmtSeconds(make_s)}; jorb serve read it and listened ${fmtSeconds(start_s)} after its start, RSS ${fmtBytes(rssAfterLoad)}`);
        log(`SERVE first paint ${figures.serve_first_paint_ms} ms after navigation (goal <= ${GOALS.first_paint_ms} ms) ${passFail(figures.serve_first_paint_ms >= 0 && figures.serve_first_paint_ms <= GOALS.first_paint_ms)}; drawn (DOMContentLoaded) ${figures.serve_page_drawn_ms} ms; page ${fmtBytes(pageBytes)}`);
        log(`SERVE peak RSS ${fmtBytes(peak)} (goal <= ${fmtBytes(GOALS.rss_bytes)}) ${passFail(peak > 0 && peak <= GOALS.rss_bytes)}; RSS at the end of the live phase ${fmtBytes(rssEnd)}`);
        log(
          `SERVE live at ${fmt(figures.serve_live_transitions_per_s)} transitions/s (asked ${fmt(RATE)}/s, fsync on): ${fmt(latencies.length)} update events, newest transition to page ` +
            `p50 ${figures.serve_event_latency_p50_ms} ms, p95 ${figures.serve_event_latency_p95_ms} ms, max ${figures.serve_event_latency_max_ms} ms (goal <= ${GOALS.latency_ms} ms) ${passFail(latencies.length > 0 && figures.serve_event_latency_p95_ms <= GOALS.latency_ms)}`,
        );
        return figures;
      } finally {
        writer?.proc.kill('SIGKILL');
        await browser.close();
        server.kill('SIGTERM');
      }
    }),
  );
}

/** A figure of /proc/<pid>/status in bytes (VmRSS: now; VmHWM: the peak). */
function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return kb === undefined ? -1 : Number(kb) * 1024;
}

// `tsx bench/serve.ts` runs it alone.
if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const figures = await serveDashboard((line) => console.log(line));
  console.log(JSON.stringify(figures));
}
