// The README's screenshot of the terminal display (docs/screenshots/terminal.png): runs the demo
// on a real pseudo-terminal (util-linux `script`), keeps a frame from the middle of the run (where
// the display has the most to say), renders its colours as HTML in headless Chromium and takes a
// picture of it. `npx tsx scripts/terminal-screenshot.ts`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

/* eslint-disable no-control-regex -- a terminal's escape codes are what this script reads */

const out = new URL('../docs/screenshots/terminal.png', import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'jorb-terminal-'));
try {
  const file = join(dir, 'run.jsonl');
  // COLUMNS/LINES: a wide terminal, so no column is cut.
  const command = `stty cols 160 rows 40; FORCE_COLOR=1 node --import tsx examples/quickstart.ts --file ${file} --pages 1500 --latency 5-40`;
  const raw = execFileSync('script', ['-qfec', command, '/dev/null'], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, CI: '' } });
  const frames = raw.split(/\x1b\[\d+F/);
  const frame = frames[Math.floor(frames.length * 0.6)] ?? raw;
  await shoot(toHtml(frame));
  console.log(`wrote ${out.pathname} (frame ${Math.floor(frames.length * 0.6)} of ${frames.length})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** The frame's text as HTML: SGR colour codes become spans, every other escape is dropped. */
function toHtml(frame: string): string {
  const colours: Record<string, string> = { '31': '#f14c4c', '32': '#23d18b', '33': '#f5f543', '34': '#3b8eea', '35': '#d670d6', '36': '#29b8db', '90': '#8a8a8a', '2': '#8a8a8a' };
  let html = '';
  let open = 0;
  for (const part of frame.split(/(\x1b\[[0-9;]*[A-Za-z])/)) {
    const sgr = /^\x1b\[([0-9;]*)m$/.exec(part);
    if (sgr) {
      const codes = (sgr[1] ?? '').split(';');
      // A reset, or the end of a colour or of bold (39, 22): close what is open.
      if (codes.includes('0') || codes[0] === '' || codes.includes('39') || codes.includes('22')) {
        html += '</span>'.repeat(open);
        open = 0;
        continue;
      }
      const colour = codes.map((c) => colours[c]).find((c) => c !== undefined);
      const bold = codes.includes('1');
      html += `<span style="${colour ? `color:${colour};` : ''}${bold ? 'font-weight:bold;' : ''}">`;
      open++;
      continue;
    }
    if (part.startsWith('\x1b')) continue;
    html += part.replace(/\r/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;');
  }
  return html + '</span>'.repeat(open);
}

async function shoot(body: string): Promise<void> {
  const browser = await chromium.launch({ executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1300, height: 200 }, deviceScaleFactor: 1 });
    await page.setContent(`<html><body style="margin:0;background:#1e1e1e"><pre id="t" style="margin:0;padding:16px 20px;color:#d4d4d4;font:14px/1.35 'DejaVu Sans Mono',monospace;display:inline-block">${body.trim()}</pre></body></html>`);
    await page.locator('#t').screenshot({ path: out.pathname });
  } finally {
    await browser.close();
  }
}
