// The workflow of the crash campaigns (scripts/crash-campaign.ts, run by `npm run crash` and by
// test/crash-campaign.test.ts), shared by the child process that gets killed
// (test/support/crash-worker.ts) and the uninterrupted in-memory reference run.
//
// Every exec result depends on the job context and the run's salt only, never on timing or on the
// job's id, so the final run is the same however often the run is interrupted. The one thing timing
// decides is which of several parents kicking the same shared key wins the child; that child's
// context and fate depend on the key only, and it is always its parent's last kick, so no other id
// depends on it. And parse's retry policy counts attempts afresh in each process (documented), so a
// job whose attempts a kill interrupted makes, and records, more of them than in an uninterrupted run.
//
// Each exec leaves an observable effect, so a transition applied twice shows:
// - every returned transition increments `jc.steps` (and `jc.soft` when it records an error), so a
//   job's history has exactly `steps` + (thrown errors that moved it) entries after its first;
// - every error message carries a tag unique to the exec that made it (`[thrown <tag>]`,
//   `[soft <tag>]`), so the same record applied twice shows as a tag seen twice.
import { HISTORY_LIMIT } from '../../src/model/apply-record.js';
import { type Job, type Kick, type Run, workflow } from '../../src/index.js';

/** The jobs added when the run is new, by default. */
export const SEEDS = 2000;
/** How many distinct shared keys the seeds fight over. */
export const SHARED_KEYS = 40;
/** Attempts of parse's exec per visit when it throws (the retry policy). */
export const PARSE_ATTEMPTS = 3;
/** The run's name in the file. */
export const RUN_NAME = 'crash-campaign';
/** The states a job may end in. */
export const TERMINAL_STATES: ReadonlySet<string> = new Set(['done', 'unparsable']);

export type CrashKind = 'seed' | 'child' | 'grandchild' | 'unique' | 'shared' | 'echo';
export interface CrashJC {
  readonly kind: CrashKind;
  readonly n: number;
  /** How many times fetch sent the job back to itself. */
  readonly tries: number;
  /** Returned transitions applied to this job: the exec's observable effect. */
  readonly steps: number;
  /** Of those, the ones that recorded an error. */
  readonly soft: number;
  readonly body?: string;
  readonly words?: number;
  /** Pages indexed so far. */
  readonly pages?: number;
}
export interface CrashOC {
  readonly seeds: number;
  /** Varies which jobs fail, retry, loop and run slowly; 0 by default. */
  readonly salt?: number;
}
/**
 * `delay: false` runs the same workflow without the real delays (the reference run). `tag` names
 * each exec call uniquely (a process prefix and a counter).
 */
export interface CrashAC {
  readonly delay: boolean;
  readonly tag: () => string;
}

const jc = (kind: CrashKind, n: number): CrashJC => ({ kind, n, tries: 0, steps: 0, soft: 0 });

/** The key each seed is added with: a kick of it is always dropped. */
export const seedKey = (n: number): string => `seed:${n}`;
/** The shared key a seed's parse may kick. */
export const sharedKey = (n: number): string => `shared:${Math.floor(n / 4) % SHARED_KEYS}`;

/** What a job's parse kicks, in order; a pure function of its job context. */
export function parseKicks(c: CrashJC, seeds: number): Kick<CrashJC, 'fetch'>[] {
  const kicks: Kick<CrashJC, 'fetch'>[] = [];
  if (c.kind === 'seed') {
    if (c.n % 3 === 0) kicks.push({ state: 'fetch', jc: jc('child', c.n * 4) }, { state: 'fetch', jc: jc('child', c.n * 4 + 1) });
    // A link back to another seed: its key is taken since the seeds were added, so it is dropped.
    if (c.n % 10 === 7) kicks.push({ state: 'fetch', jc: jc('echo', c.n), key: seedKey((c.n + 1) % seeds) });
    if (c.n % 5 === 0) kicks.push({ state: 'fetch', jc: jc('unique', c.n), key: `unique:${c.n}` });
    // Last, and at most one per parent: whichever parent wins it, the ids of every other kick stay put.
    if (c.n % 4 === 1) kicks.push({ state: 'fetch', jc: jc('shared', Math.floor(c.n / 4) % SHARED_KEYS), key: sharedKey(c.n) });
  } else if (c.kind === 'child' && c.n % 6 === 0) {
    kicks.push({ state: 'fetch', jc: jc('grandchild', c.n) });
  }
  return kicks;
}

/** A job's name that does not depend on timing: its kind and number (a shared-key child's id names whichever parent won it). */
export function stableName(job: Readonly<Job<CrashJC>>): string {
  return `${job.jc.kind}:${job.jc.n}`;
}

/** Terminal, or stopped marked failed: what the processor counts as settled. */
export function isSettled(job: Readonly<Job<CrashJC>>): boolean {
  return TERMINAL_STATES.has(job.state) || job.failed === true;
}

/** The error tag of an exec: which kind, and the exec it came from. */
const TAG = / \[(thrown|soft) ([^\]]+)\]/;

/** Error messages with their exec tags removed (`[thrown]`, `[soft]` stay): what an uninterrupted run records too. */
export function untagged(message: string): string {
  return message.replace(TAG, (_all, kind: string) => ` [${kind}]`);
}

/**
 * How many transitions were applied to a job, from its context and errors alone: every returned
 * one incremented `steps`, every thrown one recorded an error tagged `thrown`. Monotonic: what is
 * on disk after a crash is never less than what was acknowledged.
 */
export function progressOf(job: Readonly<Job<CrashJC>>): number {
  let thrown = 0;
  for (const list of Object.values(job.errors)) for (const message of list) if (TAG.exec(message)?.[1] === 'thrown') thrown++;
  return job.jc.steps + thrown;
}

/**
 * What is wrong with a job's own record of its transitions, if anything: a history entry per
 * transition that moved it (all but a thrown one that marked it failed), a `soft` error per
 * returned transition that recorded one, and no exec's tag twice. A record applied twice breaks
 * one of these.
 */
export function selfCheck(job: Readonly<Job<CrashJC>>): string | undefined {
  let thrown = 0;
  let soft = 0;
  const tags = new Set<string>();
  for (const list of Object.values(job.errors)) {
    for (const message of list) {
      const m = TAG.exec(message);
      if (m === null) return `error without an exec tag: ${JSON.stringify(message)}`;
      if (tags.has(m[2] as string)) return `exec ${m[2]}'s error recorded twice: ${JSON.stringify(message)}`;
      tags.add(m[2] as string);
      if (m[1] === 'thrown') thrown++;
      else soft++;
    }
  }
  if (soft !== job.jc.soft) return `${soft} soft errors recorded, jc.soft is ${job.jc.soft}`;
  const moves = job.jc.steps + thrown - (job.failed === true ? 1 : 0);
  // The history keeps its last HISTORY_LIMIT entries only.
  if (job.history.length < HISTORY_LIMIT && job.history.length !== 1 + moves) {
    return `${job.history.length} history entries, want 1 + ${moves} (${job.jc.steps} returned transitions, ${thrown} thrown)`;
  }
  return undefined;
}

/** A small real delay: the next turn of the event loop, or a 0–2 ms timer; 1 exec in 41 is slow (10–40 ms). */
function pause(ac: CrashAC, c: CrashJC, salt: number, at: number): Promise<void> {
  if (!ac.delay) return Promise.resolve();
  if ((c.n * 31 + salt + at) % 41 === 0) return new Promise((resolve) => setTimeout(resolve, 10 + ((c.n + salt) % 31)));
  const pick = (c.n * 7 + c.tries * 3 + at) % 4;
  return new Promise((resolve) => (pick === 0 ? setImmediate(resolve) : setTimeout(resolve, pick - 1)));
}

const step = (c: CrashJC, soft = false): Pick<CrashJC, 'steps' | 'soft'> => ({ steps: c.steps + 1, soft: c.soft + (soft ? 1 : 0) });

export const crashWorkflow = workflow<CrashAC, CrashOC, CrashJC>('crash-campaign')
  .state('fetch', { concurrency: 6 })
  .to('parse', 'fetch')
  .exec(async ({ ac, oc, jc: c }) => {
    const salt = oc.salt ?? 0;
    await pause(ac, c, salt, 1);
    // No retry policy here: a thrown error leaves the job in fetch, marked failed.
    if (c.kind === 'seed' && (c.n + salt) % 97 === 13) throw new Error(`fetch ${c.kind} ${c.n}: connection reset [thrown ${ac.tag()}]`);
    if ((c.n + salt) % 7 === 3 && c.tries < 2) {
      return { state: 'fetch', jc: { ...c, ...step(c, true), tries: c.tries + 1 }, error: `fetch ${c.kind} ${c.n}: 503, try ${c.tries + 1} [soft ${ac.tag()}]` };
    }
    return { state: 'parse', jc: { ...c, ...step(c), body: `<p>${c.kind} ${c.n}: ${'lorem ipsum '.repeat(8 + (c.n % 16))}</p>` } };
  })
  // A thrown error here is retried (each attempt recorded), then the job goes to 'unparsable'.
  .state('parse', { concurrency: 4, recursive: true, retry: { attempts: PARSE_ATTEMPTS, backoff: { initialMs: 1, maxMs: 2 }, then: 'unparsable' } })
  .to('index', 'unparsable')
  .spawns('fetch')
  .exec(async ({ ac, oc, jc: c }) => {
    const salt = oc.salt ?? 0;
    await pause(ac, c, salt, 2);
    if (c.kind === 'child' && (c.n + salt) % 89 === 7) throw new Error(`parse ${c.kind} ${c.n}: unexpected end of input [thrown ${ac.tag()}]`);
    const kicks = parseKicks(c, oc.seeds);
    const soft = (c.n + salt) % 11 === 5;
    const next: CrashJC = { ...c, ...step(c, soft), words: (c.body ?? '').length, pages: 0 };
    if (soft) return { state: 'index', jc: next, kicks, error: `parse ${c.kind} ${c.n}: partial document [soft ${ac.tag()}]` };
    return { state: 'index', jc: next, kicks };
  })
  // A loop on one state: a job indexes PAGES(n) pages, one transition each, before it is done.
  .state('index', { concurrency: 16 })
  .to('index', 'done')
  .exec(async ({ ac, oc, jc: c }) => {
    const salt = oc.salt ?? 0;
    await pause(ac, c, salt, 3 + (c.pages ?? 0));
    const pages = (c.pages ?? 0) + 1;
    return { state: pages > (c.n + salt) % 6 ? 'done' : 'index', jc: { ...c, ...step(c), pages } };
  })
  .terminal('done', 'unparsable')
  .build();

/** The run as it starts: `seeds` jobs in fetch, each added with its seed key. */
export function newCrashRun(seeds: number = SEEDS, salt = 0): Run<CrashOC, CrashJC> {
  const run = crashWorkflow.newRun(RUN_NAME, salt === 0 ? { seeds } : { seeds, salt });
  for (let n = 0; n < seeds; n++) run.add(jc('seed', n), 'fetch', { key: seedKey(n) });
  return run;
}

/** The AC of an uninterrupted reference run: no delays, and tags that only need to be unique. */
export function referenceAc(): CrashAC {
  let n = 0;
  return { delay: false, tag: () => `ref.${++n}` };
}
