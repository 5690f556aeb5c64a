// Generates the source of a synthetic workflow of N states, for the type-check benchmark
// (scripts/bench-types.ts) and its CI gate (test/type-bench.test.ts).
//
// The workflow is written the way the README says large workflows are written: continued in a new
// statement every 20 states, so no single expression comes near the ~600 calls that overflow tsc's
// default stack. Each non-terminal state has 2–4 `.to(...)` targets (the next state, a fail state,
// sometimes a further forward state, a self-loop or a back-edge); about 1 in 5 `.spawns(...)` and
// kicks there; about 1 in 4 has a timeout whose failState is one of its targets; every exec
// branches on job-context fields and returns each of its targets somewhere, so every target
// literal is checked.
//
//   tsx scripts/generate-workflow.ts 200 [seed] > workflow.ts
import { pathToFileURL } from 'node:url';
import { prng } from './prng.js';

/** Options of {@link generateWorkflow} beyond size and seed. */
export interface GenerateOptions {
  /**
   * Adds this name as an extra `.to(...)` target (returned by its exec) of one state in the
   * middle, and never declares it: the one deliberate mistake the type tests expect `.build()` to
   * report, naming it.
   */
  readonly undeclaredTarget?: string;
}

/** The import path that works from `scripts/fixtures/<dir>/workflow.ts`. */
export const FIXTURE_IMPORT = '../../../src/index.js';

/** How many states each statement of the generated module declares. */
export const STATES_PER_STATEMENT = 20;

/**
 * The tsconfig a generated fixture is checked with (written next to it by the benchmark, parsed
 * by the test): the project's strictness, `skipLibCheck`, nothing emitted, only the fixture as a
 * root (it pulls in `src/` and `dsl/` through its import).
 */
export function fixtureTsconfig(file = 'workflow.ts'): { compilerOptions: Record<string, unknown>; files: string[] } {
  return {
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2023'],
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      types: ['node'],
      strict: true,
      noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true,
      skipLibCheck: true,
      noEmit: true,
    },
    files: [file],
  };
}

const VERBS = ['fetch', 'parse', 'check', 'store', 'enrich', 'index', 'resize', 'notify', 'validate', 'classify', 'dedupe', 'render', 'upload', 'score'];
const TERMINALS = ['done', 'failed', 'skipped', 'rejected', 'archived', 'expired', 'partial', 'deferred'];
/** Terminals a state may fail into (everything but `done`, `skipped`, `archived`, `partial`). */
const FAIL_TERMINALS = new Set(['failed', 'rejected', 'expired', 'deferred']);
const KINDS = ['page', 'image', 'feed'] as const;


interface PlannedState {
  readonly name: string;
  readonly targets: readonly string[];
  readonly fail: string;
  readonly spawns: readonly string[];
  readonly concurrency: number | undefined;
  readonly timeoutMs: number | undefined;
  readonly style: 'ternary' | 'sync' | 'async';
}

/**
 * The source of a module defining a synthetic workflow of `states` states (`states - terminals`
 * of them with an exec, a few terminal), exported as `wf`, followed by a line starting a run.
 * Deterministic for a given seed.
 *
 * @example
 * ```ts
 * writeFileSync('scripts/fixtures/200/workflow.ts', generateWorkflow(200));
 * ```
 */
export function generateWorkflow(states: number, seed = 1, options: GenerateOptions = {}): string {
  if (!Number.isInteger(states) || states < 1) throw new RangeError(`generateWorkflow(states): states must be a whole number from 1 up, got ${states}`);
  if (!Number.isInteger(seed)) throw new RangeError(`generateWorkflow(states, seed): seed must be a whole number, got ${seed}`);
  const random = prng(seed);
  const int = (n: number): number => Math.floor(random() * n); // 0 … n-1
  const chance = (p: number): boolean => random() < p;
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;

  // A few terminals: 2 up to 8, one more per 80 states; a 1-state workflow is one terminal.
  const terminalCount = states === 1 ? 1 : Math.min(TERMINALS.length, states - 1, 2 + Math.floor(states / 80));
  const terminals = TERMINALS.slice(0, terminalCount);
  const failTerminals = terminals.filter((t) => FAIL_TERMINALS.has(t));
  const done = terminals[0] ?? 'done';
  const nonTerminal = Array.from({ length: states - terminalCount }, (_, i) => `${pick(VERBS)}-${i}`);
  const ghostAt = options.undeclaredTarget === undefined ? -1 : Math.floor(nonTerminal.length / 2);

  const plan: PlannedState[] = nonTerminal.map((name, i) => {
    const forward = (distance: number): string => nonTerminal[i + distance] ?? done;
    // Every state leads to the next (so all are reachable from the first) and to a fail state.
    const fail = failTerminals.length > 0 ? pick(failTerminals) : done;
    const targets = new Set([forward(1), fail]);
    const want = 2 + int(3); // 2–4 targets; fewer only when a tiny workflow has too few names
    for (let tries = 0; targets.size < want && tries < 16; tries += 1) {
      const r = random();
      if (r < 0.45) targets.add(forward(2 + int(4)));
      else if (r < 0.7) targets.add(name); // a self-loop: retry
      else if (r < 0.9 && i > 0) targets.add(nonTerminal[int(i)] as string); // a back-edge
      else targets.add(pick(terminals));
    }
    if (i === ghostAt && options.undeclaredTarget !== undefined) targets.add(options.undeclaredTarget);
    const spawns = chance(0.2) ? [...new Set(Array.from({ length: 1 + int(2) }, () => pick(nonTerminal)))] : [];
    return {
      name,
      targets: [...targets],
      fail,
      spawns,
      concurrency: chance(0.8) ? 1 + int(16) : undefined,
      timeoutMs: chance(0.25) ? 1000 * (1 + int(60)) : undefined,
      style: targets.size === 2 && chance(0.5) ? 'ternary' : chance(0.35) ? 'async' : 'sync',
    };
  });

  const lines: string[] = [
    `// Generated by scripts/generate-workflow.ts (${states} states, seed ${seed}): do not edit.`,
    `import { workflow } from '${FIXTURE_IMPORT}';`,
    '',
    'type AC = { api: { status(id: string, signal: AbortSignal): Promise<number> } };',
    'type OC = { outDir: string };',
    `type JC = { id: string; n: number; kind: ${KINDS.map((k) => `'${k}'`).join(' | ')}; retries: number; ok: boolean; note?: string };`,
    '',
    `const part0 = workflow<AC, OC, JC>('synthetic-${states}')`,
  ];
  let part = 0;
  plan.forEach((s, i) => {
    if (i > 0 && i % STATES_PER_STATEMENT === 0) {
      lines[lines.length - 1] += ';';
      part += 1;
      lines.push(`const part${part} = part${part - 1}`);
    }
    lines.push(...stateLines(s, int, pick));
  });
  lines[lines.length - 1] += ';';
  lines.push(
    '',
    `export const wf = part${part}.terminal(${terminals.map((t) => `'${t}'`).join(', ')}).build();`,
    `export const run = wf.newRun('r', { outDir: 'out' }).add({ id: 'seed', n: 0, kind: 'page', retries: 0, ok: true }, '${nonTerminal[0] ?? done}');`,
    '',
  );
  return lines.join('\n');
}

/** `.state(...).to(...)[.spawns(...)].exec(...)` for one state, indented as a chain. */
function stateLines(s: PlannedState, int: (n: number) => number, pick: <T>(xs: readonly T[]) => T): string[] {
  const q = (name: string): string => `'${name}'`;
  const options: string[] = [];
  if (s.concurrency !== undefined) options.push(`concurrency: ${s.concurrency}`);
  if (s.timeoutMs !== undefined) options.push(`timeout: { ms: ${s.timeoutMs}, failState: ${q(s.fail)} }`);
  const out = [`  .state(${q(s.name)}${options.length > 0 ? `, { ${options.join(', ')} }` : ''})`, `  .to(${s.targets.map(q).join(', ')})`];
  if (s.spawns.length > 0) out.push(`  .spawns(${s.spawns.map(q).join(', ')})`);

  // The kicks, one per spawn target, attached to the return of the next state: an array literal,
  // or a `.map` when there is one spawn target.
  const kicks =
    s.spawns.length === 0
      ? ''
      : s.spawns.length > 1 || int(2) === 0
        ? `, kicks: [${s.spawns.map((k, j) => `{ state: ${q(k)}, jc: { ...jc, id: \`\${jc.id}/${j}\`, n: 0 }, key: \`\${jc.id}/${k}\` }`).join(', ')}]`
        : `, kicks: [1, 2, 3].slice(0, jc.n % 3).map((c) => ({ state: ${q(s.spawns[0] as string)}, jc: { ...jc, id: \`\${jc.id}.\${c}\`, n: c } }))`;
  const next = s.targets[0] as string;
  // Conditions on job-context fields, one for each target but the last, whose return is the default.
  const conditions = [
    (): string => `jc.n > ${2 + int(8)}`,
    (): string => `jc.kind === '${pick(KINDS)}'`,
    (): string => `jc.retries >= ${1 + int(4)}`,
    (): string => 'jc.note !== undefined',
  ];
  const jcFor = (target: string): string =>
    target === s.name ? '{ ...jc, retries: jc.retries + 1 }' : target === next ? '{ ...jc, n: jc.n + 1 }' : 'jc';
  const ret = (target: string, extra = ''): string => {
    const jc = jcFor(target);
    return `{ state: ${q(target)}, ${jc === 'jc' ? 'jc' : `jc: ${jc}`}${target === next ? kicks : ''}${extra} }`;
  };
  // The fail state first (returned with an error), the others, the next state last (the default).
  const others = s.targets.filter((t) => t !== next && t !== s.fail);
  const ordered = s.fail === next ? [...others, next] : [s.fail, ...others, next];
  const [first, ...rest] = ordered as [string, ...string[]];
  const middle = rest.slice(0, -1);

  if (s.style === 'ternary' && ordered.length === 2) {
    out.push(`  .exec(({ jc }) => (!jc.ok ? ${ret(first, `, error: 'not ok in ${s.name}'`)} : ${ret(next)}))`);
    return out;
  }
  const body: string[] = [];
  if (s.style === 'async') {
    body.push('    const status = await ac.api.status(jc.id, signal);');
    if (ordered.length > 1) body.push(`    if (status >= 500) return ${ret(first, ', error: `HTTP ${status}`')};`);
  } else if (ordered.length > 1) {
    body.push(`    if (!jc.ok) return ${ret(first, `, error: 'not ok in ${s.name}'`)};`);
  }
  // Each condition at most once per exec: a second `jc.kind === …` would compare a narrowed kind.
  const unused = [...conditions];
  for (const target of middle) {
    const condition = unused.splice(int(unused.length), 1)[0] ?? ((): string => `jc.n > ${10 + int(8)}`);
    body.push(`    if (${condition()}) return ${ret(target)};`);
  }
  body.push(`    return ${ret(next)};`);
  const head = s.style === 'async' ? 'async ({ ac, jc, signal })' : '({ jc })';
  out.push(`  .exec(${head} => {`, ...body, '  })');
  return out;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [states = '', seed = '1'] = process.argv.slice(2);
  if (!/^\d+$/.test(states) || !/^-?\d+$/.test(seed)) {
    process.stderr.write('usage: tsx scripts/generate-workflow.ts <states> [seed] > workflow.ts\n');
    process.exit(2);
  }
  process.stdout.write(generateWorkflow(Number(states), Number(seed)));
}
