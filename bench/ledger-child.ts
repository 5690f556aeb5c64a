// A child of the ledger bench: W3 with the ledger on or off in a process of its own (so that the
// two modes never share compiled code, which makes either one faster or slower than it is alone).
// Usage: node --expose-gc --import tsx bench/ledger-child.ts <on|off> <n> <rounds>; prints one JSON line.
import { Processor } from '../src/index.js';
import { buildWorkflow, newRun, WARM_UP_N } from './w3.js';

const [mode, nText, roundsText] = process.argv.slice(2);
if (mode !== 'on' && mode !== 'off') throw new Error('usage: ledger-child.ts <on|off> <n> <rounds>');
const n = Number(nText);
const rounds = Number(roundsText);
const ledger = mode === 'on';
const wf = buildWorkflow();

async function seconds(jobs: number): Promise<number> {
  const run = newRun(wf, jobs);
  globalThis.gc?.();
  const start = performance.now();
  const result = await new Processor(wf, {}, { ledger }).exec(run);
  const secs = (performance.now() - start) / 1000;
  if (result.outcome !== 'complete' || result.transitions !== 2 * jobs) throw new Error(`ledger bench: expected 2*${jobs} transitions, got ${JSON.stringify(result)}`);
  return secs;
}

await seconds(WARM_UP_N);
const times: number[] = [];
for (let i = 0; i < rounds; i++) times.push(await seconds(n));
console.log(JSON.stringify({ mode, best: Math.min(...times), times }));
