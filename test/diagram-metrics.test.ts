// What diagrams say about a run — counts, errors, mean durations, health — and how they write
// names, policies and edges. The renderers' side (Graphviz, Mermaid) is in diagram-render.test.ts.
import { describe, expect, it } from 'vitest';
import { crawl, type JC, type OC } from '../examples/quickstart.js';
import { fromSnapshot, workflow, type Job, type StateStatus } from '../src/index.js';
import { diagramMetrics, type StateMetrics } from '../src/diagram/diagram-metrics.js';
import { dotId, dotLabel } from '../src/diagram/escape-dot.js';
import { mermaidText, mermaidTitle } from '../src/diagram/escape-mermaid.js';
import { formatDuration } from '../src/diagram/format-duration.js';
import { stateHealth } from '../src/diagram/health.js';
import { toDot } from '../src/diagram/to-dot.js';
import { toMermaid } from '../src/diagram/to-mermaid.js';
import { aimd } from '../src/policies/aimd.js';
import { fixedRate } from '../src/policies/fixed-rate.js';

/** A job as a store would hold it, with its history given as [state, at] pairs. */
function job(id: string, history: readonly [string, number][], extra: Partial<Job<JC>> = {}): Job<JC> {
  const last = history[history.length - 1];
  if (!last) throw new Error('a job needs a history');
  return { id, state: last[0], jc: { url: `https://example.com/${id}` }, errors: {}, history: history.map(([state, at]) => ({ state, at })), updatedAt: last[1], ...extra };
}

/** A crawl half-way: one page done, one given up after two 503s, one failed, one parsing, one waiting. */
const JOBS: readonly Job<JC>[] = [
  job('0', [['fetch', 1000], ['parse', 1100], ['done', 1150]], { errors: { fetch: ['GET /0: HTTP 503'] } }),
  job('1', [['fetch', 1000], ['fetch', 1300], ['fetch-failed', 1600]], { errors: { fetch: ['GET /1: HTTP 503', 'GET /1: HTTP 503'] } }),
  job('2', [['fetch', 2000]], { errors: { fetch: ['boom'] }, failed: true }),
  job('3', [['fetch', 1000], ['parse', 1200]]),
  job('4', [['fetch', 3000]]),
];

function crawlRun(jobs: readonly Job<JC>[] = JOBS) {
  return fromSnapshot<OC, JC>({ format: 'jorb-run', version: 1, name: 'half-way', oc: { startedBy: 'test' }, nextId: jobs.length, jobs: structuredClone([...jobs]) });
}

describe('diagramMetrics', () => {
  it('counts each state\'s jobs, the jobs with errors there, and the mean duration of a visit from the histories', () => {
    expect(diagramMetrics(crawl, crawlRun())).toEqual([
      // visits of fetch: 100 ms (job 0), 300 + 300 ms (job 1), 200 ms (job 3); jobs 2 and 4 are still there
      { state: 'fetch', terminal: false, waiting: 1, delayed: 0, joining: 0, executing: 0, committing: 0, completed: 0, failed: 1, errors: 3, visits: 4, meanDurationMs: 225 },
      { state: 'parse', terminal: false, waiting: 1, delayed: 0, joining: 0, executing: 0, committing: 0, completed: 0, failed: 0, errors: 0, visits: 1, meanDurationMs: 50 },
      { state: 'done', terminal: true, waiting: 0, delayed: 0, joining: 0, executing: 0, committing: 0, completed: 1, failed: 0, errors: 0, visits: 0 },
      { state: 'fetch-failed', terminal: true, waiting: 0, delayed: 0, joining: 0, executing: 0, committing: 0, completed: 1, failed: 0, errors: 0, visits: 0 },
    ]);
  });

  it('takes waiting, executing, completed and failed from live statuses when given', () => {
    const statuses: StateStatus[] = [{ state: 'fetch', terminal: false, waiting: 0, executing: 1, committing: 0, completed: 0, failed: 1 }];
    const [fetch, parse] = diagramMetrics(crawl, crawlRun(), { statuses });
    expect(fetch).toMatchObject({ waiting: 0, executing: 1, failed: 1, errors: 3, visits: 4 });
    expect(parse).toMatchObject({ waiting: 1, executing: 0 });
  });

  it('leaves out jobs in states the workflow does not declare, and an empty run is all zeros', () => {
    const stray = job('9', [['fetch', 0], ['archived', 10]], { errors: { archived: ['x'] } });
    const [fetch] = diagramMetrics(crawl, crawlRun([stray]));
    expect(fetch).toEqual({ state: 'fetch', terminal: false, waiting: 0, delayed: 0, joining: 0, executing: 0, committing: 0, completed: 0, failed: 0, errors: 0, visits: 1, meanDurationMs: 10 });
    const empty = diagramMetrics(crawl, crawl.newRun('empty', { startedBy: 'test' }));
    expect(empty.every((m) => m.waiting + m.executing + m.completed + m.failed + m.errors + m.visits === 0)).toBe(true);
  });
});

describe('stateHealth', () => {
  const base: StateMetrics = { state: 's', terminal: false, waiting: 0, executing: 0, committing: 0, completed: 0, failed: 0, errors: 0, visits: 0 };

  it('is idle with no jobs, ok with jobs, warning with errors, failing with failed jobs', () => {
    expect(stateHealth(base)).toBe('idle');
    expect(stateHealth({ ...base, visits: 3 })).toBe('ok');
    expect(stateHealth({ ...base, waiting: 3 })).toBe('ok');
    expect(stateHealth({ ...base, waiting: 3, errors: 1 })).toBe('warning');
    expect(stateHealth({ ...base, waiting: 3, errors: 4 }, { warnAtErrors: 5 })).toBe('ok');
    expect(stateHealth({ ...base, waiting: 3, errors: 5 }, { warnAtErrors: 5 })).toBe('warning');
    expect(stateHealth({ ...base, failed: 1, errors: 1 })).toBe('failing');
  });

  it('counts the jobs that reached a fail state as failed', () => {
    const failState: StateMetrics = { ...base, terminal: true, completed: 2 };
    expect(stateHealth(failState)).toBe('ok');
    expect(stateHealth(failState, { failState: true })).toBe('failing');
    expect(stateHealth({ ...failState, completed: 0 }, { failState: true })).toBe('idle');
  });

  it('rejects a warnAtErrors that is not a whole number from 1', () => {
    expect(() => stateHealth(base, { warnAtErrors: 0 })).toThrow('stateHealth: warnAtErrors must be a whole number from 1 up, got 0');
  });
});

const CRAWL_DOT = String.raw`digraph "crawl" {
  graph [rankdir=LR, label="crawl", labelloc=t, fontname="Helvetica,Arial,sans-serif"];
  node [shape=box, style=rounded, fontname="Helvetica,Arial,sans-serif", fontsize=11];
  edge [fontname="Helvetica,Arial,sans-serif", fontsize=10];
  "fetch" [label="fetch\nconcurrency 8\ntimeout 1s"];
  "parse" [label="parse\nconcurrency 2 · recursive"];
  "done" [label="done", shape=doublecircle];
  "fetch-failed" [label="fetch-failed", shape=doublecircle];
  "fetch" -> "parse";
  "fetch" -> "fetch";
  "fetch" -> "fetch-failed";
  "fetch" -> "fetch-failed" [label="timeout 1s", color="#c62828", fontcolor="#c62828"];
  "parse" -> "done";
  "parse" -> "fetch" [style=dashed, label="spawn"];
}
`;

const CRAWL_RUN_DOT = String.raw`digraph "crawl" {
  graph [rankdir=LR, label="crawl", labelloc=t, fontname="Helvetica,Arial,sans-serif"];
  node [shape=box, style=rounded, fontname="Helvetica,Arial,sans-serif", fontsize=11];
  edge [fontname="Helvetica,Arial,sans-serif", fontsize=10];
  "fetch" [label="fetch\nconcurrency 8\ntimeout 1s\n1 waiting · 0 executing · 1 failed\n3 jobs with errors · 225ms in state (waiting included), mean of 4 visits", style="rounded,filled", fillcolor="#f9d0d0", color="#c62828", fontcolor="#5c1010"];
  "parse" [label="parse\nconcurrency 2 · recursive\n1 waiting · 0 executing · 0 failed\n0 jobs with errors · 50ms in state (waiting included), mean of 1 visit", style="rounded,filled", fillcolor="#d7f0d8", color="#2e7d32", fontcolor="#1b3d1d"];
  "done" [label="done\n1 completed", shape=doublecircle, style=filled, fillcolor="#d7f0d8", color="#2e7d32", fontcolor="#1b3d1d"];
  "fetch-failed" [label="fetch-failed\n1 completed", shape=doublecircle, style=filled, fillcolor="#f9d0d0", color="#c62828", fontcolor="#5c1010"];
  "fetch" -> "parse";
  "fetch" -> "fetch";
  "fetch" -> "fetch-failed";
  "fetch" -> "fetch-failed" [label="timeout 1s", color="#c62828", fontcolor="#c62828"];
  "parse" -> "done";
  "parse" -> "fetch" [style=dashed, label="spawn"];
}
`;

const CRAWL_MERMAID = `---
title: "crawl"
---
flowchart LR
  s0("fetch<br>concurrency 8<br>timeout 1s")
  s1("parse<br>concurrency 2 · recursive")
  s2((("done")))
  s3((("fetch-failed")))
  s0 --> s1
  s0 --> s0
  s0 --> s3
  s0 -->|"timeout 1s"| s3
  s1 --> s2
  s1 -.->|"spawn"| s0
  linkStyle 3 stroke:#c62828,color:#c62828
`;

const CRAWL_RUN_MERMAID = `---
title: "crawl"
---
flowchart LR
  s0("fetch<br>concurrency 8<br>timeout 1s<br>1 waiting · 0 executing · 1 failed<br>3 jobs with errors · 225ms in state (waiting included), mean of 4 visits")
  s1("parse<br>concurrency 2 · recursive<br>1 waiting · 0 executing · 0 failed<br>0 jobs with errors · 50ms in state (waiting included), mean of 1 visit")
  s2((("done<br>1 completed")))
  s3((("fetch-failed<br>1 completed")))
  s0 --> s1
  s0 --> s0
  s0 --> s3
  s0 -->|"timeout 1s"| s3
  s1 --> s2
  s1 -.->|"spawn"| s0
  classDef healthOk fill:#d7f0d8,stroke:#2e7d32,color:#1b3d1d
  class s1,s2 healthOk
  classDef healthFailing fill:#f9d0d0,stroke:#c62828,color:#5c1010
  class s0,s3 healthFailing
  linkStyle 3 stroke:#c62828,color:#c62828
`;

describe('toDot and toMermaid', () => {
  it('write the quickstart crawl, without and with a run, the same way every time', () => {
    expect(toDot(crawl)).toBe(CRAWL_DOT);
    expect(toMermaid(crawl)).toBe(CRAWL_MERMAID);
    expect(toDot(crawl, { run: crawlRun() })).toBe(CRAWL_RUN_DOT);
    expect(toMermaid(crawl, { run: crawlRun() })).toBe(CRAWL_RUN_MERMAID);
    // the order the run holds its jobs in does not matter, nor does computing the metrics beforehand
    expect(toDot(crawl, { run: crawlRun([...JOBS].reverse()) })).toBe(CRAWL_RUN_DOT);
    expect(toMermaid(crawl, { metrics: diagramMetrics(crawl, crawlRun()) })).toBe(CRAWL_RUN_MERMAID);
  });

  it('colour a state amber when errors pile up past warnAtErrors', () => {
    const ok = crawlRun(JOBS.filter((j) => j.id !== '2' && j.id !== '1'));
    expect(toMermaid(crawl, { run: ok })).toContain('class s0 healthWarning');
    expect(toMermaid(crawl, { run: ok, warnAtErrors: 2 })).toContain('class s0,s1,s2 healthOk');
    expect(toMermaid(crawl, { run: ok })).toContain('class s3 healthIdle');
  });

  it('show each policy on the node: the rate limit\'s current rate, timeout retries, retry attempts, hedging', () => {
    const wf = workflow('policies')
      .state('geocode', { concurrency: 4, rateLimit: fixedRate(50), timeout: { ms: 30_000, failState: 'failed', retries: 2 }, retry: { attempts: 5 } })
      .to('lookup', 'failed')
      .exec(() => ({ state: 'lookup', jc: null }))
      .state('lookup', { rateLimit: aimd({ initial: 12.5 }), hedge: { afterMs: 250, max: 2 }, retry: { attempts: 1 } })
      .to('failed')
      .exec(() => ({ state: 'failed', jc: null }))
      .terminal('failed')
      .build();
    const dot = toDot(wf);
    expect(dot).toContain(String.raw`"geocode" [label="geocode\nconcurrency 4 · ≤ 50/s\ntimeout 30s (2 retries) · retry 5 attempts"];`);
    expect(dot).toContain(String.raw`"lookup" [label="lookup\nconcurrency 1 · adaptive 12.5/s (from 1/s)\nretry 1 attempt · hedge after 250ms, max 2"];`);
    expect(dot).toContain('"geocode" -> "failed" [label="timeout 30s", color="#c62828", fontcolor="#c62828"];');
    expect(toMermaid(wf)).toContain('  s0("geocode<br>concurrency 4 · ≤ 50/s<br>timeout 30s (2 retries) · retry 5 attempts")');
  });

  it('reject a run and metrics together, and a bad warnAtErrors', () => {
    const run = crawlRun();
    expect(() => toDot(crawl, { run, metrics: diagramMetrics(crawl, run) })).toThrow('toDot: give either run or metrics, not both');
    expect(() => toMermaid(crawl, { run, warnAtErrors: 1.5 })).toThrow('toMermaid: warnAtErrors must be a whole number from 1 up, got 1.5');
  });
});

describe('escaping', () => {
  it('quotes DOT IDs: quotes and backslashes escaped, what Graphviz cannot hold as \\uXXXX', () => {
    expect(dotId('fetch')).toBe('"fetch"');
    expect(dotId('say "hi"')).toBe(String.raw`"say \"hi\""`);
    expect(dotId('back\\')).toBe(String.raw`"back\\"`);
    expect(dotId('a\u0000b\nc')).toBe(String.raw`"a\u0000b\u000Ac"`);
    expect(dotId('\\u0000')).toBe(String.raw`"\\u0000"`); // the name's own backslash is doubled: no clash with a NUL
    expect(dotId('R&D &amp; &#65; &;')).toBe(String.raw`"R&D \u0026amp; \u0026#65; \u0026;"`);
  });

  it('writes DOT labels as escStrings: backslashes doubled, & as &amp;, lines joined with \\n', () => {
    expect(dotLabel(['\\N "x"', 'a & b'])).toBe(String.raw`"\\N \"x\"\na &amp; b"`);
    expect(dotLabel(['two\nlines'])).toBe('"two␊lines"');
  });

  it('writes Mermaid text with entity codes, and keeps leading and trailing spaces', () => {
    expect(mermaidText('say "hi" #1 <b>&</b>')).toBe('say #quot;hi#quot; #35;1 #lt;b#gt;#amp;#lt;/b#gt;');
    expect(mermaidText('%%{init: {}}%% `md`')).toBe('#37;#37;{init#58; {}}#37;#37; #96;md#96;');
    expect(mermaidText(' end ')).toBe('#32;end#32;');
    expect(mermaidTitle('crawl #2 "x" 50%')).toBe(String.raw`"crawl \u00232 \"x\" 50\u0025"`);
  });

  it('formats durations as they were configured', () => {
    expect([200, 0.36, 1500, 30_000, 90_000, 120_000, 5_400_000].map(formatDuration)).toEqual(['200ms', '0.4ms', '1.5s', '30s', '1.5min', '2min', '1.5h']);
  });
});
