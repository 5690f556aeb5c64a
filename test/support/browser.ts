// Headless Chromium for the dashboard tests: Debian's `chromium` (CHROMIUM_PATH to use another),
// driven by playwright-core. One browser per test file: start it in beforeAll, close it in afterAll.
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Where the browser is: CHROMIUM_PATH, else Debian's package (`.ci/run` installs it). */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Launches headless Chromium; throws a message naming the fix when it is not installed. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`no Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium (as .ci/run does), or set CHROMIUM_PATH`);
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}
