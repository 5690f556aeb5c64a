// The workflow of the join kill campaign (test/join-kill-campaign.test.ts), run by its child process
// (test/support/join-kill-worker.ts): 50 parents each split into 100 children, which work (some loop
// back to work once or twice, a seeded few throw and stay failed, the rest end in 'worked'), and
// wait in a join state, merge, until every child settled; merge sums what its children found.
//
// Every exec result is a pure function of the job context and the run's salt, never of timing, so a
// run interrupted any number of times ends as an uninterrupted one does: the figures below (which
// child fails, its value, each parent's sum, how many transitions a job makes) are what the test
// checks the final run against.
import { workflow, type ChildResult, type Run } from '../../src/index.js';

/** Parents of the run, and children each parent kicks. */
export const PARENTS = 50;
export const CHILDREN = 100;
/** The run's name in the file. */
export const RUN_NAME = 'join-kill-campaign';
/** About how long a split takes, in ms. */
export const SPLIT_MS = 18;

export interface JoinOC {
  /** Varies which children fail, loop and how long they take. */
  readonly salt: number;
}

/** A parent: its number; once merged, what its children gave. */
export interface ParentJC {
  readonly kind: 'parent';
  readonly p: number;
  readonly sum?: number;
  readonly worked?: number;
  readonly failed?: number;
}
/** A child: its parent's number and its own; `rounds` counts its visits back to work, `value` is what it found. */
export interface ChildJC {
  readonly kind: 'child';
  readonly p: number;
  readonly n: number;
  readonly rounds: number;
  readonly value?: number;
}
export type JoinJC = ParentJC | ChildJC;

/**
 * What a merge exec is handed, as the worker records it (one side-file line per call): the
 * parent, and each child as seen: [id, state, failed].
 */
export interface MergeEvidence {
  readonly pid: number;
  readonly parent: string;
  readonly state: string;
  readonly children: readonly (readonly [string, string, boolean])[];
}

/** The app context: where a merge exec reports that it runs (durably, outside the store). */
export interface JoinAC {
  readonly merging: (parent: string, state: string, children: readonly ChildResult<JoinJC>[]) => void;
}

/** How many times child (p, n) goes back to work before it finishes or throws: 0, 1 or 2. */
export function roundsOf(p: number, n: number, salt: number): number {
  const h = (p * 37 + n * 11 + salt * 5) % 13;
  return h === 3 ? 2 : h % 4 === 1 ? 1 : 0;
}
/** Whether child (p, n) throws in work (it then stays there, failed): about 2 % of them. */
export function failsOf(p: number, n: number, salt: number): boolean {
  return (p * CHILDREN + n + salt * 13) % 53 === 17;
}
/** The value a child that did not fail found. */
export function valueOf(p: number, n: number, salt: number): number {
  return ((p * 131 + n * 17 + salt * 7) % 1000) + 1;
}

/** What merge puts in parent p's job context: the sum of its worked children's values, and the counts. */
export function expectedParent(p: number, salt: number): Required<ParentJC> {
  let sum = 0;
  let worked = 0;
  let failed = 0;
  for (let n = 0; n < CHILDREN; n++) {
    if (failsOf(p, n, salt)) failed++;
    else {
      worked++;
      sum += valueOf(p, n, salt);
    }
  }
  return { kind: 'parent', p, sum, worked, failed };
}

/** Transitions an uninterrupted run applies: split and merge for each parent, each child's rounds plus its last one. */
export function expectedTransitions(salt: number): number {
  let total = 0;
  for (let p = 0; p < PARENTS; p++) {
    total += 2;
    for (let n = 0; n < CHILDREN; n++) total += roundsOf(p, n, salt) + 1;
  }
  return total;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => (ms <= 0 ? setImmediate(resolve) : setTimeout(resolve, ms)));

export const joinWorkflow = workflow<JoinAC, JoinOC, JoinJC>('join-kill-campaign')
  // One parent at a time, slowly: children come in about as fast as work takes them, so the parents'
  // merges are spread over the run rather than all at its end.
  .state('split', { concurrency: 1 })
  .to('merge')
  .spawns('work')
  .exec(async ({ oc, jc, kick }) => {
    if (jc.kind !== 'parent') throw new Error(`split: not a parent: ${JSON.stringify(jc)}`);
    await sleep(SPLIT_MS + ((jc.p * 7 + oc.salt) % 5));
    const kicks = [];
    for (let n = 0; n < CHILDREN; n++) kicks.push(kick({ state: 'work', jc: { kind: 'child', p: jc.p, n, rounds: 0 } }));
    return { state: 'merge', jc, kicks };
  })
  // No retry policy: a thrown error leaves the child in work, marked failed (a settled child).
  .state('work', { concurrency: 16 })
  .to('work', 'worked')
  .exec(async ({ oc, jc }) => {
    if (jc.kind !== 'child') throw new Error(`work: not a child: ${JSON.stringify(jc)}`);
    const { p, n, rounds } = jc;
    await sleep((p + n * 3 + rounds + oc.salt) % 4);
    if (rounds < roundsOf(p, n, oc.salt)) return { state: 'work', jc: { ...jc, rounds: rounds + 1 } };
    if (failsOf(p, n, oc.salt)) throw new Error(`work ${p}->${n}: seeded failure`);
    return { state: 'worked', jc: { ...jc, value: valueOf(p, n, oc.salt) } };
  })
  // The join: waits, holding no slot, until every child settled; a few ms of work, so kills land in it.
  .state('merge', { join: true, concurrency: 4 })
  .to('done')
  .exec(async ({ ac, oc, jc, job, children }) => {
    ac.merging(job.id, job.state, children);
    if (jc.kind !== 'parent') throw new Error(`merge: not a parent: ${JSON.stringify(jc)}`);
    await sleep(2 + ((jc.p + oc.salt) % 7));
    let sum = 0;
    let worked = 0;
    let failed = 0;
    for (const child of children) {
      if (child.failed) failed++;
      else if (child.state === 'worked' && child.jc.kind === 'child') {
        worked++;
        sum += child.jc.value ?? Number.NaN;
      }
    }
    return { state: 'done', jc: { ...jc, sum, worked, failed } };
  })
  .terminal('worked', 'done')
  .build();

/** The run as it starts: PARENTS parents in split, ids '0'…'49'. */
export function newJoinRun(salt: number): Run<JoinOC, JoinJC> {
  const run = joinWorkflow.newRun(RUN_NAME, { salt });
  for (let p = 0; p < PARENTS; p++) run.add({ kind: 'parent', p }, 'split');
  return run;
}
