// Issue #21's matrix for aimd() on the two fake-clock models, as the tests run them: the event-loop
// model (bench/ratelimit-loop.ts, the bench's settings: its "minute" scaled to 10 s, 20 s runs,
// 10,000/s only for the bench's four cells; test/aimd-learner-loop.test.ts runs seed 1) and the
// 1 ms step model (bench/ratelimit-sim.ts, 60 s windows, every quota; test/aimd-shapes.test.ts).
// Prints each cell's figures and the cells met, to compare a change of the learner across seeds
// before running the real matrix. CPU-bound (about a second a matrix, a few for sweep): one at a time.
//   tsx bench/ratelimit-models.ts loop 1 [filter]    the loop model with seed 1
//   tsx bench/ratelimit-models.ts step [filter]      the step model
//   tsx bench/ratelimit-models.ts loop 1 --lag 4     the loop model with wake-ups 4 ms late (1 by default: a busy client's are later)
//   tsx bench/ratelimit-models.ts sweep [filter]     the loop model over seeds 1-4, wake-ups 1 and 3 ms late and, for the 1 s
//                                                    fixed window, runs starting 0, 150, 400, 650 and 900 ms into a window,
//                                                    plus the step model: each cell's runs met, and all of them (SWEEP_SEEDS,
//                                                    SWEEP_LAGS and SWEEP_PHASES, comma-separated, change them; SWEEP_SPREAD=8
//                                                    makes every loop run's wake-ups up to 8 ms later still, at random)
// `filter` keeps the cells whose "shape hint quota" contains it (e.g. "fixed-60s seconds").
import { aimd } from '../src/index.js';
import { simulateLoop } from './ratelimit-loop.js';
import { HINTS, SHAPES } from './ratelimit-shapes.js';
import type { Hint, ShapeName } from './ratelimit-shapes.js';
import { measure, simulate } from './ratelimit-sim.js';
import type { Goals } from './ratelimit-sim.js';

const QUOTAS = [10, 100, 1000, 10_000] as const;
const LOOP_CELLS_10K = ['fixed-1s none', 'sliding-1s none', 'bucket-burst none', 'concurrency none'];
const START = 1_000_000;

/** Every loop run's wake-ups come up to this much later than `timerLagMs`, at random: SWEEP_SPREAD (ms; 0 by default). */
const timerLagSpreadMs = Number(process.env['SWEEP_SPREAD'] ?? 0);

function loopCell(shape: ShapeName, hint: Hint, quota: number, seed: number, timerLagMs: number, phaseMs = 0): Goals {
  let now = START;
  const clock = { now: () => now, setTimeout: () => 0, clearTimeout: () => undefined };
  const limiter = aimd({ clock });
  const runMs = shape === 'fixed-60s' ? 40_000 : shape === 'halve-double' ? 30_000 : 20_000;
  const outcome = simulateLoop({ shape, quota, hint, limiter, setNow: (ms) => (now = ms), start: START, runMs, longWindowMs: 10_000, offsetMs: shape === 'fixed-60s' ? 3000 : phaseMs, seed, timerLagMs, timerLagSpreadMs });
  return measure(shape, quota, outcome);
}

function stepCell(shape: ShapeName, hint: Hint, quota: number): Goals {
  let now = START;
  const clock = { now: () => now, setTimeout: () => 0, clearTimeout: () => undefined };
  const limiter = aimd({ clock });
  const runMs = shape === 'fixed-60s' ? 240_000 : shape === 'halve-double' ? 60_000 : 30_000;
  const outcome = simulate({ shape, quota, hint, limiter, setNow: (ms) => (now = ms), start: START, runMs, offsetMs: shape === 'fixed-60s' ? 20_000 : 300 });
  return measure(shape, quota, outcome);
}

const args = process.argv.slice(2);
const lagAt = args.indexOf('--lag');
const timerLagMs = lagAt < 0 ? 1 : Number(args.splice(lagAt, 2)[1]);
const [model = 'loop', ...rest] = args;
const seed = model === 'loop' ? Number(rest.shift() ?? 1) : 0;
if (!['loop', 'step', 'sweep'].includes(model)) throw new Error(`ratelimit-models: the model is loop, step or sweep, got ${model}`);
const filter = rest.join(' ');
/** Every cell of the matrix the filter keeps: shape × hint × quota (the concurrency cap with no hint only). */
const allCells = SHAPES.flatMap((shape) =>
  HINTS.filter((hint) => shape !== 'concurrency' || hint === 'none').flatMap((hint) => QUOTAS.map((quota) => [shape, hint, quota] as const)),
).filter(([shape, hint, quota]) => `${shape} ${hint} ${quota}`.includes(filter));
/** Whether the loop model runs a cell: 10,000/s only for the bench's four. */
const inLoop = (shape: ShapeName, hint: Hint, quota: number) => quota < 10_000 || LOOP_CELLS_10K.includes(`${shape} ${hint}`);
const cells = allCells.filter(([shape, hint, quota]) => model === 'step' || inLoop(shape, hint, quota));

/** `sweep`: where in a window a run starts, the seed and the timer lag decide a 10/s cell: one run each says little. */
function sweep(): void {
  const list = (name: string, fallback: string) => (process.env[name] ?? fallback).split(',').map(Number);
  const seeds = list('SWEEP_SEEDS', '1,2,3,4');
  const lags = list('SWEEP_LAGS', '1,3');
  const fixedPhases = list('SWEEP_PHASES', '0,150,400,650,900');
  let runs = 0;
  let all = 0;
  for (const [shape, hint, quota] of allCells) {
    const report = (model: string, gs: Goals[]) => {
      const met = gs.filter((g) => g.pass.all).length;
      runs += gs.length;
      all += met;
      const mean = (f: (g: Goals) => number) => gs.reduce((sum, g) => sum + f(g), 0) / gs.length;
      console.log(`${met === gs.length ? 'PASS' : 'fail'} ${model} ${shape} ${hint} ${quota}: ${met} of ${gs.length}, mean goodput ${(100 * mean((g) => g.goodput)).toFixed(1)}%, rejected ${(100 * mean((g) => g.rejected)).toFixed(2)}%`);
    };
    if (inLoop(shape, hint, quota)) {
      const phasesMs = shape === 'fixed-1s' ? fixedPhases : [0];
      report('loop', seeds.flatMap((seed) => lags.flatMap((lag) => phasesMs.map((phase) => loopCell(shape, hint, quota, seed, lag, phase)))));
    }
    report('step', [stepCell(shape, hint, quota)]);
  }
  console.log(`sweep (loop seeds ${seeds.join(', ')}, wake-ups ${lags.join(', ')} ms late${timerLagSpreadMs > 0 ? ` and up to ${timerLagSpreadMs} more` : ''}, 1 s window phases ${fixedPhases.join(', ')} ms; and the step model): ${all} of ${runs} runs met`);
}

let met = 0;
if (model === 'sweep') {
  sweep();
  process.exit(0);
}
for (const [shape, hint, quota] of cells) {
  const g = model === 'step' ? stepCell(shape, hint, quota) : loopCell(shape, hint, quota, seed, timerLagMs);
  if (g.pass.all) met++;
  const to90 = g.secondsTo90 === null ? 'never' : `${g.secondsTo90.toFixed(1)}s`;
  const line = `${g.pass.all ? 'PASS' : 'fail'} ${shape} ${hint} ${quota}: ${to90} / ${(100 * g.goodput).toFixed(1)}% / ${(100 * g.rejected).toFixed(2)}%`;
  console.log(line);
}
console.log(`${model}${model === 'loop' ? ` seed ${seed}${lagAt < 0 ? '' : `, wake-ups ${timerLagMs} ms late`}` : ''}: ${met} of ${cells.length}`);
