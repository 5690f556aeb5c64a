// The store conformance suite: what every Store must do, asserted through the public API only.
// `describeStoreConformance(name, harness)` registers the cases for one store; the harness says how
// to open a store on a place and how to crash one, and offers the capabilities only some stores
// have (files that can be torn or damaged, compaction, a measure of the bytes written). A case
// whose capability the harness lacks is not registered for it.
//
// Nothing here assumes files: a place is whatever the harness says (a path, a key, a database and
// run name). Every case uses fixed seeds and waits on no clock; a crash is simulated in-process, between
// store calls (what a kill -9 mid-write leaves is the torn-tail capability's business).
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyRecord, fromSnapshot, Processor, redrive, replay, Run, RunError, toSnapshot, UnknownStatesError, workflow } from '../../src/index.js';
import type { Job, KickRecord, RunSnapshot, Store, StoreRecord, WorkflowStates } from '../../src/index.js';

/**
 * How the suite drives one kind of store. `P` is a place where a run lives: every store opened on
 * the same place sees the same run, as processes opening the same file or database row do.
 */
export interface StoreHarness<P> {
  /** A new, empty place. Called once or more per case; the harness cleans up after the case. */
  place(): P | Promise<P>;
  /** A store on `place`, as a new process would open it: it has loaded nothing yet. */
  open<OC, JC>(place: P): Store<OC, JC> | Promise<Store<OC, JC>>;
  /**
   * Drops `store` as a `kill -9` would: no flush, no close, and whatever it held (a lock, a lease,
   * a connection) freed as the operating system or the database frees a dead process's. The suite
   * calls it only between store calls, and never uses `store` again.
   */
  crash(place: P, store: Store<unknown, unknown>): void | Promise<void>;
  /**
   * Stores opened on one place are independent, as stores in two processes are: a store opened
   * after another closed sees what it wrote, and a store that never loaded has not loaded. (A
   * `MemoryStore` is its own place: "opening" it again hands back the same store, so it has not
   * this capability.)
   */
  readonly independentStores?: boolean;
  /** Opens a store that compacts as often as it can (a new snapshot at every chance). */
  readonly compacting?: {
    open<OC, JC>(place: P): Store<OC, JC> | Promise<Store<OC, JC>>;
  };
  /** Tears the last record written at a crashed place, as a crash in the middle of writing it leaves it. */
  readonly tornTail?: {
    tear(place: P): void | Promise<void>;
  };
  /** Damages what a place holds in ways a store must report rather than repair. */
  readonly badData?: {
    /** Names of the kinds of damage `damage` knows; one case is registered per kind. */
    readonly kinds: readonly string[];
    /** Damages the (crashed, holding a run) place. */
    damage(place: P, kind: string): void | Promise<void>;
    /** Everything the place holds (or a promise of it), to prove that nothing was rewritten (locks and leases excluded). */
    raw(place: P): unknown;
    /** Asserts that `error`, what a load of the damaged place threw, is clear and names the place. */
    expectClearError(place: P, kind: string, error: unknown): void;
  };
  /** Measures the bytes written at a place, to prove that a change writes O(changes). */
  readonly writes?: {
    /** Remembers what the place holds now (may return a promise). */
    mark(place: P): unknown;
    /** How many bytes were written at the place since `mark` (what changed, counted whole). */
    bytesSince(place: P, mark: unknown): number | Promise<number>;
  };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type OC = Json;
type JC = Json;

const SEED = Number(process.env['FC_SEED'] ?? 20_240_614);
const T0 = 1_700_000_000_000;

/**
 * The run as plain JSON: what the suite compares (name, oc, jobs in order, every field of every
 * job). Not `nextId`: which id `run.add` gives next is compared by adding a job (and one case
 * compares the field itself, so that one difference fails one case, not all).
 */
function plain(run: Run<unknown, unknown>): unknown {
  const { nextId: _, ...rest } = JSON.parse(JSON.stringify(toSnapshot(run))) as RunSnapshot<unknown, unknown>;
  return rest;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** The run a store must give back: the snapshot with the records applied, through the public API. */
function expected<O, J>(initial: RunSnapshot<O, J>, records: readonly StoreRecord<J>[]): Run<O, J> {
  return replay(fromSnapshot<O, J>(clone(initial), 'expected'), clone(records));
}

function must<T>(value: T | undefined, what = 'a run'): T {
  if (value === undefined) throw new Error(`expected ${what}, got undefined`);
  return value;
}

/** The error a call must fail with (thrown or rejected). */
async function failure(call: () => unknown, what = 'the call'): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  throw new Error(`expected ${what} to fail, it succeeded`);
}

/** Applies records to the run a store holds, as the processor does once they are durable (the contract asks it of every writer). */
function applyAll<J>(run: Run<unknown, J>, records: readonly StoreRecord<J>[]): void {
  for (const record of clone(records)) applyRecord(run, record);
}

// ---------------------------------------------------------------------------------------------
// The workflow and the run most cases store.

const wf = workflow<object, OC, JC>('conformance')
  .state('fetch')
  .to('parse', 'fetch', 'fetch-failed')
  .exec(({ jc }) => ({ state: 'parse', jc }))
  .state('parse')
  .to('done')
  .spawns('fetch')
  .exec(({ jc, job }) => {
    const links = jc !== null && typeof jc === 'object' && !Array.isArray(jc) && Array.isArray(jc['links']) ? (jc['links'] as string[]) : [];
    // A redriven job finds one more link, so a kick after a reload shows which ids and keys were taken.
    const found = job.history.some((h) => h.note !== undefined) ? [...links, 'late'] : links;
    return { state: 'done', jc, kicks: found.map((url) => ({ state: 'fetch' as const, jc: { url }, key: url })) };
  })
  .terminal('done', 'fetch-failed')
  .build();

type Step = 'fetch' | 'parse' | 'done' | 'fetch-failed';

function job(id: string, state: Step, jc: JC, extra: Partial<Job<JC>> = {}): Job<JC> {
  return { id, state, jc, errors: {}, history: [{ state, at: T0 }], updatedAt: T0, ...extra };
}

/** A run with every kind of field a job can have, and text that JSON and UTF-8 make hard. */
const richSnapshot: RunSnapshot<OC, JC> = {
  format: 'jorb-run',
  version: 1,
  name: 'nächtlich 🌙',
  oc: { outDir: 'out', tags: ['a', 'é'], nested: { deep: [1, 2.5, null, true] } },
  nextId: 3,
  jobs: [
    job('0', 'done', { url: 'https://example.test/', body: 'line\nbreak \u2028 "quoted" \\ tab\t' }, {
      errors: { fetch: ['HTTP 503', 'timed out after 5ms'] },
      history: [
        { state: 'fetch', at: T0 },
        { state: 'parse', at: T0 + 1 },
        { state: 'done', at: T0 + 2 },
      ],
      updatedAt: T0 + 2,
    }),
    job('0->0', 'fetch', { url: 'https://example.test/a' }, { parentId: '0', key: 'https://example.test/a', priority: 5 }),
    job('0->1', 'fetch', { url: 'https://example.test/鍵' }, { parentId: '0', key: '鍵🔑', failed: true, errors: { fetch: ['ECONNRESET: socket hang up'] } }),
    job('1', 'fetch-failed', { url: 'https://example.test/slow' }, {
      errors: { fetch: ['timed out after 5ms'] },
      history: [
        { state: 'fetch', at: T0 },
        { state: 'fetch-failed', at: T0 + 3, note: 'moved by hand' },
      ],
      updatedAt: T0 + 3,
    }),
    job('id with space ✓', 'parse', { url: 'https://example.test/b', n: -7, empty: {}, list: [] }, { priority: -2 }),
  ],
};

/** Records of every kind, in two batches, valid on `richSnapshot`. */
const richBatches: StoreRecord<JC>[][] = [
  [
    { type: 'transition', id: '0->0', from: 'fetch', to: 'parse', jc: { url: 'https://example.test/a', body: 'é' }, at: T0 + 10 },
    {
      type: 'transition',
      id: 'id with space ✓',
      from: 'parse',
      to: 'done',
      jc: { url: 'https://example.test/b' },
      at: T0 + 11,
      error: 'noted, moving on',
      kicks: [
        { id: 'id with space ✓->0', state: 'fetch', jc: { url: 'https://example.test/c' }, key: 'https://example.test/c', priority: 2 },
        { id: 'id with space ✓->1', state: 'fetch', jc: { url: 'https://example.test/d' } },
      ],
    },
  ],
  [
    { type: 'transition', id: 'id with space ✓->1', from: 'fetch', to: 'fetch', jc: { url: 'https://example.test/d' }, at: T0 + 12, error: 'HTTP 429 🦀', failed: true },
    { type: 'add', job: job('2', 'fetch', { url: 'https://example.test/e' }, { key: 'seed-e', priority: 1 }) },
    { type: 'move', id: '1', from: 'fetch-failed', to: 'fetch', at: T0 + 13, note: 'redrive from fetch-failed' },
    { type: 'move', id: '0->1', from: 'fetch', to: 'fetch', at: T0 + 14, note: 'redrive from fetch', keepFailed: true },
  ],
];

// ---------------------------------------------------------------------------------------------
// Scenarios of records for the crash cases: transitions (errors, failed marks, kicks with keys and
// priorities), adds and moves, each valid on the run the records before it made.

const text = fc.oneof(fc.string({ maxLength: 8 }), fc.string({ unit: 'grapheme', maxLength: 4 }), fc.constantFrom('é', '日本語', '🦀', 'a\nb', '"q"', '\\', '\u2028'));
const jsonArb: fc.Arbitrary<Json> = fc.letrec<{ json: Json }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    text,
    fc.array(tie('json'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('url', 'n', 'ключ', '名前', ''), tie('json'), { maxKeys: 3 }),
  ),
})).json;
const stateArb = fc.constantFrom('fetch', 'parse', 'done', 'état', '状態', 'with space');
const priorityArb = fc.option(fc.integer({ min: -3, max: 3 }), { nil: undefined, freq: 2 });

type ScenarioStep =
  | { kind: 'transition'; pick: number; to: string; jc: Json; error: string | undefined; failed: boolean; kicks: { state: string; jc: Json; keyed: boolean; priority: number | undefined }[] }
  | { kind: 'add'; state: string; jc: Json; keyed: boolean; priority: number | undefined }
  | { kind: 'move'; pick: number; to: string; keepFailed: boolean };

const stepArb: fc.Arbitrary<ScenarioStep> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('transition' as const),
      pick: fc.nat(),
      to: stateArb,
      jc: jsonArb,
      error: fc.option(text, { nil: undefined, freq: 3 }),
      failed: fc.nat({ max: 3 }).map((n) => n === 0),
      kicks: fc.array(fc.record({ state: stateArb, jc: jsonArb, keyed: fc.boolean(), priority: priorityArb }), { maxLength: 2 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('add' as const), state: stateArb, jc: jsonArb, keyed: fc.boolean(), priority: priorityArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('move' as const), pick: fc.nat(), to: stateArb, keepFailed: fc.boolean() }) },
);

interface Scenario {
  readonly initial: RunSnapshot<OC, JC>;
  readonly batches: readonly (readonly StoreRecord<JC>[])[];
}

function scenarioArb(maxSteps: number): fc.Arbitrary<Scenario> {
  return fc
    .record({
      seeds: fc.array(fc.record({ state: stateArb, jc: jsonArb, failed: fc.boolean(), keyed: fc.boolean() }), { minLength: 1, maxLength: 4 }),
      steps: fc.array(stepArb, { minLength: 1, maxLength: maxSteps }),
      sizes: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 4 }),
    })
    .map(({ seeds, steps, sizes }) => buildScenario(seeds, steps, sizes));
}

function buildScenario(seeds: { state: string; jc: Json; failed: boolean; keyed: boolean }[], steps: ScenarioStep[], sizes: number[]): Scenario {
  let fresh = 0;
  const freshKey = () => `key-${fresh++}${['', 'é', '鍵', '🔑'][fresh % 4] ?? ''}`;
  const initial: RunSnapshot<OC, JC> = {
    format: 'jorb-run',
    version: 1,
    name: 'scenario',
    oc: { seeds: seeds.length },
    nextId: seeds.length,
    jobs: seeds.map((s, i) => ({
      id: String(i),
      state: s.state,
      jc: s.jc,
      errors: {},
      history: [{ state: s.state, at: T0 }],
      updatedAt: T0,
      ...(s.failed ? { failed: true } : {}),
      ...(s.keyed ? { key: freshKey() } : {}),
    })),
  };
  const model = fromSnapshot<OC, JC>(clone(initial), 'model');
  const kicked = new Map<string, number>();
  const records: StoreRecord<JC>[] = [];
  let at = T0;
  steps.forEach((step, i) => {
    at += 1 + i;
    const ids = [...model.jobs.keys()];
    const picked = 'pick' in step ? must(model.jobs.get(ids[step.pick % ids.length] as string), 'a job') : undefined;
    let record: StoreRecord<JC>;
    if (step.kind === 'add') {
      const added: Job<JC> = { id: `added-${i}`, state: step.state, jc: step.jc, errors: {}, history: [{ state: step.state, at }], updatedAt: at };
      record = { type: 'add', job: { ...added, ...(step.keyed ? { key: freshKey() } : {}), ...(step.priority ? { priority: step.priority } : {}) } };
    } else if (step.kind === 'move') {
      const from = must(picked).state;
      record = { type: 'move', id: must(picked).id, from, to: step.to, at, note: `redrive from ${from}`, ...(step.keepFailed ? { keepFailed: true as const } : {}) };
    } else {
      const from = must(picked);
      const base = { type: 'transition' as const, id: from.id, from: from.state, jc: step.jc, at, ...(step.error !== undefined ? { error: step.error } : {}) };
      if (step.failed) {
        record = { ...base, to: from.state, failed: true };
      } else {
        const kicks: KickRecord<JC>[] = step.kicks.map((k) => {
          const n = kicked.get(from.id) ?? 0;
          kicked.set(from.id, n + 1);
          return { id: `${from.id}->${n}`, state: k.state, jc: k.jc, ...(k.keyed ? { key: freshKey() } : {}), ...(k.priority ? { priority: k.priority } : {}) };
        });
        record = { ...base, to: step.to, ...(kicks.length > 0 ? { kicks } : {}) };
      }
    }
    records.push(record);
    applyRecord(model, clone(record));
  });
  const batches: StoreRecord<JC>[][] = [];
  for (let start = 0, b = 0; start < records.length; b++) {
    const size = sizes[b % sizes.length] as number;
    batches.push(records.slice(start, start + size));
    start += size;
  }
  return { initial, batches };
}

// ---------------------------------------------------------------------------------------------
// Real runs: a workflow with keyed kicks that collide, retries, failures and errors recorded while
// moving on. Every job context's `n` is unique, so a child kicked twice would show.

type RJC = { n: number };
type ROC = { label: string };
interface RAC {
  /** Called as every exec starts: where the crash is triggered. */
  beforeExec(): void;
}

const realWf = workflow<RAC, ROC, RJC>('conformance-real')
  .state('seed', { concurrency: 2 })
  .to('done')
  .spawns('work')
  .exec(({ ac, jc }) => {
    ac.beforeExec();
    const kicks = [0, 1, 2].map((i) => 100 + ((jc.n * 2 + i) % 11)).map((m) => ({ state: 'work' as const, jc: { n: m }, key: `work-${m}` }));
    return { state: 'done', jc, kicks };
  })
  .state('work', { concurrency: 3, retry: { attempts: 3, backoff: { initialMs: 0, jitter: 'none' } } })
  .to('check')
  .spawns('check')
  .exec(({ ac, jc, job: self }) => {
    ac.beforeExec();
    if (jc.n % 4 === 0) throw new Error(`broken ${jc.n}`);
    if (jc.n % 3 === 0 && (self.errors['work']?.length ?? 0) === 0) throw new Error(`flaky ${jc.n}`);
    return { state: 'check', jc, kicks: jc.n % 2 === 0 ? [{ state: 'check' as const, jc: { n: jc.n + 1000 }, key: `check-${jc.n}` }] : [] };
  })
  .state('check', { concurrency: 2 })
  .to('done')
  .exec(({ ac, jc }) => {
    ac.beforeExec();
    return jc.n % 5 === 0 ? { state: 'done', jc, error: `noted ${jc.n}` } : { state: 'done', jc };
  })
  .terminal('done')
  .build();

function realRun(): Run<ROC, RJC> {
  const run = realWf.newRun('real', { label: 'crash me' });
  for (let n = 0; n < 8; n++) run.add({ n }, 'seed', { id: `seed-${n}` });
  return run;
}

/** What a finished run is, whoever ran it: every job's n, state and failed mark, by n. */
function outcome(run: Run<ROC, RJC>): string[] {
  return [...run.jobs.values()].map((j) => `${j.jc.n}:${j.state}${j.failed ? ':failed' : ''}`).sort();
}

class SimulatedCrash extends Error {
  override readonly name = 'SimulatedCrash';
}

/**
 * A store in front of the store under test, to kill the "process" at a chosen moment: once
 * crashed, every call fails and nothing more is acknowledged. It remembers what it forwarded
 * (`records`) and how many of those were acknowledged (`acked`), so the suite knows which runs a
 * reload may give: the acknowledged records, plus any prefix of those still in flight.
 */
class CrashingStore<O, J> implements Store<O, J> {
  readonly inner: Store<O, J>;
  initial: RunSnapshot<O, J> | undefined;
  readonly records: StoreRecord<J>[] = [];
  acked = 0;
  ackedTransitions = 0;
  #crashed = false;
  readonly #pending = new Set<Promise<unknown>>();

  constructor(inner: Store<O, J>) {
    this.inner = inner;
  }

  crash(): void {
    this.#crashed = true;
  }

  /** Resolves once no call to the inner store is in flight (the suite crashes it between calls). */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  async load(workflow?: WorkflowStates<string>): Promise<Run<O, J> | undefined> {
    return this.#forward(() => this.inner.load(workflow));
  }

  async append(records: readonly StoreRecord<J>[]): Promise<void> {
    this.#check();
    this.records.push(...clone(records));
    const end = this.records.length;
    await this.#forward(() => this.inner.append(records));
    this.acked = Math.max(this.acked, end);
    this.ackedTransitions = this.records.slice(0, this.acked).filter((r) => r.type === 'transition').length;
  }

  async checkpoint(run: Run<O, J>, when?: 'start' | 'stop'): Promise<void> {
    this.#check();
    if (this.initial === undefined) this.initial = clone(toSnapshot(run));
    return this.#forward(() => this.inner.checkpoint(run, when));
  }

  async close(): Promise<void> {
    return this.#forward(() => this.inner.close());
  }

  #check(): void {
    if (this.#crashed) throw new SimulatedCrash('the process was killed');
  }

  async #forward<T>(call: () => Promise<T>): Promise<T> {
    this.#check();
    const pending = call();
    this.#pending.add(pending);
    try {
      const value = await pending;
      this.#check(); // an answer that comes after the kill reaches nobody
      return value;
    } finally {
      this.#pending.delete(pending);
    }
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * Registers the conformance cases for one store. Call it at the top level of a test file.
 *
 * @example
 * ```ts
 * describeStoreConformance('MapStore', { place: () => String(n++), open: (key) => new MapStore(map, key), crash: () => {}, independentStores: true });
 * ```
 */
export function describeStoreConformance<P>(name: string, harness: StoreHarness<P>): void {
  type Opener = <O, J>(place: P) => Promise<Store<O, J>>;
  const open: Opener = async <O, J>(place: P) => harness.open<O, J>(place);
  const crash = async (place: P, store: Store<unknown, unknown>): Promise<void> => harness.crash(place, store);

  /** Writes the snapshot whole, then appends the batches one call each, as a writer must (records applied to the held run). */
  async function write<O, J>(store: Store<O, J>, initial: RunSnapshot<O, J>, batches: readonly (readonly StoreRecord<J>[])[]): Promise<Run<O, J>> {
    const run = fromSnapshot<O, J>(clone(initial), 'writer');
    await store.checkpoint(run);
    for (const batch of batches) {
      await store.append(clone(batch));
      applyAll(run, batch);
    }
    return run;
  }

  /** Crashes `store` and loads the place again with a new store. */
  async function crashAndLoad<O, J>(place: P, store: Store<O, J>, opener: Opener = open): Promise<{ store: Store<O, J>; run: Run<O, J> }> {
    await crash(place, store);
    const next = await opener<O, J>(place);
    return { store: next, run: must(await next.load()) };
  }

  describe(`${name}: store conformance`, () => {
    describe('round trip', () => {
      it('a place that holds nothing loads as undefined, with or without a workflow', async () => {
        const place = await harness.place();
        const first = await open(place);
        expect(await first.load()).toBeUndefined();
        await crash(place, first);
        const second = await open(place);
        expect(await second.load(wf)).toBeUndefined();
        await crash(place, second);
      });

      it('a run written whole, then records appended, loads equal: jobs in order, errors, history, failed marks, kicks, keys, priorities', async () => {
        const place = await harness.place();
        const store = await open<OC, JC>(place);
        expect(await store.load()).toBeUndefined();
        const held = await write(store, richSnapshot, richBatches);
        const want = expected(richSnapshot, richBatches.flat());
        expect(plain(held)).toEqual(plain(want));

        const { run } = await crashAndLoad(place, store);
        expect(run.name).toBe('nächtlich 🌙');
        expect(run.oc).toEqual(richSnapshot.oc);
        expect(plain(run)).toEqual(plain(want));
        expect([...run.jobs.keys()]).toEqual(['0', '0->0', '0->1', '1', 'id with space ✓', 'id with space ✓->0', 'id with space ✓->1', '2']);
        expect(run.jobs.get('0->1')).toMatchObject({ state: 'fetch', failed: true, key: '鍵🔑' });
        expect(run.jobs.get('id with space ✓->0')).toMatchObject({ parentId: 'id with space ✓', key: 'https://example.test/c', priority: 2 });
        // The next default id came back with it.
        run.add({ late: true }, 'fetch');
        expect([...run.jobs.keys()].at(-1)).toBe('3');
      });

      it('the keys taken come back: an add with a used key throws a RunError and changes nothing', async () => {
        const place = await harness.place();
        const store = await open<OC, JC>(place);
        await write(store, richSnapshot, richBatches);
        const { run } = await crashAndLoad(place, store);
        const before = JSON.stringify(toSnapshot(run));
        expect(() => run.add({}, 'fetch', { key: 'seed-e' })).toThrow(RunError); // added by a record
        expect(() => run.add({}, 'fetch', { key: 'https://example.test/c' })).toThrow(RunError); // kicked by a record
        expect(() => run.add({}, 'fetch', { key: '鍵🔑' })).toThrow(RunError); // in the snapshot
        expect(JSON.stringify(toSnapshot(run))).toBe(before);
        run.add({ late: true }, 'fetch');
        expect([...run.jobs.keys()].at(-1)).toBe('3');
      });

      it('toSnapshot(loaded).nextId is the run\'s: a run.add stored as a record advances it as it did the run', async () => {
        const place = await harness.place();
        const store = await open<OC, JC>(place);
        const run = fromSnapshot<OC, JC>(clone(richSnapshot), 'writer');
        await store.checkpoint(run);
        run.add({ url: 'https://example.test/added' }, 'fetch');
        await store.checkpoint(run, 'start');
        expect(toSnapshot(run).nextId).toBe(4);
        const { run: loaded } = await crashAndLoad(place, store);
        expect(toSnapshot(loaded).nextId).toBe(toSnapshot(run).nextId);
      });

      if (harness.independentStores) {
        it('a run written, appended to and closed loads equal in a store opened afterwards', async () => {
          const place = await harness.place();
          const store = await open<OC, JC>(place);
          await write(store, richSnapshot, richBatches);
          await store.close();
          const again = await open<OC, JC>(place);
          expect(plain(must(await again.load()))).toEqual(plain(expected(richSnapshot, richBatches.flat())));
          await again.close();
          // Closing a store that loaded and changed nothing leaves the run as it was.
          expect(plain(must(await (await open<OC, JC>(place)).load()))).toEqual(plain(expected(richSnapshot, richBatches.flat())));
        });
      }

      it('load(workflow) binds the run: a run.add or a redrive to a state the workflow lacks throws a RunError', async () => {
        const place = await harness.place();
        const store = await open<OC, JC>(place);
        await write(store, richSnapshot, richBatches);
        await crash(place, store);
        const run = must(await (await open<OC, JC>(place)).load(wf));
        const before = plain(run);
        expect(() => run.add({}, 'nowhere')).toThrow(RunError);
        expect(() => redrive(run, { from: 'fetch', to: 'nowhere' })).toThrow(RunError);
        expect(plain(run)).toEqual(before);
        run.add({}, 'parse');
        expect([...run.jobs.values()].at(-1)?.state).toBe('parse');
      });

      it('load(workflow) of a run with a job in a state the workflow lacks throws an UnknownStatesError naming it, and changes nothing', async () => {
        const place = await harness.place();
        const store = await open<OC, JC>(place);
        const ghostly = new Run<OC, JC>('ghostly', {}).add({ n: 1 }, 'fetch').add({ n: 2 }, 'ghost', { id: 'boo' });
        await store.checkpoint(ghostly);
        await crash(place, store);
        const reader = await open<OC, JC>(place);
        const error = await failure(() => reader.load(wf), 'load(workflow)');
        expect(error).toBeInstanceOf(UnknownStatesError);
        expect((error as UnknownStatesError).jobs).toEqual([{ id: 'boo', state: 'ghost' }]);
        expect(plain(must(await reader.load()))).toEqual(plain(ghostly));
        await crash(place, reader);
        expect(plain(must(await (await open<OC, JC>(place)).load()))).toEqual(plain(ghostly));
      });

      it('kick ids and keys survive a reload: a parent kicking again after a redrive gets fresh ids, a used key is dropped', async () => {
        const place = await harness.place();
        const store = await open<OC, JC>(place);
        const run = wf.newRun('kicks', {}).add({ links: ['a', 'b'] }, 'fetch');
        expect((await new Processor(wf, {}, { store }).exec(run)).outcome).toBe('complete');
        expect([...run.jobs.keys()]).toEqual(['0', '0->0', '0->1']);
        const reloaded = await crashAndLoad(place, store);
        const again = reloaded.run;
        expect(plain(again)).toEqual(plain(run));
        expect(redrive(again, { from: 'done', to: 'parse', at: T0 })).toEqual(['0', '0->0', '0->1']);
        expect((await new Processor(wf, {}, { store: reloaded.store }).exec(again)).outcome).toBe('complete');
        // "a" and "b" were taken, "late" is new: one child, with the parent's next id.
        expect([...again.jobs.keys()]).toEqual(['0', '0->0', '0->1', '0->2']);
        expect(again.jobs.get('0->2')).toMatchObject({ key: 'late', parentId: '0', state: 'done' });
        const last = await crashAndLoad(place, reloaded.store);
        expect(plain(last.run)).toEqual(plain(again));
      });
    });

    describe('every change is a record', () => {
      /** A run with a failed fetch and a job in fetch-failed, stored, crashed, loaded for `wf`. */
      async function loadedRun(place: P): Promise<{ store: Store<OC, JC>; run: Run<OC, JC> }> {
        const store = await open<OC, JC>(place);
        await write(store, richSnapshot, []);
        await crash(place, store);
        const next = await open<OC, JC>(place);
        return { store: next, run: must(await next.load(wf)) };
      }

      it('a run.add and a redrive on a loaded run are written by checkpoint(run, "start"), once', async () => {
        const place = await harness.place();
        const { store, run } = await loadedRun(place);
        run.add({ url: 'https://example.test/new' }, 'fetch', { key: 'new', priority: 3 });
        expect(redrive(run, { from: 'fetch-failed', to: 'fetch', at: T0 + 50 })).toEqual(['1']);
        await store.checkpoint(run, 'start');
        await store.checkpoint(run, 'start'); // nothing new: nothing written twice
        const { run: reloaded } = await crashAndLoad(place, store);
        expect(plain(reloaded)).toEqual(plain(run));
        expect(reloaded.jobs.get('1')?.history.at(-1)).toEqual({ state: 'fetch', at: T0 + 50, note: 'redrive from fetch-failed' });
      });

      it('a job added, then redriven, before the store saw either, is stored as it is (the move applied once)', async () => {
        const place = await harness.place();
        const { store, run } = await loadedRun(place);
        run.add({ url: 'https://example.test/new' }, 'fetch', { id: 'new' });
        expect(redrive(run, { from: 'fetch', to: 'fetch', at: T0 + 50 })).toEqual(['0->0', '0->1', 'new']);
        await store.checkpoint(run, 'start');
        const { run: reloaded } = await crashAndLoad(place, store);
        expect(reloaded.jobs.get('new')?.history).toEqual(run.jobs.get('new')?.history);
        expect(plain(reloaded)).toEqual(plain(run));
      });

      it('a run.add and a redrive before processor.exec are stored with the run it executes', async () => {
        const place = await harness.place();
        const { store, run } = await loadedRun(place);
        redrive(run, { from: 'fetch', to: 'fetch', at: T0 + 50 }); // clears the failed mark of 0->1
        run.add({ url: 'https://example.test/new' }, 'fetch', { id: 'new' });
        expect((await new Processor(wf, {}, { store }).exec(run)).outcome).toBe('complete');
        expect(run.jobs.get('new')?.state).toBe('done');
        expect(run.jobs.get('0->1')).toMatchObject({ state: 'done' });
        expect(plain((await crashAndLoad(place, store)).run)).toEqual(plain(run));
      });

      if (harness.independentStores) {
        it('the recipes "redrive(run, …); await store.close()" and "run.add(…); await store.close()" store the change', async () => {
          const place = await harness.place();
          const { store, run } = await loadedRun(place);
          expect(redrive(run, { from: 'fetch-failed', to: 'fetch', at: T0 + 50 })).toEqual(['1']);
          await store.close();
          const second = await open<OC, JC>(place);
          const redriven = must(await second.load(wf));
          expect(plain(redriven)).toEqual(plain(run));
          redriven.add({ url: 'https://example.test/added' }, 'fetch', { key: 'added' });
          await second.close();
          const third = must(await (await open<OC, JC>(place)).load(wf));
          expect(plain(third)).toEqual(plain(redriven));
          expect(third.jobs.get('3')).toMatchObject({ state: 'fetch', key: 'added' });
        });
      }

      const writes = harness.writes;
      if (writes) {
        it('starting a processor on a loaded run writes what changed, not the run whole', async () => {
          const place = await harness.place();
          const store = await open<OC, JC>(place);
          const big = wf.newRun('big', { outDir: 'out' });
          for (let n = 0; n < 500; n++) big.add({ url: `https://example.test/${n}`, body: 'x'.repeat(40) }, 'done');
          const beforeWhole = await writes.mark(place);
          await store.checkpoint(big);
          const whole = await writes.bytesSince(place, beforeWhole);
          expect(whole).toBeGreaterThan(500 * 40);
          await crash(place, store);

          const next = await open<OC, JC>(place);
          const run = must(await next.load(wf));
          run.add({ url: 'https://example.test/one-more' }, 'fetch');
          const beforeChange = await writes.mark(place);
          expect((await new Processor(wf, {}, { store: next }).exec(run)).outcome).toBe('complete');
          const changed = await writes.bytesSince(place, beforeChange);
          expect(changed, `one add and two transitions wrote ${changed} bytes; the run whole is ${whole}`).toBeLessThan(whole / 20);
          expect(plain((await crashAndLoad(place, next)).run)).toEqual(plain(run));
        });
      }
    });

    describe('replay after a crash', () => {
      /**
       * Writes the scenario's run whole, then its batches one append each; before the first and
       * after every one, crashes the store and loads the place with a new one, which must give
       * exactly the acknowledged records applied; the new store goes on from there.
       */
      async function crashAtEveryBoundary(opener: Opener, s: Scenario): Promise<void> {
        const place = await harness.place();
        let store = await opener<OC, JC>(place);
        expect(await store.load()).toBeUndefined();
        let held = fromSnapshot<OC, JC>(clone(s.initial), 'writer');
        await store.checkpoint(held);
        let acked: StoreRecord<JC>[] = [];
        for (let b = 0; b <= s.batches.length; b++) {
          ({ store, run: held } = await crashAndLoad(place, store, opener));
          expect(plain(held), `after ${b} acknowledged batches`).toEqual(plain(expected(s.initial, acked)));
          const batch = s.batches[b];
          if (batch === undefined) break;
          await store.append(clone(batch));
          applyAll(held, batch);
          acked = [...acked, ...batch];
        }
        await crash(place, store);
      }

      it('at every record boundary the reloaded run is exactly the acknowledged records applied (transitions, kicks with keys, errors, failed marks, adds, moves)', async () => {
        await fc.assert(
          fc.asyncProperty(scenarioArb(14), (s) => crashAtEveryBoundary(open, s)),
          { seed: SEED, numRuns: 25 },
        );
      });

      const compacting = harness.compacting;
      if (compacting) {
        it('compaction: with a new snapshot at every chance, many batches and a crash at every boundary reload equal', async () => {
          const opener: Opener = async <O, J>(place: P) => compacting.open<O, J>(place);
          await fc.assert(
            fc.asyncProperty(scenarioArb(60), (s) => crashAtEveryBoundary(opener, s)),
            { seed: SEED + 1, numRuns: 8 },
          );
        });

        if (harness.independentStores) {
          it('compaction: a run appended to through many compactions, then closed, loads equal', async () => {
            const place = await harness.place();
            const [s] = fc.sample(scenarioArb(80), { seed: SEED + 2, numRuns: 1 });
            const scenario = must(s, 'a scenario');
            const store = await compacting.open<OC, JC>(place);
            await write(store, scenario.initial, scenario.batches);
            await store.close();
            const again = await compacting.open<OC, JC>(place);
            expect(plain(must(await again.load()))).toEqual(plain(expected(scenario.initial, scenario.batches.flat())));
            await again.close();
          });
        }
      }

      const torn = harness.tornTail;
      if (torn) {
        it('torn tail: a last record torn by a crash is dropped, the rest loads, and the store goes on from there', async () => {
          await fc.assert(
            fc.asyncProperty(scenarioArb(10), async (s) => {
              const records = s.batches.flat();
              const last = must(records.at(-1), 'a record');
              const kept = records.slice(0, -1);
              const place = await harness.place();
              const store = await open<OC, JC>(place);
              const held = await write(store, s.initial, kept.length > 0 ? [kept] : []);
              await store.append(clone([last]));
              applyAll(held, [last]);
              await crash(place, store);
              await torn.tear(place);

              const reopened = await open<OC, JC>(place);
              const run = must(await reopened.load());
              expect(plain(run)).toEqual(plain(expected(s.initial, kept)));
              const victim = must([...run.jobs.values()][0], 'a job');
              const next: StoreRecord<JC> = { type: 'transition', id: victim.id, from: victim.state, to: 'after-crash', jc: { resumed: 'é🦀' }, at: T0 + 9_999, error: 'résumé' };
              await reopened.append([next]);
              applyAll(run, [next]);
              expect(plain((await crashAndLoad(place, reopened)).run)).toEqual(plain(expected(s.initial, [...kept, next])));
            }),
            { seed: SEED + 3, numRuns: 10 },
          );
        });
      }
    });

    describe('real runs', () => {
      /**
       * Runs `run` with `store` until `crashAfter` more transitions are acknowledged (counted
       * inside an exec, so no clock decides), kills the process there, and returns what the
       * store may then hold: the records acknowledged, plus any prefix of those in flight.
       */
      async function runUntilCrash(place: P, store: Store<ROC, RJC>, run: Run<ROC, RJC>, crashAfter: number) {
        const crashing = new CrashingStore(store);
        const controller = new AbortController();
        let crashed = false;
        const ac: RAC = {
          beforeExec() {
            if (crashed || crashing.ackedTransitions < crashAfter) return;
            crashed = true;
            crashing.crash();
            controller.abort(new SimulatedCrash('killed'));
          },
        };
        await new Processor(realWf, ac, { store: crashing }).exec(run, { signal: controller.signal }).then(
          () => undefined,
          (error: unknown) => {
            if (!(error instanceof SimulatedCrash)) throw error;
          },
        );
        expect(crashed, `the run finished before ${crashAfter} transitions were acknowledged`).toBe(true);
        await crashing.settled();
        await crash(place, store);
        return { initial: must(crashing.initial, 'a snapshot'), records: crashing.records, acked: crashing.acked };
      }

      /** The reloaded run must be the snapshot with k forwarded records applied, acked ≤ k ≤ forwarded. */
      function expectAcknowledged(loaded: Run<ROC, RJC>, seen: { initial: RunSnapshot<ROC, RJC>; records: StoreRecord<RJC>[]; acked: number }): void {
        const got = plain(loaded);
        for (let k = seen.acked; k <= seen.records.length; k++) if (isDeepStrictEqual(got, plain(expected(seen.initial, seen.records.slice(0, k))))) return;
        expect(got, `the reloaded run is not the ${seen.acked} acknowledged records applied (nor a few more in flight)`).toEqual(plain(expected(seen.initial, seen.records.slice(0, seen.acked))));
      }

      async function crashTwiceAndFinish(opener: Opener): Promise<void> {
        const reference = realRun();
        const ignore: RAC = { beforeExec() {} };
        expect((await new Processor(realWf, ignore).exec(reference)).outcome).toBe('complete');

        const place = await harness.place();
        let store = await opener<ROC, RJC>(place);
        expect(await store.load(realWf)).toBeUndefined();
        let run: Run<ROC, RJC> = realRun();
        for (const crashAfter of [5, 8]) {
          const seen = await runUntilCrash(place, store, run, crashAfter);
          store = await opener<ROC, RJC>(place);
          run = must(await store.load(realWf));
          expectAcknowledged(run, seen);
        }
        expect((await new Processor(realWf, ignore, { store }).exec(run)).outcome).toBe('complete');

        const jobs = [...run.jobs.values()];
        expect(jobs.filter((j) => j.state !== 'done' && !j.failed)).toEqual([]);
        expect(outcome(run)).toEqual(outcome(reference)); // none lost, none twice
        const keys = jobs.flatMap((j) => (j.key === undefined ? [] : [j.key]));
        expect(new Set(keys).size).toBe(keys.length);
        for (const j of jobs) if (j.parentId !== undefined) expect(j.id).toMatch(new RegExp(`^${j.parentId}->\\d+$`));
        expect(plain((await crashAndLoad(place, store, opener)).run)).toEqual(plain(run));
      }

      it('a processor run crashed twice after N acknowledged transitions, reloaded and finished: every job terminal or failed, none lost, no duplicate children', async () => {
        await crashTwiceAndFinish(open);
      });

      const compacting = harness.compacting;
      if (compacting) {
        it('the same, with a store that compacts at every chance', async () => {
          await crashTwiceAndFinish(async <O, J>(place: P) => compacting.open<O, J>(place));
        });
      }
    });

    if (harness.independentStores) {
      describe('refusal to overwrite', () => {
        it('a store that did not load refuses checkpoint(another run) on a place that holds a run; after a load it may replace it', async () => {
          const place = await harness.place();
          const first = await open<OC, JC>(place);
          const stored = await write(first, richSnapshot, richBatches);
          await crash(place, first);

          const other = wf.newRun('other', { outDir: 'elsewhere' }).add({ url: 'x' }, 'fetch');
          const second = await open<OC, JC>(place);
          expect(await failure(() => second.checkpoint(other), 'checkpoint(another run) without a load')).toBeInstanceOf(Error);
          expect(await failure(() => new Processor(wf, {}, { store: second }).exec(other), 'processor.exec(another run) without a load')).toBeInstanceOf(Error);
          await crash(place, second);

          const third = await open<OC, JC>(place);
          expect(plain(must(await third.load()))).toEqual(plain(stored));
          await third.checkpoint(other); // it loaded: replacing is what the user asked
          const { run } = await crashAndLoad(place, third);
          expect(plain(run)).toEqual(plain(other));
        });

        it('a store that found nothing may write, and a store opened after it refuses to overwrite that run', async () => {
          const place = await harness.place();
          const first = await open<OC, JC>(place);
          expect(await first.load()).toBeUndefined();
          const run = wf.newRun('first', {}).add({ url: 'a' }, 'fetch');
          await first.checkpoint(run);
          await first.close();
          const second = await open<OC, JC>(place);
          expect(await failure(() => second.checkpoint(wf.newRun('second', {})), 'checkpoint(another run) without a load')).toBeInstanceOf(Error);
          await second.close();
          expect(plain(must(await (await open<OC, JC>(place)).load()))).toEqual(plain(run));
        });
      });
    }

    if (harness.badData) {
      const bad = harness.badData;
      describe('bad data', () => {
        async function damaged(kind: string): Promise<P> {
          const place = await harness.place();
          const store = await open<OC, JC>(place);
          await write(store, richSnapshot, richBatches);
          await crash(place, store);
          await bad.damage(place, kind);
          return place;
        }

        for (const kind of bad.kinds) {
          it(`${kind}: load fails with a clear error naming the place, again on a second try, and nothing is rewritten`, async () => {
            const place = await damaged(kind);
            const before = await bad.raw(place);
            const store = await open<OC, JC>(place);
            bad.expectClearError(place, kind, await failure(() => store.load(), 'load'));
            bad.expectClearError(place, kind, await failure(() => store.load(wf), 'a second load'));
            expect(await bad.raw(place)).toEqual(before);
            await store.close();
            expect(await bad.raw(place)).toEqual(before);
          });

          it(`${kind}: a store whose load failed refuses to replace what it could not read`, async () => {
            const place = await damaged(kind);
            const before = await bad.raw(place);
            const store = await open<OC, JC>(place);
            await failure(() => store.load(), 'load');
            const fresh = wf.newRun('fresh start', {}).add({ url: 'a' }, 'fetch');
            expect(await failure(() => store.checkpoint(fresh), 'checkpoint(another run) after the failed load')).toBeInstanceOf(Error);
            await store.close();
            expect(await bad.raw(place)).toEqual(before);
          });
        }
      });
    }

    describe('closed', () => {
      async function expectClosed(store: Store<OC, JC>, run: Run<OC, JC>): Promise<void> {
        const calls: [string, () => unknown][] = [
          ['load', () => store.load()],
          ['load(workflow)', () => store.load(wf)],
          ['append', () => store.append([{ type: 'add', job: job('late', 'fetch', {}) }])],
          ['checkpoint', () => store.checkpoint(run)],
          ['checkpoint(stop)', () => store.checkpoint(run, 'stop')],
          ['checkpoint(another run)', () => store.checkpoint(wf.newRun('another', {}))],
        ];
        for (const [what, call] of calls) {
          const error = await failure(call, `${what} after close()`);
          expect(error, what).toBeInstanceOf(Error);
          expect((error as Error).message, what).toMatch(/close/i);
        }
        await store.close(); // closing twice is harmless
      }

      it('every call after close() throws a clear error (a store that loaded nothing)', async () => {
        const place = await harness.place();
        const store = await open<OC, JC>(place);
        await store.close();
        await expectClosed(store, wf.newRun('never stored', {}));
      });

      it('every call after close() throws a clear error (a store that holds a run), and the run is kept', async () => {
        const place = await harness.place();
        const store = await open<OC, JC>(place);
        const held = await write(store, richSnapshot, richBatches);
        await store.close();
        await expectClosed(store, held);
        if (harness.independentStores) expect(plain(must(await (await open<OC, JC>(place)).load()))).toEqual(plain(held));
      });
    });
  });
}
