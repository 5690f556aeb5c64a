// The workflow of the crash campaign (test/crash-campaign.test.ts), shared by the child process that
// gets killed (test/support/crash-worker.ts) and the uninterrupted in-memory reference run.
//
// Every exec result depends on the job context only, never on timing or on the job's id, so the
// final run is the same however often the run is interrupted. The one thing timing decides is which
// of several parents kicking the same shared key wins the child; that child's context and fate
// depend on the key only, and it is always its parent's last kick, so no other id depends on it.
// And parse's retry policy counts attempts afresh in each process (documented), so a job whose
// attempts a kill interrupted makes, and records, more of them than in an uninterrupted run.
import { type Kick, type Run, workflow } from '../../src/index.js';

/** The jobs added when the run is new. */
export const SEEDS = 2000;
/** How many distinct shared keys the seeds fight over. */
export const SHARED_KEYS = 40;
/** Attempts of parse's exec per visit when it throws (the retry policy). */
export const PARSE_ATTEMPTS = 3;
/** The run's name in the file. */
export const RUN_NAME = 'crash-campaign';

export type CrashKind = 'seed' | 'child' | 'grandchild' | 'unique' | 'shared' | 'echo';
export interface CrashJC {
  readonly kind: CrashKind;
  readonly n: number;
  /** How many times fetch sent the job back to itself. */
  readonly tries: number;
  readonly body?: string;
  readonly words?: number;
  /** Pages indexed so far. */
  readonly pages?: number;
}
export interface CrashOC {
  readonly seeds: number;
}
/** `delay: false` runs the same workflow without the small real delays (the reference run). */
export interface CrashAC {
  readonly delay: boolean;
}

const jc = (kind: CrashKind, n: number): CrashJC => ({ kind, n, tries: 0 });

/** The key each seed is added with: a kick of it is always dropped. */
export const seedKey = (n: number): string => `seed:${n}`;
/** The shared key a seed's parse may kick. */
export const sharedKey = (n: number): string => `shared:${Math.floor(n / 4) % SHARED_KEYS}`;

/** What a job's parse kicks, in order; a pure function of its job context. */
export function parseKicks(c: CrashJC): Kick<CrashJC, 'fetch'>[] {
  const kicks: Kick<CrashJC, 'fetch'>[] = [];
  if (c.kind === 'seed') {
    if (c.n % 3 === 0) kicks.push({ state: 'fetch', jc: jc('child', c.n * 4) }, { state: 'fetch', jc: jc('child', c.n * 4 + 1) });
    // A link back to another seed: its key is taken since the seeds were added, so it is dropped.
    if (c.n % 10 === 7) kicks.push({ state: 'fetch', jc: jc('echo', c.n), key: seedKey((c.n + 1) % SEEDS) });
    if (c.n % 5 === 0) kicks.push({ state: 'fetch', jc: jc('unique', c.n), key: `unique:${c.n}` });
    // Last, and at most one per parent: whichever parent wins it, the ids of every other kick stay put.
    if (c.n % 4 === 1) kicks.push({ state: 'fetch', jc: jc('shared', Math.floor(c.n / 4) % SHARED_KEYS), key: sharedKey(c.n) });
  } else if (c.kind === 'child' && c.n % 6 === 0) {
    kicks.push({ state: 'fetch', jc: jc('grandchild', c.n) });
  }
  return kicks;
}

/** A small real delay: the next turn of the event loop, or a 1–2 ms timer, chosen by the job context. */
function pause(ac: CrashAC, c: CrashJC, salt: number): Promise<void> {
  if (!ac.delay) return Promise.resolve();
  const pick = (c.n * 7 + c.tries * 3 + salt) % 4;
  return new Promise((resolve) => (pick === 0 ? setImmediate(resolve) : setTimeout(resolve, pick - 1)));
}

export const crashWorkflow = workflow<CrashAC, CrashOC, CrashJC>('crash-campaign')
  .state('fetch', { concurrency: 6 })
  .to('parse', 'fetch')
  .exec(async ({ ac, jc: c }) => {
    await pause(ac, c, 1);
    // No retry policy here: a thrown error leaves the job in fetch, marked failed.
    if (c.kind === 'seed' && c.n % 97 === 13) throw new Error(`fetch ${c.kind} ${c.n}: connection reset`);
    if (c.n % 7 === 3 && c.tries < 2) {
      return { state: 'fetch', jc: { ...c, tries: c.tries + 1 }, error: `fetch ${c.kind} ${c.n}: 503, try ${c.tries + 1}` };
    }
    return { state: 'parse', jc: { ...c, body: `<p>${c.kind} ${c.n}: ${'lorem ipsum '.repeat(8 + (c.n % 16))}</p>` } };
  })
  // A thrown error here is retried (each attempt recorded), then the job goes to 'unparsable'.
  .state('parse', { concurrency: 4, recursive: true, retry: { attempts: PARSE_ATTEMPTS, backoff: { initialMs: 1, maxMs: 2 }, then: 'unparsable' } })
  .to('index', 'unparsable')
  .spawns('fetch')
  .exec(async ({ ac, jc: c }) => {
    await pause(ac, c, 2);
    if (c.kind === 'child' && c.n % 89 === 7) throw new Error(`parse ${c.kind} ${c.n}: unexpected end of input`);
    const next: CrashJC = { ...c, words: (c.body ?? '').length, pages: 0 };
    const kicks = parseKicks(c);
    if (c.n % 11 === 5) return { state: 'index', jc: next, kicks, error: `parse ${c.kind} ${c.n}: partial document` };
    return { state: 'index', jc: next, kicks };
  })
  // A loop on one state: a job indexes PAGES(n) pages, one transition each, before it is done.
  .state('index', { concurrency: 16 })
  .to('index', 'done')
  .exec(async ({ ac, jc: c }) => {
    await pause(ac, c, 3 + (c.pages ?? 0));
    const pages = (c.pages ?? 0) + 1;
    return { state: pages > c.n % 6 ? 'done' : 'index', jc: { ...c, pages } };
  })
  .terminal('done', 'unparsable')
  .build();

/** The run as it starts: SEEDS jobs in fetch, each added with its seed key. */
export function newCrashRun(): Run<CrashOC, CrashJC> {
  const run = crashWorkflow.newRun(RUN_NAME, { seeds: SEEDS });
  for (let n = 0; n < SEEDS; n++) run.add(jc('seed', n), 'fetch', { key: seedKey(n) });
  return run;
}
