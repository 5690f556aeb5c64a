// Diagrams are checked by real renderers, not by string matching: DOT by Graphviz compiled to
// WebAssembly (@hpcc-js/wasm-graphviz) and by the `dot` binary when one is installed, Mermaid by
// Mermaid's own parser (`mermaid.parse`, which needs a DOM in Node: jsdom). Each must accept every
// diagram — including those of random workflows with awkward state names — and show every name.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Graphviz } from '@hpcc-js/wasm-graphviz';
import fc from 'fast-check';
import { JSDOM } from 'jsdom';
import type { Mermaid } from 'mermaid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crawl, runQuickstart, type JC as CrawlJC, type OC as CrawlOC } from '../examples/quickstart.js';
import { MemoryStore, workflow, type Edge, type Workflow } from '../src/index.js';
import { formatDuration } from '../src/diagram/format-duration.js';
import { displayText } from '../src/diagram/display-text.js';
import type { StateMetrics } from '../src/diagram/diagram-metrics.js';
import { toDot } from '../src/diagram/to-dot.js';
import { toMermaid } from '../src/diagram/to-mermaid.js';
import { fixedRate } from '../src/policies/fixed-rate.js';

// ---------------------------------------------------------------------------------------------
// The renderers

let graphviz: Graphviz;
let mermaid: Mermaid;
let dom: JSDOM;

beforeAll(async () => {
  graphviz = await Graphviz.load();
  // Mermaid sanitises labels with DOMPurify, which binds to `window` when first imported: the DOM
  // goes on the globals before mermaid is imported.
  dom = new JSDOM('<!doctype html><html><body></body></html>');
  Object.assign(globalThis, { window: dom.window, document: dom.window.document });
  mermaid = (await import('mermaid')).default;
  mermaid.initialize({ startOnLoad: false });
});

afterAll(() => {
  Reflect.deleteProperty(globalThis, 'window');
  Reflect.deleteProperty(globalThis, 'document');
  dom.window.close();
});

/** Whether a Graphviz `dot` binary is on the PATH (CI installs one; a laptop may not have it). */
const dotBinary = spawnSync('dot', ['-V'], { encoding: 'utf8' }).status === 0;

/** What an SVG from Graphviz shows: each node's and edge's text lines, by the group's class. */
interface SvgGraph {
  readonly nodes: readonly { readonly lines: readonly string[]; readonly ellipses: number }[];
  readonly edges: readonly (readonly string[])[];
  readonly title: readonly string[];
}

/** Reads an SVG as strict XML (a malformed SVG fails) and collects its nodes and edges. */
function readSvg(svg: string): SvgGraph {
  const doc = new dom.window.DOMParser().parseFromString(svg, 'image/svg+xml');
  const error = doc.querySelector('parsererror');
  if (error) throw new Error(`the SVG is not well-formed XML: ${error.textContent ?? ''}`);
  const texts = (g: Element) => [...g.querySelectorAll(':scope > text')].map((t) => t.textContent ?? '');
  const graph = doc.querySelector('g.graph');
  if (!graph) throw new Error('no graph group in the SVG');
  return {
    nodes: [...doc.querySelectorAll('g.node')].map((g) => ({ lines: texts(g), ellipses: g.querySelectorAll(':scope > ellipse').length })),
    edges: [...doc.querySelectorAll('g.edge')].map(texts),
    title: texts(graph),
  };
}

function renderWasm(dot: string): SvgGraph {
  return readSvg(graphviz.dot(dot, 'svg'));
}

/** Renders several DOT graphs with one run of `dot -Tsvg` (one SVG document per graph). */
function renderCli(dots: readonly string[]): SvgGraph[] {
  const dir = mkdtempSync(join(tmpdir(), 'jorb-diagram-'));
  try {
    const file = join(dir, 'graphs.dot');
    writeFileSync(file, dots.join('\n'), 'utf8');
    const out = execFileSync('dot', ['-Tsvg', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
    const documents = out.split(/(?=<\?xml )/).filter((d) => d.trim().length > 0);
    return documents.map(readSvg);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface MermaidVertex {
  readonly id: string;
  readonly text?: string;
  readonly type?: string;
}
interface MermaidEdge {
  readonly start: string;
  readonly end: string;
  readonly stroke?: string;
  readonly text?: string;
}
interface FlowDb {
  getVertices(): Map<string, MermaidVertex>;
  getEdges(): MermaidEdge[];
}

/** What Mermaid read from a flowchart: the nodes with their label lines decoded, and the edges. */
interface MermaidGraph {
  readonly vertices: readonly { readonly id: string; readonly type: string | undefined; readonly lines: readonly string[] }[];
  readonly edges: readonly MermaidEdge[];
  readonly title: string | undefined;
}

/**
 * Parses with `mermaid.parse` (rejects on a syntax error), then reads the parsed flowchart. Mermaid
 * keeps entity codes as placeholders until it renders; they are decoded here as it does
 * (placeholder → `&name;`), then by the DOM's HTML parser, as a browser shows the label.
 */
async function parseMermaid(text: string): Promise<MermaidGraph> {
  const result = await mermaid.parse(text);
  expect(result && result.diagramType).toBe('flowchart-v2');
  const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
  const db = diagram.db as unknown as FlowDb;
  const titleLine = /^title: (.*)$/m.exec(text)?.[1];
  return {
    vertices: [...db.getVertices().values()].map((v) => ({ id: v.id, type: v.type, lines: (v.text ?? '').split('<br>').map(decodeMermaid) })),
    edges: db.getEdges(),
    title: titleLine === undefined ? undefined : (JSON.parse(titleLine) as string),
  };
}

function decodeMermaid(label: string): string {
  const html = label.replace(/ﬂ°°/g, '&#').replace(/ﬂ°/g, '&').replace(/¶ß/g, ';');
  const area = dom.window.document.createElement('textarea');
  area.innerHTML = html;
  return area.value;
}

// ---------------------------------------------------------------------------------------------
// What every diagram must satisfy

type AnyWorkflow = Workflow<unknown, unknown, unknown, string>;

/** What the checks need of a workflow (any AC, OC, JC). */
interface ShownWorkflow {
  readonly name: string;
  readonly states: readonly string[];
  readonly graph: {
    readonly states: readonly { readonly name: string; readonly terminal: boolean; readonly timeout?: { readonly ms: number } }[];
    readonly edges: readonly Edge[];
  };
}

/** The label an edge should carry: none for a transition. */
function edgeLabel(wf: ShownWorkflow, edge: Edge): string {
  if (edge.kind === 'spawn') return 'spawn';
  if (edge.kind === 'timeout-fail') return `timeout ${formatDuration(wf.graph.states.find((s) => s.name === edge.from)?.timeout?.ms ?? NaN)}`;
  return '';
}

function expectDotShowsWorkflow(svg: SvgGraph, wf: ShownWorkflow): void {
  expect(svg.title.map(spaces)).toEqual([spaces(displayText(wf.name))]);
  // each state is the first line of exactly one node, as it would be read (controls shown as ␊ …),
  // terminal states drawn as double circles (two ellipses), the others as boxes (none)
  const shown = svg.nodes.map((node) => `${node.ellipses === 2 ? 'terminal' : node.ellipses === 0 ? 'box' : '?'} ${spaces(node.lines[0] ?? '')}`);
  const expected = wf.graph.states.map((s) => `${s.terminal ? 'terminal' : 'box'} ${spaces(displayText(s.name))}`);
  expect(shown.sort()).toEqual(expected.sort());
  // each edge with its label: transitions none, spawns `spawn`, timeouts `timeout 30s`
  expect(svg.edges.map((lines) => lines.join('|')).sort()).toEqual(wf.graph.edges.map((e) => edgeLabel(wf, e)).sort());
}

/** Graphviz writes the second of two spaces in a row as a no-break space, to keep it in SVG. */
function spaces(text: string): string {
  return text.replace(/\u00a0/g, ' ');
}

function expectMermaidShowsWorkflow(parsed: MermaidGraph, wf: ShownWorkflow): void {
  expect(parsed.title).toBe(displayText(wf.name));
  expect(parsed.vertices.map((v) => v.id)).toEqual(wf.states.map((_, i) => `s${i}`));
  expect(parsed.vertices.map((v) => v.lines[0])).toEqual(wf.states.map(displayText));
  expect(parsed.vertices.map((v) => v.type)).toEqual(wf.graph.states.map((s) => (s.terminal ? 'doublecircle' : 'round')));
  const id = (name: string) => `s${wf.states.indexOf(name)}`;
  expect(parsed.edges.map((e) => [e.start, e.end, e.stroke, e.text])).toEqual(
    wf.graph.edges.map((e) => [id(e.from), id(e.to), e.kind === 'spawn' ? 'dotted' : 'normal', edgeLabel(wf, e)]),
  );
}

// ---------------------------------------------------------------------------------------------
// Awkward names and random workflows

const AWKWARD = [
  'end', 'graph', 'subgraph', 'style', 'classDef', 'class', 'linkStyle', 'click', 'default', 'flowchart', 'direction',
  'node', 'edge', 'digraph', 'strict', 'Node', '__proto__', 'constructor', 's0', 's1',
  'with space', ' leading', 'trailing ', '  ', ' ', '\t', '\n', 'two\nlines', 'cr\r\nlf', '\u0000nul', '\u007f', '\u0085',
  'say "hi"', '"', '""', "it's", '\\', '\\\\', 'back\\', '\\"', 'a\\"b', '\\N', '\\n', '\\G',
  'a -> b', 'a --> b', '--', '->', '-.->', '==>', 'a---b', '---', '|', 'a|b', '[x]', '(((x)))', '{y}', '((', '])', ';', ',', ':', ':::c',
  '#quot;', '#35;', '#', '&amp;', '&', '&;', 'a&foo;', '&#65;', '&#x41;', '&lt;', '<b>bold</b>', '<br>', '<img src=x onerror=alert(1)>', '%%', '%%{init: {"theme":"dark"}}%%',
  '`md`', '"`md`"', 'style a:b#c;', 'classDef x fill:#f00;', '@{ shape: circle }', 'x@', 'e1@-->',
  '1st', '42', '0', '-1', '1e3', 'é', '日本語', '🦀', '👩‍👩‍👧', 'a\u200bb', '\u202eabc', '\u2028', '\ufeff', '\ufffe', '\u{1fffe}', '\ud800', '\udc00x',
];

const nameArb: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 3, arbitrary: fc.constantFrom(...AWKWARD) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }) },
    { weight: 2, arbitrary: fc.array(fc.oneof(fc.constantFrom(...AWKWARD), fc.string({ unit: 'binary', maxLength: 3 })), { minLength: 2, maxLength: 4 }).map((parts) => parts.join('')) },
  )
  .filter((s) => s.length > 0);

/** The untyped face of the builder: the property test makes up state names at run time. */
interface LooseBuilder {
  state(name: string, options?: object): LooseBuilder;
  to(...targets: string[]): LooseBuilder;
  spawns(...targets: string[]): LooseBuilder;
  exec(fn: () => never): LooseBuilder;
  terminal(...names: string[]): LooseBuilder;
  build(): AnyWorkflow;
}

interface StateSpec {
  readonly terminal: boolean;
  readonly targets: readonly number[];
  readonly spawns: readonly number[];
  readonly concurrency: number;
  readonly timeoutMs: number | undefined;
  readonly retry: number | undefined;
  readonly rate: number | undefined;
}

const specArb: fc.Arbitrary<{ wfName: string; names: string[]; specs: StateSpec[] }> = fc
  .record({
    wfName: nameArb,
    names: fc.uniqueArray(nameArb, { minLength: 1, maxLength: 6 }),
  })
  .chain(({ wfName, names }) =>
    fc
      .array(
        fc.record({
          terminal: fc.boolean(),
          targets: fc.uniqueArray(fc.nat(names.length - 1), { minLength: 1, maxLength: 3 }),
          spawns: fc.uniqueArray(fc.nat(names.length - 1), { maxLength: 2 }),
          concurrency: fc.integer({ min: 1, max: 64 }),
          timeoutMs: fc.option(fc.integer({ min: 1, max: 120_000 }), { nil: undefined }),
          retry: fc.option(fc.integer({ min: 1, max: 9 }), { nil: undefined }),
          rate: fc.option(fc.double({ min: 0.01, max: 5000, noNaN: true }), { nil: undefined }),
        }),
        { minLength: names.length, maxLength: names.length },
      )
      .map((specs) => ({ wfName, names, specs })),
  );

/** Builds a random workflow with the public builder, as an untyped (JavaScript) caller would. */
function buildWorkflow({ wfName, names, specs }: { wfName: string; names: readonly string[]; specs: readonly StateSpec[] }): AnyWorkflow {
  let b = workflow(wfName) as unknown as LooseBuilder;
  const terminals: string[] = [];
  names.forEach((name, i) => {
    const spec = specs[i];
    if (!spec || spec.terminal) {
      terminals.push(name);
      return;
    }
    const targets = spec.targets.map((t) => names[t] ?? name);
    const failState = targets[targets.length - 1] ?? name;
    b = b
      .state(name, {
        concurrency: spec.concurrency,
        ...(spec.timeoutMs !== undefined ? { timeout: { ms: spec.timeoutMs, failState } } : {}),
        ...(spec.retry !== undefined ? { retry: { attempts: spec.retry } } : {}),
        ...(spec.rate !== undefined ? { rateLimit: fixedRate(spec.rate) } : {}),
      })
      .to(...targets);
    if (spec.spawns.length > 0) b = b.spawns(...spec.spawns.map((t) => names[t] ?? name));
    b = b.exec(() => {
      throw new Error('never run');
    });
  });
  if (terminals.length > 0) b = b.terminal(...terminals);
  return b.build();
}

const metricsArb = (wf: AnyWorkflow): fc.Arbitrary<StateMetrics[]> =>
  fc.tuple(...wf.graph.states.map((s) =>
    fc.record({ waiting: fc.nat(500), executing: fc.nat(64), committing: fc.nat(64), completed: fc.nat(500), failed: fc.nat(5), errors: fc.nat(20), visits: fc.nat(1000), mean: fc.option(fc.double({ min: 0, max: 1e7, noNaN: true }), { nil: undefined }) }).map(
      ({ mean, ...counts }): StateMetrics => ({ state: s.name, terminal: s.terminal, ...counts, ...(mean !== undefined ? { meanDurationMs: mean } : {}) }),
    ),
  ));

const caseArb = specArb.map(buildWorkflow).chain((wf) => fc.record({ wf: fc.constant(wf), metrics: fc.option(metricsArb(wf), { nil: undefined }) }));

// ---------------------------------------------------------------------------------------------

describe('the renderers used to check diagrams', () => {
  it('reject what is not valid: Graphviz (WASM) a broken DOT graph, Mermaid a broken flowchart', async () => {
    expect(() => graphviz.dot('digraph "w" { "a"b" -> "c"; }', 'svg')).toThrow(/syntax error/);
    expect(() => graphviz.dot('digraph "w" { a -> ; }', 'svg')).toThrow(/syntax error/);
    // what a diagram writer that does not escape would produce
    await expect(mermaid.parse('flowchart LR\n  s0("a "b")\n')).rejects.toThrow(/Parse error/);
    await expect(mermaid.parse('flowchart LR\n  end --> s1\n')).rejects.toThrow(/Parse error/);
    await expect(mermaid.parse('flowchart LR\n  s0("a") --> \n')).rejects.toThrow();
    await expect(mermaid.parse('---\ntitle: "a\n---\nflowchart LR\n  s0("a")\n')).rejects.toThrow();
    // and accept a valid one
    await expect(mermaid.parse('flowchart LR\n  s0("a") --> s1(((b)))\n')).resolves.toMatchObject({ diagramType: 'flowchart-v2' });
  });

  it('catch an unescaped name that still parses: Mermaid reads s0("say "hi"") as `say hi`', async () => {
    const wf = workflow('w').terminal('say "hi"').build();
    const naive = 'flowchart LR\n  s0("say "hi"")\n';
    const parsed = await parseMermaid(naive);
    expect(parsed.vertices[0]?.lines).toEqual(['say hi']);
    expect(() => expectMermaidShowsWorkflow(parsed, wf)).toThrow();
    expectMermaidShowsWorkflow(await parseMermaid(toMermaid(wf)), wf);
  });

  it.runIf(dotBinary)('rejects a broken DOT graph: the dot binary', () => {
    expect(() => renderCli(['digraph "w" { "a"b" -> "c"; }'])).toThrow();
  });
});

describe('toDot and toMermaid of the quickstart crawl', () => {
  it('render its four states, the terminal ones apart, and its edges by kind', async () => {
    const dot = toDot(crawl);
    const svg = renderWasm(dot);
    expectDotShowsWorkflow(svg, crawl);
    expect(svg.nodes).toContainEqual({ lines: ['fetch', 'concurrency 8', 'timeout 1s'], ellipses: 0 });
    expect(svg.nodes).toContainEqual({ lines: ['parse', 'concurrency 2 · recursive'], ellipses: 0 });
    expect(svg.nodes).toContainEqual({ lines: ['done'], ellipses: 2 });
    expect(svg.nodes).toContainEqual({ lines: ['fetch-failed'], ellipses: 2 });
    expect(svg.edges).toContainEqual(['timeout 1s']);
    expect(svg.edges).toContainEqual(['spawn']);
    expect(dot).toContain('"done" [label="done", shape=doublecircle];');
    expect(dot).toContain('"parse" -> "fetch" [style=dashed, label="spawn"];');

    const parsed = await parseMermaid(toMermaid(crawl));
    expectMermaidShowsWorkflow(parsed, crawl);
    expect(parsed.vertices.map((v) => v.type)).toEqual(['round', 'round', 'doublecircle', 'doublecircle']);
    expect(parsed.edges.map((e) => [e.start, e.end, e.stroke, e.text])).toEqual([
      ['s0', 's1', 'normal', ''],
      ['s0', 's0', 'normal', ''],
      ['s0', 's3', 'normal', ''],
      ['s0', 's3', 'normal', 'timeout 1s'],
      ['s1', 's2', 'normal', ''],
      ['s1', 's0', 'dotted', 'spawn'],
    ]);
  });

  it('render a finished crawl with its counts and health', async () => {
    const store = new MemoryStore<CrawlOC, CrawlJC>();
    const summary = await runQuickstart({ pages: 40, store });
    const run = await store.load();
    if (!run) throw new Error('the store kept no run');

    const svg = renderWasm(toDot(crawl, { run }));
    expectDotShowsWorkflow(svg, crawl);
    const done = svg.nodes.map((n) => n.lines).find((lines) => lines[0] === 'done');
    expect(done).toEqual(['done', `${summary.byState['done'] ?? 0} completed`]);
    const fetch = svg.nodes.map((n) => n.lines).find((lines) => lines[0] === 'fetch');
    expect(fetch?.[3]).toBe('0 waiting · 0 executing · 0 failed');
    expect(fetch?.[4]).toMatch(/^\d+ jobs? with errors · [\d.]+m?s in state \(waiting included\), mean of \d+ visits?$/);

    const parsed = await parseMermaid(toMermaid(crawl, { run }));
    expectMermaidShowsWorkflow(parsed, crawl);
    expect(parsed.vertices[2]?.lines).toEqual(['done', `${summary.byState['done'] ?? 0} completed`]);
  });

  it.runIf(dotBinary)('render with the dot binary, with and without a run', () => {
    const run = crawl.newRun('r', { startedBy: 'test' }).add({ url: 'https://example.com/' }, 'fetch');
    const [plain, withRun] = renderCli([toDot(crawl), toDot(crawl, { run })]);
    if (!plain || !withRun) throw new Error('dot wrote fewer SVG documents than graphs');
    expectDotShowsWorkflow(plain, crawl);
    expectDotShowsWorkflow(withRun, crawl);
    expect(withRun.nodes).toContainEqual({ lines: ['fetch', 'concurrency 8', 'timeout 1s', '1 waiting · 0 executing · 0 failed', '0 jobs with errors'], ellipses: 0 });
  });
});

describe('awkward state names', () => {
  const names = AWKWARD.filter((n, i) => AWKWARD.indexOf(n) === i);
  // one workflow holding every awkward name: a chain, each state going to the next, the last terminal
  let b = workflow('awkward "workflow" -> \\ end') as unknown as LooseBuilder;
  names.slice(0, -1).forEach((name, i) => {
    const next = names[i + 1] ?? name;
    b = b.state(name, { timeout: { ms: 1500, failState: next } }).to(next).spawns(name).exec(() => {
      throw new Error('never run');
    });
  });
  const wf = b.terminal(names[names.length - 1] ?? 'end').build();

  it('render in Graphviz (WASM), each name shown as it reads', () => {
    expectDotShowsWorkflow(renderWasm(toDot(wf)), wf);
  });

  it('parse in Mermaid, each name decoded back as it reads', async () => {
    expectMermaidShowsWorkflow(await parseMermaid(toMermaid(wf)), wf);
  });

  it.runIf(dotBinary)('render with the dot binary', () => {
    const [svg] = renderCli([toDot(wf)]);
    if (!svg) throw new Error('no SVG');
    expectDotShowsWorkflow(svg, wf);
  });

  it('are shown exactly when they hold nothing unshowable', () => {
    for (const name of ['say "hi"', 'back\\', '#quot;', 'a -> b', ' leading', 'end']) expect(displayText(name)).toBe(name);
  });
});

describe('random workflows with awkward names (property)', () => {
  it('always render in Graphviz and parse in Mermaid, showing every name', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ wf, metrics }) => {
        const options = metrics ? { metrics } : {};
        expectDotShowsWorkflow(renderWasm(toDot(wf, options)), wf);
        expectMermaidShowsWorkflow(await parseMermaid(toMermaid(wf, options)), wf);
      }),
      { numRuns: 300 },
    );
  });

  it.runIf(dotBinary)('always render with the dot binary (one batch)', () => {
    const cases = fc.sample(caseArb, { numRuns: 100 });
    const svgs = renderCli(cases.map(({ wf, metrics }) => toDot(wf, metrics ? { metrics } : {})));
    expect(svgs).toHaveLength(cases.length);
    cases.forEach(({ wf }, i) => {
      const svg = svgs[i];
      if (!svg) throw new Error(`no SVG for case ${i}`);
      expectDotShowsWorkflow(svg, wf);
    });
  });
});
