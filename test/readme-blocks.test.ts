// The README's code holds when copied: every ```ts block of README.md that defines a workflow (a
// `workflow<…>(…)` chain, or a chain fragment starting at `.state(`) is compiled as a file of a
// strict user project with zero errors, and the workflows it builds are run through lintWorkflow
// (what `jorb check` adds to the compiler) with no findings.
//
// What a block leaves undefined (`api`, `links`, `seed`…) is declared in PREAMBLE below, and the
// contexts of blocks that do not declare their own in CONTEXTS: both explicit, and small.
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as jorb from '../src/index.js';
import { compileSnippet, REPO_ROOT } from './support/compile-snippet.js';

const README = `${REPO_ROOT}/README.md`;

/** What the README's blocks use and leave to the reader: an HTTP client, a page's links, a seed URL, an abort signal. */
const PREAMBLE = `interface ApiResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly statusText: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
  readonly retryAfterMs?: number;
}
interface Api { get(url: string, options: { signal: AbortSignal }): Promise<ApiResponse> }
declare const api: Api;
declare function links(html: string | undefined): string[];
declare const seed: string;
declare const signal: AbortSignal;
`;

/** The contexts of blocks that use `AC`, `OC` and `JC` without declaring them, by the block's first state. */
const CONTEXTS: Readonly<Record<string, string>> = {
  // "Policies": a sync from an API into a database.
  fetch: `type AC = { api: Api; db: { put(jc: JC): Promise<void> } };
type OC = { outDir: string };
type JC = { id: string; body?: string };
`,
  // "A workflow in one screen": the crawl's parse state, its kicks collected in a loop.
  parse: `type AC = { api: Api };
type OC = { outDir: string };
type JC = { url: string; body?: string };
`,
  // "Rate limits that learn fast": a fragment of a chain.
  'call-api': `type AC = { api: Api };
type OC = { outDir: string };
type JC = { url: string; body?: string };
`,
  // "Adaptive concurrency": a fragment of a chain.
  lookup: `type AC = { api: Api };
type OC = { outDir: string };
type JC = { url: string; body?: string };
`,
};

/** How a fragment (a block starting at `.state(`) is completed into a workflow: its imports, the states before it, and its terminal states. */
const FRAGMENTS: Readonly<Record<string, { readonly imports: string; readonly before?: string; readonly terminal: string }>> = {
  parse: {
    imports: `import { workflow } from 'jorb-ts';`,
    before: `.state('fetch').to('parse').exec(({ jc }) => ({ state: 'parse', jc }))`,
    terminal: `.terminal('done')`,
  },
  'call-api': { imports: `import { workflow, aimd, RateLimitError } from 'jorb-ts';`, terminal: `.terminal('done')` },
  lookup: { imports: `import { workflow, adaptive } from 'jorb-ts';`, terminal: `.terminal('done', 'failed')` },
};

interface Block {
  /** 1-based line of README.md where the block's code starts. */
  readonly line: number;
  readonly code: string;
}

/** Every ```ts block of the README, indented ones (inside a list) dedented. */
function tsBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)```ts\s*$/.exec(lines[i] ?? '');
    if (!open) continue;
    const indent = open[1] ?? '';
    const start = i + 1;
    let end = start;
    while (end < lines.length && (lines[end] ?? '').trimEnd() !== `${indent}\`\`\``) end++;
    blocks.push({ line: start + 1, code: lines.slice(start, end).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l)).join('\n') });
    i = end;
  }
  return blocks;
}

/** The name of the first state a block declares. */
const firstState = (code: string): string => /\.state\('([^']+)'/.exec(code)?.[1] ?? '';
const isFragment = (code: string): boolean => code.trimStart().startsWith('.state(');
const definesWorkflow = (code: string): boolean => /\bworkflow(<[^>]*>)?\(/.test(code) || isFragment(code);

/** The block as a user's file: the preamble, the contexts it leaves out, and the block (completed into a workflow when a fragment). */
function asFile(block: Block): { source: string; blockStart: number } {
  const code = block.code;
  const contexts = /^type AC\b/m.test(code) ? '' : (CONTEXTS[firstState(code)] ?? '');
  const head = `${PREAMBLE}${contexts}`;
  const fragment = isFragment(code) ? FRAGMENTS[firstState(code)] : undefined;
  if (isFragment(code) && fragment === undefined) throw new Error(`README.md:${block.line}: a fragment starting at state '${firstState(code)}' has no entry in FRAGMENTS`);
  const before = fragment?.before === undefined ? '' : `  ${fragment.before}\n`;
  const body = fragment ? `${fragment.imports}\n\nexport const fragment = workflow<AC, OC, JC>('fragment')\n${before}${indentBy(code, '  ')}\n  ${fragment.terminal}\n  .build();\n` : code;
  const source = `${head}${body}`.replaceAll(`from 'jorb-ts'`, `from '../src/index.js'`).replaceAll(`from 'jorb-ts/testing'`, `from '../src/testing/index.js'`);
  // The line of the file where the block's first line is (a fragment's is 3 lines further down, and the states before it).
  return { source, blockStart: head.split('\n').length + (fragment ? 3 + (before === '' ? 0 : 1) : 0) };
}

const indentBy = (code: string, by: string): string =>
  code
    .split('\n')
    .map((l) => (l === '' ? l : `${by}${l}`))
    .join('\n');

/**
 * The workflows a file defines, built with the library: the top-level `const`s initialised by a
 * `workflow(…)` chain, evaluated alone (nothing else of the block runs: no store is opened, no
 * exec is called), with the library's exports in scope.
 */
function buildWorkflows(source: string): Record<string, unknown> {
  const file = ts.createSourceFile('readme-block.ts', source, ts.ScriptTarget.ES2022, true);
  const names: string[] = [];
  const statements: string[] = [];
  for (const statement of file.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    const declarations = statement.declarationList.declarations;
    if (!declarations.some((d) => d.initializer !== undefined && callsWorkflow(d.initializer))) continue;
    for (const d of declarations) if (ts.isIdentifier(d.name)) names.push(d.name.text);
    statements.push(statement.getText(file).replace(/^export\s+/, ''));
  }
  const js = ts.transpileModule(`${statements.join('\n')}\nreturn { ${names.join(', ')} };`, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
    reportDiagnostics: false,
  }).outputText;
  const scope = jorb as Record<string, unknown>;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the README's own code, run with the library in scope
  const evaluate = new Function(...Object.keys(scope), js) as (...values: unknown[]) => Record<string, unknown>;
  return evaluate(...Object.values(scope));
}

function callsWorkflow(node: ts.Node): boolean {
  if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'workflow') return true;
  return ts.forEachChild(node, callsWorkflow) ?? false;
}

const blocks = tsBlocks(readFileSync(README, 'utf8'));
const workflowBlocks = blocks.filter((b) => definesWorkflow(b.code));
const label = (b: Block): string => `README.md:${b.line} (${isFragment(b.code) ? 'a fragment from ' : ''}state '${firstState(b.code)}')`;

/** `code` with `from` (which must occur) replaced by `to`. */
function edited(block: Block, from: string, to: string): Block {
  if (!block.code.includes(from)) throw new Error(`README.md:${block.line}: ${JSON.stringify(from)} is not in the block any more`);
  return { ...block, code: block.code.replace(from, to) };
}

describe('README.md code blocks that define a workflow', () => {
  it('are checked for real: a typo in the headline crawl is an error, a kick cycle without recursive a finding', () => {
    const headline = workflowBlocks[0] as Block;
    const typo = edited(headline, `return { state: 'parse'`, `return { state: 'prase'`);
    expect(compileSnippet(asFile(typo).source).map((d) => d.message)).toEqual([expect.stringContaining(`Type '"prase"' is not assignable`)]);
    const cyclic = edited(headline, 'recursive: true', 'recursive: false');
    const findings = Object.values(buildWorkflows(asFile(cyclic).source)).flatMap((wf) => jorb.lintWorkflow(wf as Parameters<typeof jorb.lintWorkflow>[0]));
    expect(findings.map((f) => f.rule)).toEqual(['spawn-cycle']);
  });

  it('are found: the headline crawl, its kicks in a loop, the policies sync and the rate-limit fragment at least', () => {
    expect(workflowBlocks.map((b) => firstState(b.code))).toEqual(expect.arrayContaining(['fetch', 'parse', 'call-api']));
    expect(workflowBlocks.length).toBeGreaterThanOrEqual(4);
  });

  it.each(workflowBlocks.map((b) => [label(b), b] as const))('%s compiles with zero errors', (_, block) => {
    const { source, blockStart } = asFile(block);
    // Each error as README.md:<line> so it points at the README itself.
    const errors = compileSnippet(source).map((d) => `README.md:${block.line + d.line - blockStart}: ${d.message}`);
    expect(errors).toEqual([]);
  });

  it.each(workflowBlocks.map((b) => [label(b), b] as const))('%s builds workflows that lintWorkflow finds clean', (_, block) => {
    const built = Object.entries(buildWorkflows(asFile(block).source));
    expect(built.length).toBeGreaterThan(0);
    for (const [name, wf] of built) {
      expect(wf, name).toHaveProperty('graph');
      const findings = jorb.lintWorkflow(wf as Parameters<typeof jorb.lintWorkflow>[0]).map((f) => `${name}: ${f.state}: ${f.message}`);
      expect(findings).toEqual([]);
    }
  });
});
