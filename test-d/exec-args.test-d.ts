// Guarantee: an exec receives { ac, oc, jc, job, signal } typed from the workflow, and Workflow, Processor and Run line up.
import { expectAssignable, expectError, expectNotAssignable, expectType } from 'tsd';
import { MemoryStore, Processor, workflow, type ExecArgs, type ProcessorExecResult, type Job, type Run, type Workflow } from 'jorb-ts';

type AC = { api: { get(url: string, signal: AbortSignal): Promise<string> } };
type OC = { outDir: string };
type JC = { url: string; body?: string };
type S = 'fetch' | 'parse' | 'done';

const crawl = workflow<AC, OC, JC>('crawl');

// Accepted: each argument has the workflow's type.
const wf = crawl
  .state('fetch')
  .to('parse')
  .exec(async (args) => {
    expectAssignable<ExecArgs<AC, OC, JC>>(args);
    const { ac, oc, jc, job, signal } = args;
    expectType<AC>(ac);
    expectType<OC>(oc);
    expectType<JC>(jc);
    expectType<Readonly<Job<JC>>>(job);
    expectType<AbortSignal>(signal);
    expectType<string>(oc.outDir);
    expectType<string | undefined>(jc.body);
    expectType<string>(job.id);
    expectType<Readonly<Record<string, readonly string[]>>>(job.errors);
    return { state: 'parse', jc: { ...jc, body: await ac.api.get(jc.url, signal) } };
  })
  .state('parse')
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc }))
  .terminal('done')
  .build();
expectType<Workflow<AC, OC, JC, S>>(wf);

// Accepted: an exec written apart, its arguments typed `ExecArgs<AC, OC, JC>`, in a state with or without .spawns(...).
const storePage = async ({ jc }: ExecArgs<AC, OC, JC>) => ({ state: 'done' as const, jc });
crawl.state('store').to('done').exec(storePage);
crawl.state('store').to('done').spawns('fetch').exec(storePage);

// Rejected: properties the contexts do not have; writing to the read-only arguments.
expectError(crawl.state('fetch').to('parse').exec(({ ac, jc }) => ({ state: 'parse', jc: { ...jc, body: ac.db.query(jc.url) } })));
expectError(crawl.state('fetch').to('parse').exec(({ oc, jc }) => ({ state: 'parse', jc: { url: oc.outdir } })));
expectError(crawl.state('fetch').to('parse').exec(({ jc }) => ({ state: 'parse', jc: { url: jc.uri } })));
expectError(
  crawl
    .state('fetch')
    .to('parse')
    .exec((args) => {
      args.jc = { url: '' };
      return { state: 'parse', jc: args.jc };
    }),
);
expectError(
  crawl
    .state('fetch')
    .to('parse')
    .exec(({ job, jc }) => {
      job.state = 'parse';
      return { state: 'parse', jc };
    }),
);

// Accepted: a Processor built from the workflow runs a new run of it and a run loaded from a store.
const ac: AC = { api: { get: async (url) => url } };
const store = new MemoryStore<OC, JC>();
const processor = new Processor(wf, ac, { store });
expectType<Processor<AC, OC, JC, S>>(processor);
expectType<Promise<ProcessorExecResult>>(processor.exec(wf.newRun('nightly', { outDir: 'out' }).add({ url: 'https://example.com' }, 'fetch')));

async function resume(): Promise<ProcessorExecResult> {
  const loaded = await new MemoryStore<OC, JC>().load();
  expectType<Run<OC, JC> | undefined>(loaded);
  if (loaded !== undefined) await processor.exec(loaded, { signal: AbortSignal.timeout(60_000) });
  const run = (await store.load()) ?? wf.newRun('nightly', { outDir: 'out' });
  return processor.exec(run);
}
void resume;
expectAssignable<Run<OC, JC>>(wf.newRun('nightly', { outDir: 'out' }));

// Rejected: an app context, store or run of other types than the workflow's.
expectError(new Processor(wf, { api: { get: (url: string) => url.length } }));
expectError(new Processor(wf, {}));
expectError(new Processor(wf, ac, { store: new MemoryStore<OC, { id: number }>() }));
expectError(new Processor(wf, ac, { store: new MemoryStore<{ outDir: number }, JC>() }));
declare const otherRun: Run<OC, { id: number }>;
expectError(processor.exec(otherRun));
declare const otherOcRun: Run<{ dir: string }, JC>;
expectError(processor.exec(otherOcRun));
expectNotAssignable<Run<OC, JC>>(otherRun);
