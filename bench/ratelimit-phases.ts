// One cell of issue #21's matrix on the event-loop model (bench/ratelimit-loop.ts) at many starting
// phases: how far into a fixed window the run starts decides the 1 s windows at 10/s. Prints the
// phases met and the refusals' spread. CPU-light at 10/s, heavier at 1,000/s and up.
//   tsx bench/ratelimit-phases.ts fixed-1s none 10 [phases=60] [seed=1] [runMs=20000]
import { aimd } from '../src/index.js';
import { simulateLoop } from './ratelimit-loop.js';
import type { Hint, ShapeName } from './ratelimit-shapes.js';
import { measure } from './ratelimit-sim.js';

const [shape = 'fixed-1s', hint = 'none', quotaArg = '10', phasesArg = '60', seedArg = '1', runArg = '20000'] = process.argv.slice(2);
const quota = Number(quotaArg);
const phases = Number(phasesArg);
const runMs = Number(runArg);
const windowMs = shape === 'fixed-60s' ? 10_000 : 1000;
const START = 1_000_000;
let met = 0;
let sumRejected = 0;
const lines: string[] = [];
for (let i = 0; i < phases; i++) {
  const offsetMs = Math.round((i * windowMs) / phases);
  let now = START;
  const clock = { now: () => now, setTimeout: () => 0, clearTimeout: () => undefined };
  const limiter = aimd({ clock });
  const outcome = simulateLoop({ shape: shape as ShapeName, quota, hint: hint as Hint, limiter, setNow: (ms) => (now = ms), start: START, runMs, longWindowMs: 10_000, offsetMs, seed: Number(seedArg) });
  const g = measure(shape as ShapeName, quota, outcome);
  if (g.pass.all) met++;
  sumRejected += g.rejected;
  const to90 = g.secondsTo90 === null ? 'never' : `${g.secondsTo90.toFixed(1)}s`;
  lines.push(`${g.pass.all ? 'PASS' : 'fail'} +${offsetMs}ms: ${to90} / ${(100 * g.goodput).toFixed(1)}% / ${(100 * g.rejected).toFixed(2)}% (${outcome.rejected} refused)`);
}
if (process.env['PHASES_VERBOSE'] === '1') console.log(lines.join('\n'));
console.log(`${shape} ${hint} ${quota}, seed ${seedArg}: ${met} of ${phases} phases met, mean ${((100 * sumRejected) / phases).toFixed(2)}% refused`);
