// Prometheus text exposition of the ledger (#20 part 3), read back by a Prometheus text parser.
// parse-prometheus-text-format (a devDependency) reads counters and gauges with their labels; it
// drops the labels of a labelled summary, so the summaries are read by the exposition's sample grammar below.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Processor, workflow } from '../src/index.js';
import { metricsText } from '../src/ledger/metrics-text.js';
import type { RunLedger } from '../src/ledger/run-ledger.js';
import { FakeClock } from '../src/testing/index.js';

interface ParsedFamily {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly metrics: readonly { readonly value?: string; readonly labels?: Readonly<Record<string, string>> }[];
}
const parsePrometheusTextFormat = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => ParsedFamily[];

/** Sample lines by the exposition format's grammar: name, optional {labels}, value. */
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*)\})? (\S+)$/;
function samples(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const m = SAMPLE.exec(line);
      if (m === null) throw new Error(`not a sample line: ${line}`);
      const labels: Record<string, string> = {};
      for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      return { name: m[1] as string, labels, value: Number(m[3]) };
    });
}

async function pipelineLedger(): Promise<RunLedger> {
  const clock = new FakeClock();
  const sleep = (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
  const wf = workflow<object, object, { n: number }>('pipeline')
    .state('a', { concurrency: 10 })
    .to('b')
    .exec(async ({ jc }) => (await sleep(1), { state: 'b', jc }))
    .state('b', { concurrency: 2 })
    .to('c')
    .exec(async ({ jc }) => (await sleep(100), { state: 'c', jc }))
    .state('c', { concurrency: 10 })
    .to('done')
    .exec(async ({ jc }) => (await sleep(1), { state: 'done', jc }))
    .terminal('done')
    .build();
  const run = wf.newRun('r', {});
  for (let i = 0; i < 200; i++) run.add({ n: i }, 'a');
  const processor = new Processor(wf, {}, { clock });
  const done = processor.exec(run);
  await clock.advance(6_000);
  const ledger = processor.ledger() as RunLedger;
  await clock.runAll();
  await done;
  return ledger;
}

describe('metricsText: Prometheus text exposition of the ledger', () => {
  it('writes every family with HELP and TYPE, jorb_ names, base units, state and run labels, read back by a parser', async () => {
    const ledger = await pipelineLedger();
    const text = metricsText(ledger, { runName: 'nightly "crawl" \\ 1' });
    const families = parsePrometheusTextFormat(text);
    const byName = new Map(families.map((f) => [f.name, f]));
    for (const f of families) {
      expect(f.name).toMatch(/^jorb_/);
      expect(f.help).not.toBe('');
      expect(text).toContain(`# TYPE ${f.name} ${f.type.toLowerCase()}`);
      if (f.type === 'COUNTER') expect(f.name).toMatch(/_total$/);
      expect(f.name).not.toMatch(/_ms$|millis/);
    }
    const value = (name: string, labels: Record<string, string>) => {
      const family = byName.get(name);
      const metric = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
      return metric?.value === undefined ? undefined : Number(metric.value);
    };
    const run = 'nightly "crawl" \\ 1';
    const b = ledger.states.find((s) => s.state === 'b');
    expect(byName.get('jorb_completions_total')?.type).toBe('COUNTER');
    expect(value('jorb_completions_total', { run, state: 'b' })).toBe(b?.completions);
    expect(value('jorb_arrivals_total', { run, state: 'a' })).toBe(200);
    expect(value('jorb_limit', { run, state: 'b' })).toBe(2);
    expect(value('jorb_in_flight', { run, state: 'b' })).toBe(2);
    expect(value('jorb_utilisation_ratio', { run, state: 'b' })).toBe(1);
    expect(value('jorb_waiting', { run, state: 'b' })).toBe(b?.waiting);
    expect(value('jorb_completions_per_second', { run, state: 'b' })).toBeCloseTo(20, 0);
    expect(value('jorb_event_loop_delay_seconds', { run })).toBe(0);
    expect(value('jorb_elapsed_seconds', { run })).toBe(6);
    expect(value('jorb_transitions_total', { run })).toBe(ledger.transitions);
    expect(byName.get('jorb_bottleneck')?.metrics).toEqual([{ labels: { run, state: 'b', kind: 'concurrency-bound' }, value: '1' }]);
    expect(value('jorb_verdict', { run, state: 'c', kind: 'starved' })).toBe(1);
    expect(byName.get('jorb_service_seconds')?.type).toBe('SUMMARY');
    // no job-id label anywhere
    const all = samples(text);
    expect(new Set(all.flatMap((s) => Object.keys(s.labels)))).toEqual(new Set(['run', 'state', 'kind', 'quantile']));
  });

  it('writes service and wait as summaries in seconds: quantiles 0.5 and 0.95, _sum and _count', async () => {
    const ledger = await pipelineLedger();
    const all = samples(metricsText(ledger));
    const find = (name: string, labels: Record<string, string>) => all.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    const b = ledger.states.find((s) => s.state === 'b');
    expect(find('jorb_service_seconds', { state: 'b', quantile: '0.5' })).toBe(0.1);
    expect(find('jorb_service_seconds', { state: 'b', quantile: '0.95' })).toBe(0.1);
    expect(find('jorb_service_seconds_count', { state: 'b' })).toBe(b?.serviceMs?.total);
    expect(find('jorb_service_seconds_sum', { state: 'b' })).toBeCloseTo((b?.serviceMs?.total ?? 0) * 0.1, 6);
    expect(find('jorb_wait_seconds', { state: 'b', quantile: '0.95' })).toBe((b?.waitMs?.p95 ?? NaN) / 1000);
    expect(all.every((s) => s.labels['run'] === undefined)).toBe(true); // no runName, no run label
  });

  it('leaves the state label out of a bottleneck that names no state', () => {
    const ledger: RunLedger = { at: 0, elapsedMs: 1000, throughput: 0, transitions: 0, eventLoopDelayMs: 120, states: [], bottleneck: { kind: 'cpu-bound', reason: 'late' } };
    const families = parsePrometheusTextFormat(metricsText(ledger));
    expect(families.find((f) => f.name === 'jorb_bottleneck')?.metrics).toEqual([{ labels: { kind: 'cpu-bound' }, value: '1' }]);
    expect(families.find((f) => f.name === 'jorb_event_loop_delay_seconds')?.metrics).toEqual([{ value: '0.12' }]);
  });
});
