// Workload "priority" (issue #16, "priorities in O(log n)"): one state at concurrency 10 with a
// no-op async exec, 50,000 jobs all at priority 0 against 50,000 jobs with 50,000 distinct
// priorities (1 to 50,000 in a seeded shuffled order of adding), in the same process: best of 3
// each, alternating which goes first. Timed: `processor.exec` alone (placing the jobs in the
// state's queue is part of it; `run.add` is not). A first, untimed pass with distinct priorities
// checks that the execs start in priority order. About 5 s.
import { Processor, Run, workflow } from '../src/index.js';
import { prng } from '../scripts/prng.js';
import { passFail, withLoadLines } from './goal.js';
import { heapAfterGc } from './heap.js';
import { fmt, fmtSeconds, round2, round3 } from './report.js';

const N = 50_000;
const CONCURRENCY = 10;
const ROUNDS = 3;
const TARGET_RATIO = 3;
const SEED = 16;

type JC = { n: number };

export interface PriorityFigures {
  readonly priority_n: number;
  readonly priority_one_s: number;
  readonly priority_distinct_s: number;
  readonly priority_ratio: number;
}

function buildWorkflow(started?: number[]) {
  return workflow<object, object, JC>('priority')
    .state('work', { concurrency: CONCURRENCY })
    .to('done')
    .exec(async ({ jc }) => {
      started?.push(jc.n);
      return { state: 'done', jc };
    })
    .terminal('done')
    .build();
}

/** 1 .. N in a seeded random order: the priority of the job added i-th is priorities[i]. */
function shuffledPriorities(): number[] {
  const random = prng(SEED);
  const priorities = Array.from({ length: N }, (_, i) => i + 1);
  for (let i = N - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [priorities[i], priorities[j]] = [priorities[j] as number, priorities[i] as number];
  }
  return priorities;
}

function newRun(priorities: readonly number[] | undefined): Run<object, JC> {
  const run = new Run<object, JC>('priority', {});
  // jc.n is the priority (or the index), so the check below can read the order of the execs
  for (let i = 0; i < N; i++) {
    const priority = priorities?.[i];
    if (priority === undefined) run.add({ n: i }, 'work');
    else run.add({ n: priority }, 'work', { priority });
  }
  return run;
}

async function execSeconds(wf: ReturnType<typeof buildWorkflow>, priorities: readonly number[] | undefined): Promise<number> {
  const run = newRun(priorities);
  heapAfterGc();
  const start = performance.now();
  const result = await new Processor(wf, {}, {}).exec(run);
  const seconds = (performance.now() - start) / 1000;
  if (result.outcome !== 'complete' || result.transitions !== N) throw new Error(`priority: expected ${N} transitions, got ${JSON.stringify(result)}`);
  return seconds;
}

export async function priority(log: (line: string) => void): Promise<PriorityFigures> {
  return withLoadLines('PRIORITY', log, async () => {
    const priorities = shuffledPriorities();
    // Untimed check (and warm-up): with every job placed before the first exec, execs start in
    // strictly decreasing priority.
    const started: number[] = [];
    await execSeconds(buildWorkflow(started), priorities);
    const outOfOrder = started.findIndex((p, i) => i > 0 && p >= (started[i - 1] as number));
    if (started.length !== N || outOfOrder !== -1) throw new Error(`priority: execs did not start in priority order (at exec ${outOfOrder}: ${started.slice(Math.max(0, outOfOrder - 2), outOfOrder + 2).join(', ')})`);
    const wf = buildWorkflow();
    await execSeconds(wf, undefined);

    let one = Infinity;
    let distinct = Infinity;
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? ['one', 'distinct'] : ['distinct', 'one'];
      for (const which of order) {
        if (which === 'one') one = Math.min(one, await execSeconds(wf, undefined));
        else distinct = Math.min(distinct, await execSeconds(wf, priorities));
      }
    }
    const ratio = round2(distinct / one);
    log(`PRIORITY n=${fmt(N)}, one state at concurrency ${CONCURRENCY}, no-op exec; execs started in priority order (checked)`);
    log(`PRIORITY all at priority 0: ${fmtSeconds(one)}, ${fmt(Math.round(N / one))} transitions/s (best of ${ROUNDS})`);
    log(`PRIORITY ${fmt(N)} distinct priorities: ${fmtSeconds(distinct)}, ${fmt(Math.round(N / distinct))} transitions/s (best of ${ROUNDS})`);
    log(`PRIORITY ratio distinct/one: ${ratio.toFixed(2)} (target <= ${TARGET_RATIO}) ${passFail(ratio <= TARGET_RATIO)}`);
    return { priority_n: N, priority_one_s: round3(one), priority_distinct_s: round3(distinct), priority_ratio: ratio };
  });
}
