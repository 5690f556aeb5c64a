// A child process for the lock tests: for each trial it waits for the parent's go (a file
// `<dir>/go-<trial>`), then immediately opens `<dir>/run-<trial>.jsonl` with a JsonlStore, as a
// second process starting the same program would. It reports on stdout, one JSON line per trial:
// {"trial":…,"held":true|false,"error":…}. While it holds a run it appends a line to
// `<dir>/holders-<trial>` before and after a short hold, so the parent can check that no two
// processes ever held one run at once.
//
// Usage: node --import tsx test/support/lock-racer.ts <dir> <trials> <name>
import { appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { JsonlStore, RunLockedError } from '../../src/index.js';

const [dir, trialsText, name] = process.argv.slice(2);
if (dir === undefined || trialsText === undefined || name === undefined) throw new Error('usage: lock-racer.ts <dir> <trials> <name>');
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(2);
}, 250).unref();

for (let trial = 0; trial < Number(trialsText); trial++) {
  while (!existsSync(join(dir, `go-${trial}`))) await new Promise((resolve) => setImmediate(resolve));
  const store = new JsonlStore(join(dir, `run-${trial}.jsonl`));
  try {
    await store.load();
    appendFileSync(join(dir, `holders-${trial}`), `+${name}\n`);
    await new Promise((resolve) => setTimeout(resolve, 5));
    appendFileSync(join(dir, `holders-${trial}`), `-${name}\n`);
    await store.close();
    process.stdout.write(`${JSON.stringify({ trial, held: true })}\n`);
  } catch (error) {
    if (!(error instanceof RunLockedError)) throw error;
    process.stdout.write(`${JSON.stringify({ trial, held: false, error: error.message })}\n`);
  }
}
