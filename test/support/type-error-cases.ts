// The mistakes users make when writing a workflow, each as a small crawl, shared by
// test/type-errors.test.ts (which pins what the compiler says) and scripts/type-errors-doc.ts
// (which prints it to docs/type-errors.md so users can search the messages).

/** Every snippet starts with these 7 lines, so line 8 is the first line of the workflow. */
export const PREAMBLE = `import { workflow } from '../src/index.js';

type AC = { api: { get(url: string, signal: AbortSignal): Promise<string> } };
type OC = { outDir: string };
type JC = { url: string; body?: string };

declare function links(html: string | undefined): string[];
`;

/** One mistake, the program that makes it, and how to fix it. */
export interface TypeErrorCase {
  /** Stable id: the test's handle and the doc's anchor. */
  readonly id: string;
  /** The mistake class, as a heading. */
  readonly title: string;
  /** What the user did, in one or two sentences (markdown). */
  readonly mistake: string;
  /** The whole file: {@link PREAMBLE} and the workflow. */
  readonly snippet: string;
  /**
   * Where the compiler reports it: the first occurrence of this text in the snippet is where the
   * diagnostic starts. Undefined when the compiler reports nothing (a mistake it cannot see).
   */
  readonly at: string | undefined;
  /** Why the diagnostic starts at `at` when that is not the offending call itself (markdown). */
  readonly whyThere?: string;
  /**
   * Words (state or field names) the message or its related information must contain, standing
   * alone: `fetch` does not match inside `fetch-failed`.
   */
  readonly names: readonly string[];
  /** How to fix it (markdown). */
  readonly fix: string;
  /** The fix as text replacements on the snippet; the fixed program must compile clean. */
  readonly replace: readonly (readonly [from: string, to: string])[];
}

const file = (workflow: string): string => `${PREAMBLE}\n${workflow}`;

/** The mistakes, in the order the doc lists them. */
export const TYPE_ERROR_CASES: readonly TypeErrorCase[] = [
  {
    id: 'exec-returns-unknown-state',
    title: 'An exec returns a state that is not one of its `.to(...)` targets',
    mistake:
      'An exec written as an arrow returning an object literal names a state its `.to(...)` does not list: here a typo, `fecth`. The compiler checks the literal itself, so the message is one line, at the state.',
    snippet: file(`export const crawl = workflow<AC, OC, JC>('crawl')
  .state('fetch', { concurrency: 10 })
  .to('parse')
  .exec(async ({ ac, jc, signal }) => ({ state: 'parse', jc: { ...jc, body: await ac.api.get(jc.url, signal) } }))
  .state('parse', { concurrency: 4 })
  .to('done', 'fetch')
  .exec(({ jc }) => ({ state: 'fecth', jc: { url: jc.url } }))
  .terminal('done')
  .build();
`),
    at: `state: 'fecth'`,
    names: ['fecth'],
    fix: 'Return one of the targets the message lists, or add the state to this state\'s `.to(...)` (and declare it).',
    replace: [[`state: 'fecth'`, `state: 'fetch'`]],
  },
  {
    id: 'async-exec-returns-unknown-state',
    title: 'An async exec returns a state that is not one of its `.to(...)` targets',
    mistake:
      'The same mistake in an `async` exec with a block body (`try`/`catch`, several `return`s). The compiler compares the whole function with `ExecFn`, so the message is a long chain that names the state on its last line. A synchronous exec with several returns (a block, or a `?:`) gets a shorter chain of the same kind.',
    snippet: file(`export const crawl = workflow<AC, OC, JC>('crawl')
  .state('fetch', { concurrency: 10 })
  .to('parse', 'fetch-failed')
  .exec(async ({ ac, jc, signal }) => {
    try {
      return { state: 'prase', jc: { ...jc, body: await ac.api.get(jc.url, signal) } };
    } catch (error) {
      return { state: 'fetch-failed', jc, error: String(error) };
    }
  })
  .state('parse', { concurrency: 4 })
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc }))
  .terminal('done', 'fetch-failed')
  .build();
`),
    at: 'async ({ ac, jc, signal }) => {',
    whyThere:
      'TypeScript does not check each `return` of a contextually typed function: it infers the function\'s return type and reports the whole function, at the argument of `.exec(...)`. Read the last line of the message.',
    names: ['prase'],
    fix: 'Return one of the targets the last line lists (`"parse" | "fetch-failed"`), or add the state to `.to(...)`.',
    replace: [[`state: 'prase'`, `state: 'parse'`]],
  },
  {
    id: 'undeclared-target',
    title: 'A `.to(...)` target is never declared',
    mistake: 'A state names a target (`prase`, a typo) that no `.state(...)` or `.terminal(...)` declares. Each exec step compiles; `.build()` does not.',
    snippet: file(`export const crawl = workflow<AC, OC, JC>('crawl')
  .state('fetch', { concurrency: 10 })
  .to('prase', 'fetch-failed')
  .exec(async ({ ac, jc, signal }) => ({ state: 'prase', jc: { ...jc, body: await ac.api.get(jc.url, signal) } }))
  .state('parse', { concurrency: 4 })
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc }))
  .terminal('done', 'fetch-failed')
  .build();
`),
    at: `build();`,
    whyThere:
      "`.build` has a function type only when every target is declared; otherwise its type is the sentence, which cannot be called, so the error is at `build` and the sentence is on its second line, whatever the workflow's size (the first 200 characters name the state at 200 states too).",
    names: ['prase'],
    fix: 'Declare the state (`.state("prase", …)` or `.terminal("prase")`), or correct the name in `.to(...)` and in the exec.',
    replace: [
      [`.to('prase', 'fetch-failed')`, `.to('parse', 'fetch-failed')`],
      [`state: 'prase'`, `state: 'parse'`],
    ],
  },
  {
    id: 'duplicate-state',
    title: 'A state is declared twice with `.state(...)`',
    mistake: 'A second `.state("fetch", …)`, pasted to add a slower retry, reuses a name already declared.',
    snippet: file(`export const crawl = workflow<AC, OC, JC>('crawl')
  .state('fetch', { concurrency: 10 })
  .to('parse', 'fetch')
  .exec(async ({ ac, jc, signal }) => ({ state: 'parse', jc: { ...jc, body: await ac.api.get(jc.url, signal) } }))
  .state('parse', { concurrency: 4 })
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc }))
  .state('fetch', { concurrency: 1 })
  .to('parse')
  .exec(async ({ ac, jc, signal }) => ({ state: 'parse', jc: { ...jc, body: await ac.api.get(jc.url, signal) } }))
  .terminal('done')
  .build();
`),
    at: `'fetch', { concurrency: 1 }`,
    names: ['fetch', 'already declared'],
    fix: 'Give the second state its own name (and name it in the `.to(...)` of the states that go there), or merge the two.',
    replace: [
      [`.state('fetch', { concurrency: 1 })`, `.state('refetch', { concurrency: 1 })`],
      [`.to('parse', 'fetch')`, `.to('parse', 'refetch')`],
    ],
  },
  {
    id: 'terminal-repeats-state',
    title: '`.terminal(...)` repeats a state declared with `.state(...)`',
    mistake: '`fetch-failed` has an exec (it records the failure) and is listed in `.terminal(...)` too.',
    snippet: file(`export const crawl = workflow<AC, OC, JC>('crawl')
  .state('fetch', { concurrency: 10 })
  .to('parse', 'fetch-failed')
  .exec(async ({ ac, jc, signal }) => ({ state: 'parse', jc: { ...jc, body: await ac.api.get(jc.url, signal) } }))
  .state('fetch-failed')
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc, error: \`gave up on \${jc.url}\` }))
  .state('parse', { concurrency: 4 })
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc }))
  .terminal('done', 'fetch-failed')
  .build();
`),
    at: `'fetch-failed')\n  .build()`,
    names: ['fetch-failed', 'already declared'],
    fix: 'A state is either terminal or has an exec: drop it from `.terminal(...)`, or drop its `.state(...).to(...).exec(...)`.',
    replace: [[`.terminal('done', 'fetch-failed')`, `.terminal('done')`]],
  },
  {
    id: 'terminal-repeats-name',
    title: 'One `.terminal(...)` lists a name twice',
    mistake: '`fetch-failed` is listed twice in the same `.terminal(...)`.',
    snippet: file(`export const crawl = workflow<AC, OC, JC>('crawl')
  .state('fetch', { concurrency: 10 })
  .to('parse', 'fetch-failed')
  .exec(async ({ ac, jc, signal }) => ({ state: 'parse', jc: { ...jc, body: await ac.api.get(jc.url, signal) } }))
  .state('parse', { concurrency: 4 })
  .to('done', 'parse-failed')
  .exec(({ jc }) => ({ state: 'done', jc }))
  .terminal('done', 'fetch-failed', 'parse-failed', 'fetch-failed')
  .build();
`),
    at: `'fetch-failed', 'parse-failed', 'fetch-failed'`,
    whyThere: 'The first of the two is reported.',
    names: ['fetch-failed', 'repeated'],
    fix: 'List each terminal state once.',
    replace: [[`.terminal('done', 'fetch-failed', 'parse-failed', 'fetch-failed')`, `.terminal('done', 'fetch-failed', 'parse-failed')`]],
  },
  {
    id: 'kick-not-spawn-target',
    title: 'A kick goes to a state that is not one of the `.spawns(...)` targets',
    mistake: 'The parse state kicks children straight into `parse`; its `.spawns(...)` allows only `fetch`.',
    snippet: file(`export const crawl = workflow<AC, OC, JC>('crawl')
  .state('fetch', { concurrency: 10 })
  .to('parse')
  .exec(async ({ ac, jc, signal }) => ({ state: 'parse', jc: { ...jc, body: await ac.api.get(jc.url, signal) } }))
  .state('parse', { concurrency: 4 })
  .to('done')
  .spawns('fetch')
  .exec(({ jc }) => ({
    state: 'done',
    jc,
    kicks: links(jc.body).map((url) => ({ state: 'parse', jc: { url }, key: url })),
  }))
  .terminal('done')
  .build();
`),
    at: 'kicks: links',
    names: ['parse', 'fetch'],
    fix: 'Kick into one of the `.spawns(...)` targets, or add the state to `.spawns(...)`.',
    replace: [[`({ state: 'parse', jc: { url }, key: url })`, `({ state: 'fetch', jc: { url }, key: url })`]],
  },
  {
    id: 'kick-without-spawns',
    title: 'An exec kicks, but its state has no `.spawns(...)`',
    mistake:
      'The parse state kicks children into `fetch`, but `.spawns(...)` is left out. A state kicks only into the states its `.spawns(...)` names, so without one its kicks have nowhere to go; the kick-target type of such a state says what to add.',
    snippet: file(`export const crawl = workflow<AC, OC, JC>('crawl')
  .state('fetch', { concurrency: 10 })
  .to('parse')
  .exec(async ({ ac, jc, signal }) => ({ state: 'parse', jc: { ...jc, body: await ac.api.get(jc.url, signal) } }))
  .state('parse', { concurrency: 4 })
  .to('done')
  .exec(({ jc }) => ({
    state: 'done',
    jc,
    kicks: links(jc.body).map((url) => ({ state: 'fetch', jc: { url }, key: url })),
  }))
  .terminal('done')
  .build();
`),
    at: 'kicks: links',
    names: ['fetch', '.spawns(…)'],
    fix: "Declare the states the exec kicks into: `.spawns('fetch')` after `.to(...)`.",
    replace: [[`.to('done')`, `.to('done').spawns('fetch')`]],
  },
  {
    id: 'fail-state-not-target',
    title: "A timeout's `failState` is not one of the state's `.to(...)` targets",
    mistake: 'The fetch state times out into `fetch-failed`, but its `.to(...)` does not list `fetch-failed`.',
    snippet: file(`export const crawl = workflow<AC, OC, JC>('crawl')
  .state('fetch', { concurrency: 10, timeout: { ms: 30_000, failState: 'fetch-failed' } })
  .to('parse', 'fetch')
  .exec(async ({ ac, jc, signal }) => ({ state: 'parse', jc: { ...jc, body: await ac.api.get(jc.url, signal) } }))
  .state('parse', { concurrency: 4 })
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc }))
  .terminal('done', 'fetch-failed')
  .build();
`),
    at: `async ({ ac, jc, signal }) =>`,
    whyThere:
      "`.exec`'s parameter is the exec type intersected with a sentence when the failState is not a target, so the error lands on the exec of that state and its last line is the sentence.",
    names: ['fetch-failed', 'fetch'],
    fix: "Add the failState to the state's `.to(...)`.",
    replace: [[`.to('parse', 'fetch')`, `.to('parse', 'fetch', 'fetch-failed')`]],
  },
  {
    id: 'missing-exec',
    title: 'A state has no `.exec(fn)`',
    mistake: 'The fetch state names its targets, and the chain goes on to the next `.state(...)` without its exec.',
    snippet: file(`export const crawl = workflow<AC, OC, JC>('crawl')
  .state('fetch', { concurrency: 10 })
  .to('parse')
  .state('parse', { concurrency: 4 })
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc }))
  .terminal('done')
  .build();
`),
    at: `'parse', { concurrency: 4 }`,
    whyThere:
      'After `.to(...)` the next call must be `.exec(fn)` (or `.spawns(...)`): a `.state(...)` or `.terminal(...)` there takes its name intersected with the sentence (and `.build` is typed as it), so the error is at the next name and names the state without an exec. The rest of the chain is still checked: this is the only error.',
    names: ['fetch', 'has no exec'],
    fix: 'Add the exec after `.to(...)`.',
    replace: [[`.to('parse')`, `.to('parse').exec(async ({ ac, jc, signal }) => ({ state: 'parse', jc: { ...jc, body: await ac.api.get(jc.url, signal) } }))`]],
  },
  {
    id: 'missing-targets',
    title: 'A state has no `.to(...)`',
    mistake: 'The parse state goes straight from `.state(...)` to `.exec(fn)`; `.to(...)` names the states its exec may return, and is left out.',
    snippet: file(`export const crawl = workflow<AC, OC, JC>('crawl')
  .state('fetch', { concurrency: 10 })
  .to('parse')
  .exec(async ({ ac, jc, signal }) => ({ state: 'parse', jc: { ...jc, body: await ac.api.get(jc.url, signal) } }))
  .state('parse', { concurrency: 4 })
  .exec(({ jc }) => ({ state: 'done', jc }))
  .terminal('done')
  .build();
`),
    at: `({ jc }) => ({ state: 'done', jc })`,
    whyThere: "`.exec` right after `.state(...)` takes the exec intersected with the sentence: the exec's parameters are still typed, and the error is at the exec, naming its state.",
    names: ['parse', '.to(…)'],
    fix: "Add `.to(...)` with the states the exec returns.",
    replace: [[`.state('parse', { concurrency: 4 })`, `.state('parse', { concurrency: 4 }).to('done')`]],
  },
  {
    id: 'missing-build',
    title: 'The workflow is used without `.build()`',
    mistake: 'The chain ends at `.terminal(...)`, so `crawl` is the builder, not a workflow, and the run is started from it.',
    snippet: file(`export const crawl = workflow<AC, OC, JC>('crawl')
  .state('fetch', { concurrency: 10 })
  .to('parse')
  .exec(async ({ ac, jc, signal }) => ({ state: 'parse', jc: { ...jc, body: await ac.api.get(jc.url, signal) } }))
  .state('parse', { concurrency: 4 })
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc }))
  .terminal('done');

export const run = crawl.newRun('nightly', { outDir: 'out' }).add({ url: 'https://example.com' }, 'fetch');
`),
    at: 'newRun',
    whyThere:
      "The builder has a workflow's members (`newRun`, `graph`, `name`, `states`) typed as the sentence, so whatever uses it as a workflow names the missing call: here at `newRun`; passed to `new Processor(…)`, `store.load(…)` or `lintWorkflow(…)`, the message's third line is `Type 'TypeMessage<\"This is a workflow builder, not a workflow: end its definition with .build()\">' …`.",
    names: ['.build()'],
    fix: 'End the definition with `.build()`.',
    replace: [[`.terminal('done');`, `.terminal('done').build();`]],
  },
  {
    id: 'jc-missing-field',
    title: 'The returned `jc` lacks a required field',
    mistake: 'The parse state returns a fresh job context without `url`.',
    snippet: file(`export const crawl = workflow<AC, OC, JC>('crawl')
  .state('fetch', { concurrency: 10 })
  .to('parse')
  .exec(async ({ ac, jc, signal }) => ({ state: 'parse', jc: { ...jc, body: await ac.api.get(jc.url, signal) } }))
  .state('parse', { concurrency: 4 })
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc: { body: jc.body?.trim() ?? '' } }))
  .terminal('done')
  .build();
`),
    at: `jc: { body: jc.body?.trim()`,
    names: ['url'],
    fix: 'Return a whole `JC`: spread the one you were given (`{ ...jc, body }`) or set every required field.',
    replace: [[`jc: { body: jc.body?.trim() ?? '' }`, `jc: { ...jc, body: jc.body?.trim() ?? '' }`]],
  },
  {
    id: 'jc-misspelt-field',
    title: 'The returned `jc` misspells a required field',
    mistake: 'The parse state returns `{ uri }` where `JC` has `url`.',
    snippet: file(`export const crawl = workflow<AC, OC, JC>('crawl')
  .state('fetch', { concurrency: 10 })
  .to('parse')
  .exec(async ({ ac, jc, signal }) => ({ state: 'parse', jc: { ...jc, body: await ac.api.get(jc.url, signal) } }))
  .state('parse', { concurrency: 4 })
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc: { uri: jc.url } }))
  .terminal('done')
  .build();
`),
    at: 'uri: jc.url',
    names: ['uri'],
    fix: 'Use the field names of `JC`.',
    replace: [[`{ uri: jc.url }`, `{ url: jc.url }`]],
  },
  {
    id: 'jc-wrong-field-type',
    title: 'A field of the returned `jc` has the wrong type',
    mistake: 'The parse state stores the list of links in `body`, a `string`.',
    snippet: file(`export const crawl = workflow<AC, OC, JC>('crawl')
  .state('fetch', { concurrency: 10 })
  .to('parse')
  .exec(async ({ ac, jc, signal }) => ({ state: 'parse', jc: { ...jc, body: await ac.api.get(jc.url, signal) } }))
  .state('parse', { concurrency: 4 })
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc: { ...jc, body: links(jc.body) } }))
  .terminal('done')
  .build();
`),
    at: 'body: links(jc.body)',
    whyThere: 'The message does not name the field; the diagnostic starts at it, and its related information (shown by editors and `tsc --pretty`) says which property of `JC` expects the type.',
    names: ['body'],
    fix: 'Give the field its declared type, or widen `JC`.',
    replace: [[`body: links(jc.body)`, `body: links(jc.body).join('\\n')`]],
  },
  {
    id: 'run-add-unknown-state',
    title: '`run.add(jc, state)` names a state the workflow does not have',
    mistake: 'The seed job is added in `fecth`.',
    snippet: file(`export const crawl = workflow<AC, OC, JC>('crawl')
  .state('fetch', { concurrency: 10 })
  .to('parse')
  .exec(async ({ ac, jc, signal }) => ({ state: 'parse', jc: { ...jc, body: await ac.api.get(jc.url, signal) } }))
  .state('parse', { concurrency: 4 })
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc }))
  .terminal('done')
  .build();

const seed = 'https://example.com';
export const run = crawl.newRun('nightly', { outDir: 'out' }).add({ url: seed }, 'fecth', { key: seed });
`),
    at: `'fecth'`,
    names: ['fecth'],
    fix: "Use one of the workflow's states (the message lists them all).",
    replace: [[`'fecth'`, `'fetch'`]],
  },
  {
    id: 'jc-not-json',
    title: 'The job context holds a field JSON cannot store',
    mistake:
      'The job context gets a `Date` (nested, in `meta.fetchedAt`). Job contexts are stored as JSON with the run, so it would come back as a string; the same goes for a function, a `Map` or `Set`, a `bigint`, a field that is always `undefined`, in `JC` or `OC`.',
    snippet: file(`type Page = JC & { meta: { fetchedAt: Date } };

export const crawl = workflow<AC, OC, Page>('crawl')
  .state('fetch', { concurrency: 10 })
  .to('done')
  .exec(async ({ ac, jc, signal }) => ({ state: 'done', jc: { ...jc, body: await ac.api.get(jc.url, signal) } }))
  .terminal('done')
  .build();
`),
    at: `'crawl'`,
    whyThere: "`workflow()`'s name parameter is typed as the sentence when a context cannot be stored, so the error is at the name, where the contexts are given.",
    names: ['meta.fetchedAt', 'Date'],
    fix: 'Store what JSON keeps: an ISO string (`new Date().toISOString()`) or epoch milliseconds (`Date.now()`) for a time, a plain object or an array for a `Map` or `Set`, a string for a `bigint`; keep functions in `AC`.',
    replace: [[`fetchedAt: Date`, `fetchedAt: string`]],
  },
  {
    id: 'jc-misspelt-optional-field',
    title: 'Not caught: the returned `jc` misspells an optional field',
    mistake:
      'The parse state sets `bdy` instead of `body`. TypeScript checks excess properties only in an object literal checked against a declared type; an exec\'s return type is inferred, so the extra field goes through, and is stored with the job.',
    snippet: file(`export const crawl = workflow<AC, OC, JC>('crawl')
  .state('fetch', { concurrency: 10 })
  .to('parse')
  .exec(async ({ ac, jc, signal }) => ({ state: 'parse', jc: { ...jc, bdy: await ac.api.get(jc.url, signal) } }))
  .state('parse', { concurrency: 4 })
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc }))
  .terminal('done')
  .build();
`),
    at: undefined,
    names: [],
    fix: 'Check the literal against `JC` where you write it: `jc: { ...jc, bdy: text } satisfies JC` reports `\'bdy\' does not exist in type \'JC\'. Did you mean to write \'body\'?`.',
    replace: [[`bdy:`, `body:`]],
  },
  {
    id: 'kicks-misspelt',
    title: 'Not caught: `kicks` misspelt',
    mistake:
      'The parse state returns `kick: [...]`. For the same reason (an inferred return type is not checked for excess properties) this compiles, and the engine ignores the unknown key: no child job is started.',
    snippet: file(`export const crawl = workflow<AC, OC, JC>('crawl')
  .state('fetch', { concurrency: 10 })
  .to('parse')
  .exec(async ({ ac, jc, signal }) => ({ state: 'parse', jc: { ...jc, body: await ac.api.get(jc.url, signal) } }))
  .state('parse', { concurrency: 4 })
  .to('done')
  .spawns('fetch')
  .exec(({ jc }) => ({ state: 'done', jc, kick: links(jc.body).map((url) => ({ state: 'fetch', jc: { url }, key: url })) }))
  .terminal('done')
  .build();
`),
    at: undefined,
    names: [],
    fix: 'Spell it `kicks`.',
    replace: [[`kick:`, `kicks:`]],
  },
];

/** The case with this id; throws on a typo so a test never silently checks nothing. */
export function typeErrorCase(id: string): TypeErrorCase {
  const found = TYPE_ERROR_CASES.find((c) => c.id === id);
  if (!found) throw new Error(`no type-error case ${JSON.stringify(id)}`);
  return found;
}

/** The snippet with the case's fix applied; each replacement must match exactly once. */
export function fixedSnippet(c: TypeErrorCase): string {
  let fixed = c.snippet;
  for (const [from, to] of c.replace) {
    const at = fixed.indexOf(from);
    if (at < 0 || fixed.indexOf(from, at + 1) >= 0) throw new Error(`case ${c.id}: ${JSON.stringify(from)} must occur exactly once`);
    fixed = fixed.slice(0, at) + to + fixed.slice(at + from.length);
  }
  return fixed;
}
