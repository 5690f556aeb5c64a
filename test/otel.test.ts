// jorb-ts/otel (#20): a span per attempt, made by a real OpenTelemetry SDK tracer and read back
// from its in-memory exporter, on a fake clock; kicks as links; the exec inside its span's context.
import { context, SpanKind, SpanStatusCode, trace, type HrTime } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Processor, RateLimitError, workflow } from '../src/index.js';
import { otelTracing } from '../src/otel/index.js';
import { FakeClock, runWithFakeClock } from '../src/testing/index.js';
import { clockSleep } from './support/clock-sleep.js';

type JC = { n?: number; ms?: number; fail?: number; kicks?: number; round?: number };

const T0 = Date.parse('2026-01-01T00:00:00Z');

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = provider.getTracer('otel.test');

beforeAll(() => {
  // What the OpenTelemetry Node SDK sets up: a context manager, so that the active span follows awaits.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});

afterAll(() => {
  context.disable();
  trace.disable();
});

beforeEach(() => {
  exporter.reset();
});

function msOf(time: HrTime): number {
  return time[0] * 1000 + time[1] / 1e6;
}

/** The exported spans in the order they ended, each as the few fields a test reads. */
function spans() {
  return exporter.getFinishedSpans().map((span) => ({
    name: span.name,
    job: span.attributes['jorb.job.id'],
    attempt: span.attributes['jorb.attempt'],
    start: msOf(span.startTime) - T0,
    end: msOf(span.endTime) - T0,
    status: span.status.code,
  }));
}

function spanOf(job: string, attempt = 1, state?: string): ReadableSpan {
  const found = exporter.getFinishedSpans().find((s) => s.attributes['jorb.job.id'] === job && s.attributes['jorb.attempt'] === attempt && (state === undefined || s.attributes['jorb.state'] === state));
  if (found === undefined) throw new Error(`no span of job ${job}, attempt ${attempt}`);
  return found;
}

/** fetch (50 ms, 2 at once; throws its first `fail` attempts, retried after 100 ms) → parse (20 ms, 1 at once) → done. */
function pipeline(clock: FakeClock, fetch: { timeoutMs?: number } = {}) {
  return workflow<object, object, JC>('pipeline')
    .state('fetch', {
      concurrency: 2,
      retry: { attempts: 3, backoff: { initialMs: 100, jitter: 'none' } },
      ...(fetch.timeoutMs === undefined ? {} : { timeout: { ms: fetch.timeoutMs, failState: 'fetch-failed' as const } }),
    })
    .to('parse', 'fetch-failed')
    .exec(async ({ jc, job, signal }) => {
      await clockSleep(clock, jc.ms ?? 50, signal);
      if ((job.errors['fetch']?.length ?? 0) < (jc.fail ?? 0)) throw new Error(`HTTP 503 from page ${jc.n ?? 0}`);
      return { state: 'parse', jc };
    })
    .state('parse')
    .to('done')
    .exec(async ({ jc, signal }) => (await clockSleep(clock, 20, signal), { state: 'done', jc }))
    .terminal('done', 'fetch-failed')
    .build();
}

/** poll runs `rounds` rounds of 100 ms, each kicking a child into work that is due 1 s later (work: 5 ms, `rounds` at once). */
function poller(clock: FakeClock, rounds: number) {
  return workflow<object, object, JC>('poll')
    .state('poll')
    .to('poll', 'done')
    .spawns('work')
    .exec(async ({ jc, kick, signal }) => {
      await clockSleep(clock, 100, signal);
      const round = (jc.round ?? 0) + 1;
      return { state: round < rounds ? 'poll' : 'done', jc: { ...jc, round }, kicks: [kick({ state: 'work', jc: { n: round }, delayMs: 1000 })] };
    })
    .state('work', { concurrency: rounds })
    .to('done')
    .exec(async ({ jc }) => (await clockSleep(clock, 5), { state: 'done', jc }))
    .terminal('done')
    .build();
}

describe('otelTracing(): a span per attempt', () => {
  it('makes one INTERNAL span per attempt, named `jorb <state>`, from its start to its end by the processor`s clock, with the run, state, job and attempt', async () => {
    const clock = new FakeClock(T0);
    const wf = pipeline(clock);
    const run = wf.newRun('crawl-1', {}).add({ n: 1 }, 'fetch').add({ n: 2 }, 'fetch');
    const { result } = await runWithFakeClock(wf, {}, run, { clock, observers: [otelTracing({ tracer })] });
    expect(result.outcome).toBe('complete');
    expect(spans()).toEqual([
      { name: 'jorb fetch', job: '0', attempt: 1, start: 0, end: 50, status: SpanStatusCode.UNSET },
      { name: 'jorb fetch', job: '1', attempt: 1, start: 0, end: 50, status: SpanStatusCode.UNSET },
      { name: 'jorb parse', job: '0', attempt: 1, start: 50, end: 70, status: SpanStatusCode.UNSET },
      { name: 'jorb parse', job: '1', attempt: 1, start: 70, end: 90, status: SpanStatusCode.UNSET },
    ]);
    const fetch = spanOf('0', 1, 'fetch');
    expect(fetch.kind).toBe(SpanKind.INTERNAL);
    expect(fetch.attributes).toEqual({ 'jorb.run': 'crawl-1', 'jorb.state': 'fetch', 'jorb.job.id': '0', 'jorb.attempt': 1, 'jorb.to': 'parse', 'jorb.kicks': 0 });
    expect(fetch.links).toEqual([]);
    // Each attempt is a trace of its own: a run of a million attempts is not one trace.
    expect(exporter.getFinishedSpans().every((span) => span.parentSpanContext === undefined)).toBe(true);
    expect(new Set(exporter.getFinishedSpans().map((span) => span.spanContext().traceId)).size).toBe(4);
  });

  it('a retried job has a span for attempt 1 and one for attempt 2: the first with status ERROR, the message and the exception', async () => {
    const clock = new FakeClock(T0);
    const wf = pipeline(clock);
    const run = wf.newRun('r', {}).add({ n: 7, fail: 1 }, 'fetch');
    await runWithFakeClock(wf, {}, run, { clock, observers: [otelTracing({ tracer })] });
    expect(spans()).toEqual([
      { name: 'jorb fetch', job: '0', attempt: 1, start: 0, end: 50, status: SpanStatusCode.ERROR },
      { name: 'jorb fetch', job: '0', attempt: 2, start: 150, end: 200, status: SpanStatusCode.UNSET }, // after 100 ms of backoff
      { name: 'jorb parse', job: '0', attempt: 1, start: 200, end: 220, status: SpanStatusCode.UNSET },
    ]);
    const failed = spanOf('0', 1, 'fetch');
    expect(failed.status).toEqual({ code: SpanStatusCode.ERROR, message: 'HTTP 503 from page 7' });
    expect(failed.attributes['jorb.to']).toBeUndefined();
    expect(failed.events).toHaveLength(1);
    expect(failed.events[0]).toMatchObject({ name: 'exception', attributes: { 'exception.type': 'Error', 'exception.message': 'HTTP 503 from page 7' } });
    expect(msOf(failed.events[0]?.time ?? [0, 0]) - T0).toBe(50);
    expect(String(failed.events[0]?.attributes?.['exception.stacktrace'])).toContain('otel.test.ts');
    expect(spanOf('0', 2, 'fetch').attributes).toMatchObject({ 'jorb.attempt': 2, 'jorb.to': 'parse' });
  });

  it('a RateLimitError is flow control, not an error: status UNSET, jorb.rate_limited and the service`s retry-after', async () => {
    const clock = new FakeClock(T0);
    let calls = 0;
    const wf = workflow<object, object, JC>('limited')
      .state('call')
      .to('done')
      .exec(async ({ jc }) => {
        await clockSleep(clock, 50);
        if (++calls === 1) throw new Error('fetch failed', { cause: new RateLimitError('HTTP 429', { retryAfterMs: 200 }) });
        return { state: 'done', jc: { ...jc, n: 1 } };
      })
      .terminal('done')
      .build();
    const run = wf.newRun('r', {}).add({}, 'call');
    await runWithFakeClock(wf, {}, run, { clock, observers: [otelTracing({ tracer })] });
    expect(run.jobs.get('0')?.errors).toEqual({}); // nothing recorded: the job waited and ran again
    // no retry was spent: the run after the pause is attempt 1 again
    expect(spans()).toEqual([
      { name: 'jorb call', job: '0', attempt: 1, start: 0, end: 50, status: SpanStatusCode.UNSET },
      { name: 'jorb call', job: '0', attempt: 1, start: 250, end: 300, status: SpanStatusCode.UNSET },
    ]);
    const [limited, ran] = exporter.getFinishedSpans();
    expect(limited?.attributes).toEqual({ 'jorb.run': 'r', 'jorb.state': 'call', 'jorb.job.id': '0', 'jorb.attempt': 1, 'jorb.rate_limited': true, 'jorb.retry_after_ms': 200 });
    expect(limited?.events).toEqual([]);
    expect(ran?.attributes).toMatchObject({ 'jorb.to': 'done' });
  });

  it('a thrown value that is not an Error is the status message and the exception as it reads', async () => {
    const clock = new FakeClock(T0);
    const wf = workflow<object, object, JC>('throws')
      .state('call')
      .to('done')
      .exec(() => {
        throw 'quota exceeded'; // eslint-disable-line @typescript-eslint/only-throw-error -- a library may throw anything
      })
      .terminal('done')
      .build();
    await runWithFakeClock(wf, {}, wf.newRun('r', {}).add({}, 'call'), { clock, observers: [otelTracing({ tracer })] });
    const span = spanOf('0');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'quota exceeded' });
    expect(span.events[0]?.attributes).toMatchObject({ 'exception.message': 'quota exceeded' });
  });

  it('a timeout ends its span when it fires, with status ERROR and the message the job records', async () => {
    const clock = new FakeClock(T0);
    const wf = pipeline(clock, { timeoutMs: 100 });
    const run = wf.newRun('r', {}).add({ ms: 500 }, 'fetch');
    await runWithFakeClock(wf, {}, run, { clock, observers: [otelTracing({ tracer })] });
    expect(run.jobs.get('0')?.errors['fetch']).toEqual(['timed out after 100ms']);
    expect(spans()).toEqual([{ name: 'jorb fetch', job: '0', attempt: 1, start: 0, end: 100, status: SpanStatusCode.ERROR }]);
    expect(spanOf('0').status).toEqual({ code: SpanStatusCode.ERROR, message: 'timed out after 100ms' });
    expect(spanOf('0').events).toEqual([]);
  });

  it('an attempt stopped by the run`s abort ends its span with status UNSET and jorb.aborted', async () => {
    const clock = new FakeClock(T0);
    const wf = pipeline(clock);
    const run = wf.newRun('r', {}).add({}, 'fetch');
    const controller = new AbortController();
    const execution = new Processor(wf, {}, { clock, observers: [otelTracing({ tracer })] }).exec(run, { signal: controller.signal });
    await clock.advance(20);
    controller.abort();
    expect((await execution).outcome).toBe('aborted');
    expect(spans()).toEqual([{ name: 'jorb fetch', job: '0', attempt: 1, start: 0, end: 20, status: SpanStatusCode.UNSET }]);
    expect(spanOf('0').attributes).toMatchObject({ 'jorb.aborted': true });
  });

  it('names spans by `spanName`, and by default uses the global tracer provider`s tracer named jorb-ts, with its version', async () => {
    const clock = new FakeClock(T0);
    const wf = pipeline(clock);
    await runWithFakeClock(wf, {}, wf.newRun('r', {}).add({}, 'fetch'), { clock, observers: [otelTracing({ tracer, spanName: (start) => `${start.run}/${start.state}` })] });
    expect(spans().map((span) => span.name)).toEqual(['r/fetch', 'r/parse']);

    exporter.reset();
    expect(trace.setGlobalTracerProvider(provider)).toBe(true);
    await runWithFakeClock(wf, {}, wf.newRun('r', {}).add({}, 'fetch'), { clock, observers: [otelTracing()] });
    const version = (await import('../package.json', { with: { type: 'json' } })).default.version;
    expect(exporter.getFinishedSpans().map((span) => span.instrumentationScope)).toEqual([
      { name: 'jorb-ts', version, schemaUrl: undefined },
      { name: 'jorb-ts', version, schemaUrl: undefined },
    ]);
  });

  it('refuses options that are not, with a TypeError naming the option', () => {
    expect(() => otelTracing({ maxRemembered: -1 })).toThrow(new TypeError('otelTracing: maxRemembered must be a whole number from 0 up, got -1'));
    expect(() => otelTracing({ maxRemembered: 1.5 })).toThrow(/maxRemembered must be a whole number from 0 up, got 1\.5/);
    expect(() => otelTracing({ spanName: 'fetch' as unknown as () => string })).toThrow(new TypeError('otelTracing: spanName must be a function, got "fetch"'));
    expect(() => otelTracing({ tracer: provider as unknown as ReturnType<typeof provider.getTracer> })).toThrow(/otelTracing: tracer must be a Tracer of @opentelemetry\/api \(with startSpan\), got BasicTracerProvider/);
    expect(() => otelTracing({ tracr: tracer } as never)).toThrow(new TypeError('otelTracing: unknown option "tracr" (did you mean "tracer"?)'));
    expect(() => otelTracing(null as never)).toThrow(/otelTracing: options must be an object such as \{ tracer \}, got null/);
    expect(() => otelTracing({ maxRemembered: 0 })).not.toThrow();
  });
});

describe('otelTracing(): kicks as links', () => {
  /** split kicks `kicks` children into work (each `ms` long, `delayMs` after the kick), then done. */
  function kicking(clock: FakeClock, child: { delayMs?: number; fail?: boolean } = {}) {
    return workflow<object, object, JC>('kicking')
      .state('split', { concurrency: 2 })
      .to('done')
      .spawns('work')
      .exec(async ({ jc, kick }) => {
        await clockSleep(clock, 10);
        const kicks = Array.from({ length: jc.kicks ?? 0 }, (_, n) => kick({ state: 'work', jc: { n }, ...(child.delayMs === undefined ? {} : { delayMs: child.delayMs }) }));
        return { state: 'done', jc, kicks };
      })
      .state('work', { concurrency: 4, retry: { attempts: 2, backoff: { initialMs: 5, jitter: 'none' } } })
      .to('done')
      .exec(async ({ jc, attempt }) => {
        await clockSleep(clock, 5);
        if (child.fail === true && attempt === 1) throw new Error('once');
        return { state: 'done', jc };
      })
      .terminal('done')
      .build();
  }

  it('an exec that moves on with an error recorded says it in jorb.error, status UNSET (the exec decided)', async () => {
    const clock = new FakeClock(T0);
    const wf = workflow<object, object, JC>('routes')
      .state('fetch')
      .to('done', 'fetch-failed')
      .exec(({ jc }) => (jc.n === 1 ? { state: 'fetch-failed', jc, error: new Error('HTTP 404') } : { state: 'done', jc }))
      .terminal('done', 'fetch-failed')
      .build();
    const run = wf.newRun('r', {}).add({ n: 0 }, 'fetch').add({ n: 1 }, 'fetch');
    await new Processor(wf, {}, { clock, observers: [otelTracing({ tracer })] }).exec(run);
    expect(spanOf('1').attributes).toMatchObject({ 'jorb.to': 'fetch-failed', 'jorb.error': 'HTTP 404' });
    expect(spanOf('1').status.code).toBe(SpanStatusCode.UNSET);
    expect(spanOf('0').attributes).not.toHaveProperty('jorb.error');
  });

  it('links each kicked job`s first attempt to the span of the attempt that kicked it (jorb.link: kicked-by); its retry has no link', async () => {
    const clock = new FakeClock(T0);
    const wf = kicking(clock, { fail: true });
    const run = wf.newRun('r', {}).add({ kicks: 2 }, 'split').add({ kicks: 1 }, 'split');
    await runWithFakeClock(wf, {}, run, { clock, observers: [otelTracing({ tracer })] });
    const parent0 = spanOf('0', 1, 'split');
    const parent1 = spanOf('1', 1, 'split');
    expect(parent0.attributes).toMatchObject({ 'jorb.to': 'done', 'jorb.kicks': 2 });
    expect(parent1.attributes).toMatchObject({ 'jorb.kicks': 1 });
    for (const [child, parent] of [['0->0', parent0], ['0->1', parent0], ['1->0', parent1]] as const) {
      const first = spanOf(child, 1, 'work');
      expect(first.attributes).toMatchObject({ 'jorb.job.parent_id': child.split('->')[0] });
      expect(first.links).toEqual([{ context: parent.spanContext(), attributes: { 'jorb.link': 'kicked-by' } }]);
      expect(first.parentSpanContext).toBeUndefined(); // a link, not a parent: the child's trace is its own
      expect(spanOf(child, 2, 'work').links).toEqual([]);
    }
    expect(parent0.links).toEqual([]);
  });

  it('a job that kicks again before its earlier children start: each child links to the attempt that kicked it', async () => {
    const clock = new FakeClock(T0);
    const wf = poller(clock, 3);
    const run = wf.newRun('r', {}).add({}, 'poll');
    await runWithFakeClock(wf, {}, run, { clock, observers: [otelTracing({ tracer })] });
    const rounds = exporter.getFinishedSpans().filter((s) => s.attributes['jorb.state'] === 'poll');
    expect(rounds.map((s) => msOf(s.endTime) - T0)).toEqual([100, 200, 300]);
    for (const [i, child] of ['0->0', '0->1', '0->2'].entries()) {
      expect(spanOf(child).links.map((link) => link.context.spanId)).toEqual([rounds[i]?.spanContext().spanId]);
    }
  });

  it('a child kicked in an earlier process, before a restart, gets no link; one kicked after it does', async () => {
    const clock = new FakeClock(T0);
    const wf = poller(clock, 2);
    const run = wf.newRun('r', {}).add({}, 'poll');
    // The first process: round 1 kicks 0->0 (due in 1 s), then the run is stopped during round 2.
    const controller = new AbortController();
    const first = new Processor(wf, {}, { clock, observers: [otelTracing({ tracer })] }).exec(run, { signal: controller.signal });
    await clock.advance(150);
    controller.abort();
    expect((await first).outcome).toBe('aborted');
    expect(run.jobs.get('0->0')?.state).toBe('work');
    // The next process, with its own tracing: round 2 again, kicking 0->1.
    const { result } = await runWithFakeClock(wf, {}, run, { clock, observers: [otelTracing({ tracer })] });
    expect(result.outcome).toBe('complete');
    const round2 = exporter.getFinishedSpans().filter((s) => s.attributes['jorb.state'] === 'poll' && s.attributes['jorb.to'] === 'done');
    expect(round2).toHaveLength(1);
    expect(spanOf('0->0').links).toEqual([]);
    expect(spanOf('0->1').links.map((link) => link.context)).toEqual([round2[0]?.spanContext()]);
  });

  it('remembers at most `maxRemembered` kicking attempts, the latest: 0 remembers none', async () => {
    const clock = new FakeClock(T0);
    const wf = kicking(clock, { delayMs: 100 }); // both children start after both parents ended
    const linksWith = async (maxRemembered: number) => {
      exporter.reset();
      const run = wf.newRun('r', {}).add({ kicks: 1 }, 'split').add({ kicks: 1 }, 'split');
      await runWithFakeClock(wf, {}, run, { clock, observers: [otelTracing({ tracer, maxRemembered })] });
      return { '0->0': spanOf('0->0').links.length, '1->0': spanOf('1->0').links.length };
    };
    expect(await linksWith(2)).toEqual({ '0->0': 1, '1->0': 1 });
    expect(await linksWith(1)).toEqual({ '0->0': 0, '1->0': 1 });
    expect(await linksWith(0)).toEqual({ '0->0': 0, '1->0': 0 });
  });
});

describe('otelTracing(): the exec runs inside its span', () => {
  it('an exec sees its attempt`s span as the active one, across awaits, and what it traces nests under it', async () => {
    const clock = new FakeClock(T0);
    const seen: { job: string; before: string | undefined; after: string | undefined }[] = [];
    const wf = workflow<object, object, JC>('instrumented')
      .state('fetch', { concurrency: 2 })
      .to('done')
      .exec(async ({ jc, job }) => {
        const before = trace.getActiveSpan()?.spanContext().spanId;
        await clockSleep(clock, 10 * (jc.n ?? 1));
        // what an instrumented HTTP client does: a span under the active one
        await tracer.startActiveSpan('GET /page', async (http) => {
          await clockSleep(clock, 5);
          http.end();
        });
        seen.push({ job: job.id, before, after: trace.getActiveSpan()?.spanContext().spanId });
        return { state: 'done', jc };
      })
      .terminal('done')
      .build();
    const run = wf.newRun('r', {}).add({ n: 2 }, 'fetch').add({ n: 1 }, 'fetch').add({ n: 1 }, 'fetch');
    await runWithFakeClock(wf, {}, run, { clock, observers: [otelTracing({ tracer })] });
    expect(seen.map((s) => s.job).sort()).toEqual(['0', '1', '2']);
    for (const { job, before, after } of seen) {
      const attempt = spanOf(job).spanContext();
      expect(before).toBe(attempt.spanId);
      expect(after).toBe(attempt.spanId);
    }
    const http = exporter.getFinishedSpans().filter((s) => s.name === 'GET /page');
    expect(http).toHaveLength(3);
    const attempts = new Map(['0', '1', '2'].map((job) => [spanOf(job).spanContext().spanId, spanOf(job).spanContext().traceId]));
    for (const span of http) {
      const parent = span.parentSpanContext?.spanId ?? '';
      expect(attempts.has(parent)).toBe(true);
      expect(span.spanContext().traceId).toBe(attempts.get(parent));
    }
    expect(new Set(http.map((s) => s.parentSpanContext?.spanId)).size).toBe(3);
    // job 2 started in job 1's slot, from job 1's settling inside its exec's context: still a trace of its own
    expect(spanOf('2').parentSpanContext).toBeUndefined();
  });
});

describe('the jorb-ts/otel entry point', () => {
  it('documents every export with an example', () => {
    const entry = fileURLToPath(new URL('../src/otel/index.ts', import.meta.url));
    const program = ts.createProgram([entry], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, strict: true });
    const checker = program.getTypeChecker();
    const source = program.getSourceFile(entry);
    const moduleSymbol = source === undefined ? undefined : checker.getSymbolAtLocation(source);
    if (moduleSymbol === undefined) throw new Error('src/otel/index.ts is not a module');
    const exported = checker.getExportsOfModule(moduleSymbol);
    const withoutExample = exported
      .filter((symbol) => {
        const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
        return !(target.declarations ?? []).some((d) => ts.getJSDocTags(d).some((tag) => tag.tagName.text === 'example'));
      })
      .map((symbol) => symbol.name);
    expect(exported.map((symbol) => symbol.name).sort()).toEqual(['OtelTracingOptions', 'otelTracing']);
    expect(withoutExample).toEqual([]);
  });
});
