// Property tests of the JsonlStore's log: whatever transitions were appended, a crash that cuts the
// log anywhere leaves a run that loads to exactly the first k records (k = the complete lines kept),
// and a damaged complete line is reported with its file and line, never repaired in place.
//
// The expected runs come from a reference model written here (applyToModel), not from the store's
// or the engine's code. fast-check's seed is printed; replay one with FC_SEED=<seed>.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { fromSnapshot, type Job, JsonlStore, type KickRecord, type Run, StoreCorruptError, type StoreRecord, type TransitionRecord } from '../src/index.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JC = Json;

/** What a job looks like once written and read back as JSON. */
interface ModelJob {
  id: string;
  state: string;
  jc: Json;
  parentId?: string;
  key?: string;
  failed?: true;
  errors: Record<string, string[]>;
  history: { state: string; at: number }[];
  updatedAt: number;
}
interface Model {
  name: string;
  oc: Json;
  jobs: Map<string, ModelJob>;
}

/** How many history entries a job keeps: the engine's cap (HISTORY_LIMIT in src/engine/apply-record.ts). */
const HISTORY_LIMIT = 20;

const root = mkdtempSync(join(tmpdir(), 'jorb-jsonl-prop-'));
let dirs = 0;
function tempDir(): string {
  return mkdtempSync(join(root, `${dirs++}-`));
}
afterAll(() => rmSync(root, { recursive: true, force: true }));

const seed = Number(process.env['FC_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
console.log(`jsonl-store property seed: ${seed} (replay with FC_SEED=${seed})`);

// ---------------------------------------------------------------------------------------------
// Arbitraries: strings with many multi-byte UTF-8 characters, so cuts land inside characters too.

const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.constantFrom('é', 'ü', '日本語', '🦀', 'a\nb', '"quoted"', '\\', '\u2028'),
);
const number = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)));
const jsonArb: fc.Arbitrary<Json> = fc.letrec<{ json: Json }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    number,
    text,
    fc.array(tie('json'), { maxLength: 3 }),
    fc.dictionary(fc.oneof(fc.constantFrom('url', 'body', 'n', 'ключ', '名前', ''), fc.string({ maxLength: 4 })), tie('json'), { maxKeys: 3 }),
  ),
})).json;
const stateName = fc.constantFrom('fetch', 'parse', 'done', 'état', '状態', 'with space', 'x'.repeat(30));
const errorText = fc.oneof(text, fc.constantFrom('timed out after 5ms', 'ECONNRESET: socket hang up', 'déjà vu 💥'));

interface SeedJob {
  state: string;
  jc: Json;
  key: string | undefined;
  failed: boolean;
  errors: Record<string, string[]>;
}
const seedJobArb: fc.Arbitrary<SeedJob> = fc.record({
  state: stateName,
  jc: jsonArb,
  key: fc.option(text, { nil: undefined }),
  failed: fc.boolean(),
  errors: fc.dictionary(stateName, fc.array(errorText, { minLength: 1, maxLength: 2 }), { maxKeys: 2 }),
});

type Step =
  | { kind: 'transition'; pick: number; to: string; jc: Json; error: string | undefined; failed: boolean; kicks: { state: string; jc: Json; keyed: boolean }[]; dt: number }
  | { kind: 'add'; state: string; jc: Json; keyed: boolean; dt: number };
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('transition' as const),
      pick: fc.nat(),
      to: stateName,
      jc: jsonArb,
      error: fc.option(errorText, { nil: undefined, freq: 3 }),
      failed: fc.nat({ max: 3 }).map((n) => n === 0),
      kicks: fc.array(fc.record({ state: stateName, jc: jsonArb, keyed: fc.boolean() }), { maxLength: 3 }),
      dt: fc.nat({ max: 5000 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('add' as const), state: stateName, jc: jsonArb, keyed: fc.boolean(), dt: fc.nat({ max: 5000 }) }) },
);

interface Scenario {
  name: string;
  oc: Json;
  seeds: SeedJob[];
  steps: Step[];
  /** How the records are split into append calls. */
  batches: number[];
}
const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  name: fc.oneof(fc.constantFrom('crawl', 'nächtlich', '夜間'), fc.string({ minLength: 1, maxLength: 8 })),
  oc: jsonArb,
  seeds: fc.array(seedJobArb, { minLength: 1, maxLength: 4 }),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 45 }),
  batches: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 6 }),
});

// ---------------------------------------------------------------------------------------------
// The reference model: the documented meaning of each record, written out independently.

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

function applyToModel(model: Model, record: StoreRecord<JC>): void {
  if (record.type === 'add') {
    if (!model.jobs.has(record.job.id)) model.jobs.set(record.job.id, clone(record.job) as ModelJob);
    return;
  }
  const job = model.jobs.get(record.id);
  if (!job) throw new Error(`model: no job ${record.id}`);
  if (record.type === 'move') throw new Error('model: the property test makes no moves');
  if (record.error !== undefined) (job.errors[record.from] ??= []).push(record.error);
  job.jc = clone(record.jc);
  job.updatedAt = record.at;
  if (record.failed) {
    job.failed = true;
    return;
  }
  delete job.failed;
  job.state = record.to;
  job.history = [...job.history, { state: record.to, at: record.at }].slice(-HISTORY_LIMIT);
  for (const kick of record.kicks ?? []) {
    if (model.jobs.has(kick.id)) continue;
    const child: ModelJob = { id: kick.id, state: kick.state, jc: clone(kick.jc), parentId: job.id, errors: {}, history: [{ state: kick.state, at: record.at }], updatedAt: record.at };
    if (kick.key !== undefined) child.key = kick.key;
    model.jobs.set(kick.id, child);
  }
}

function copyModel(model: Model): Model {
  return { name: model.name, oc: clone(model.oc), jobs: new Map([...model.jobs].map(([id, job]) => [id, clone(job)])) };
}

/** The run as plain JSON, jobs in order, for comparison with a model. */
function plainRun(run: Run<Json, JC>): { name: string; oc: Json; jobs: ModelJob[] } {
  return clone({ name: run.name, oc: run.oc, jobs: [...run.jobs.values()] as Job<JC>[] }) as { name: string; oc: Json; jobs: ModelJob[] };
}
function plainModel(model: Model): { name: string; oc: Json; jobs: ModelJob[] } {
  return clone({ name: model.name, oc: model.oc, jobs: [...model.jobs.values()] });
}

/**
 * Builds the scenario: the initial jobs (the snapshot) and the valid records that follow, each
 * transition starting from its job's current state, kicks with fresh ids and fresh keys.
 */
function build(s: Scenario): { initial: Model; records: StoreRecord<JC>[] } {
  const t0 = 1_700_000_000_000;
  const initial: Model = { name: s.name, oc: s.oc, jobs: new Map() };
  const usedKeys = new Set<string>();
  s.seeds.forEach((seedJob, i) => {
    const job: ModelJob = { id: String(i), state: seedJob.state, jc: seedJob.jc, errors: seedJob.errors, history: [{ state: seedJob.state, at: t0 }], updatedAt: t0 };
    if (seedJob.key !== undefined && !usedKeys.has(seedJob.key)) {
      job.key = seedJob.key;
      usedKeys.add(seedJob.key);
    }
    if (seedJob.failed) job.failed = true;
    initial.jobs.set(job.id, job);
  });
  const model = copyModel(initial);
  const kicked = new Map<string, number>();
  const records: StoreRecord<JC>[] = [];
  let at = t0;
  let fresh = 0;
  const freshKey = () => `k${fresh++}·${['', 'é', '鍵', '🔑'][fresh % 4] ?? ''}`;
  s.steps.forEach((step, i) => {
    at += step.dt;
    let record: StoreRecord<JC>;
    if (step.kind === 'add') {
      const job: Job<JC> = { id: `added-${i}`, state: step.state, jc: step.jc, errors: {}, history: [{ state: step.state, at }], updatedAt: at, ...(step.keyed ? { key: freshKey() } : {}) };
      record = { type: 'add', job };
    } else {
      const ids = [...model.jobs.keys()];
      const job = model.jobs.get(ids[step.pick % ids.length] as string) as ModelJob;
      const base = { type: 'transition' as const, id: job.id, from: job.state, jc: step.jc, at, ...(step.error !== undefined ? { error: step.error } : {}) };
      if (step.failed) {
        record = { ...base, to: job.state, failed: true };
      } else {
        const kicks: KickRecord<JC>[] = step.kicks.map((kick) => {
          const n = kicked.get(job.id) ?? 0;
          kicked.set(job.id, n + 1);
          return { id: `${job.id}->${n}`, state: kick.state, jc: kick.jc, ...(kick.keyed ? { key: freshKey() } : {}) };
        });
        record = { ...base, to: step.to, ...(kicks.length > 0 ? { kicks } : {}) } satisfies TransitionRecord<JC>;
      }
    }
    records.push(record);
    applyToModel(model, record);
  });
  return { initial, records };
}

/** The model after the first k records. */
function modelAfter(initial: Model, records: readonly StoreRecord<JC>[], k: number): Model {
  const model = copyModel(initial);
  for (const record of records.slice(0, k)) applyToModel(model, record);
  return model;
}

// ---------------------------------------------------------------------------------------------
// Writing a scenario with the store, and simulating crashes on copies of its files.

interface Written {
  readonly dir: string;
  readonly snapshot: Buffer;
  readonly log: Buffer;
  /** Byte offset just past each line of the log. */
  readonly lineEnds: number[];
}

/** Writes the initial run with checkpoint() and the records with append(), in the scenario's batches. */
async function write(s: Scenario, initial: Model, records: readonly StoreRecord<JC>[]): Promise<Written> {
  const dir = tempDir();
  const path = join(dir, 'run.jsonl');
  const run = fromSnapshot<Json, JC>({ format: 'jorb-run', version: 1, name: initial.name, oc: initial.oc, nextId: initial.jobs.size, jobs: clone([...initial.jobs.values()]) });
  // The default compaction threshold is far above these logs: every record stays in the log.
  const store = new JsonlStore<Json, JC>(path, { fsync: false });
  await store.checkpoint(run);
  let start = 0;
  for (let b = 0; start < records.length; b++) {
    const size = s.batches[b % s.batches.length] as number;
    await store.append(records.slice(start, start + size));
    start += size;
  }
  // A crash now: what is on disk is what a kill -9 leaves. Every load below happens on a copy of
  // these bytes, so closing the writer (which compacts the log away) changes nothing they see.
  const snapshot = readFileSync(path);
  const log = readFileSync(`${path}.log`);
  await store.close();
  const lineEnds: number[] = [];
  for (let i = log.indexOf(10); i !== -1; i = log.indexOf(10, i + 1)) lineEnds.push(i + 1);
  expect(lineEnds.length).toBe(records.length);
  expect(lineEnds.at(-1) ?? 0).toBe(log.length);
  return { dir, snapshot, log, lineEnds };
}

/** A fresh directory holding the snapshot and the given log bytes, as a crash left them. */
function crashCopy(snapshot: Buffer, log: Buffer): string {
  const dir = tempDir();
  const path = join(dir, 'run.jsonl');
  writeFileSync(path, snapshot);
  writeFileSync(`${path}.log`, log);
  return path;
}

async function loadWithWarnings(path: string): Promise<{ store: JsonlStore<Json, JC>; run: Run<Json, JC> | undefined; warnings: string[] }> {
  const warnings: string[] = [];
  const store = new JsonlStore<Json, JC>(path, { fsync: false, onWarning: (m) => warnings.push(m) });
  const run = await store.load();
  return { store, run, warnings };
}

/**
 * Cuts the log at `offset` and checks the load: the first k records and nothing else, a warning
 * naming the torn line when the cut is inside one; then that the store goes on from there: the
 * next append lands right after the last complete line, and a later load sees it.
 */
async function checkCut(w: Written, initial: Model, records: readonly StoreRecord<JC>[], offset: number): Promise<void> {
  const k = w.lineEnds.filter((end) => end <= offset).length;
  const keptBytes = k === 0 ? 0 : (w.lineEnds[k - 1] as number);
  const torn = offset > keptBytes;
  const path = crashCopy(w.snapshot, w.log.subarray(0, offset));
  const logPath = `${path}.log`;

  const { store, run, warnings } = await loadWithWarnings(path);
  try {
    const expected = modelAfter(initial, records, k);
    expect(run && plainRun(run)).toEqual(plainModel(expected));
    if (torn) {
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`${logPath}:${k + 1}:`);
    } else {
      expect(warnings).toEqual([]);
    }

    // The store goes on from the last complete line: one more record, then a crash again.
    const victim = [...expected.jobs.values()][0] as ModelJob;
    const next: TransitionRecord<JC> = { type: 'transition', id: victim.id, from: victim.state, to: 'after-crash', jc: { resumed: 'é🦀' }, at: 1_800_000_000_000, error: 'résumé' };
    await store.append([next]);
    const log = readFileSync(logPath);
    expect(log.subarray(0, keptBytes).equals(w.log.subarray(0, keptBytes)), 'the complete lines before the cut are kept as they were').toBe(true);
    const added = log.subarray(keptBytes).toString('utf8');
    expect(added.endsWith('\n') && added.indexOf('\n') === added.length - 1, `one new line after the kept ones, got ${JSON.stringify(added)}`).toBe(true);
    expect(JSON.parse(added)).toEqual({ seq: k + 1, ...next });

    const again = await loadWithWarnings(crashCopy(w.snapshot, log));
    try {
      const model = modelAfter(initial, records, k);
      applyToModel(model, next);
      expect(again.warnings).toEqual([]);
      expect(again.run && plainRun(again.run)).toEqual(plainModel(model));
    } finally {
      await again.store.close();
    }
  } finally {
    await store.close();
  }
}

describe('JsonlStore: a log cut anywhere by a crash loads to a prefix of its records', () => {
  it('cut at an arbitrary byte offset: the complete lines kept, a torn last line dropped with a warning', async () => {
    // Half the cuts anywhere, half inside a multi-byte character (just before a UTF-8 continuation byte).
    const cutArb = fc.record({ inCharacter: fc.boolean(), n: fc.oneof(fc.noBias(fc.nat()), fc.nat()) });
    await fc.assert(
      fc.asyncProperty(scenarioArb, fc.array(cutArb, { minLength: 1, maxLength: 3 }), async (s, cuts) => {
        const { initial, records } = build(s);
        const w = await write(s, initial, records);
        const inCharacter: number[] = [];
        w.log.forEach((byte, i) => {
          if ((byte & 0xc0) === 0x80) inCharacter.push(i);
        });
        for (const cut of cuts) {
          const offset = cut.inCharacter && inCharacter.length > 0 ? (inCharacter[cut.n % inCharacter.length] as number) : cut.n % (w.log.length + 1);
          await checkCut(w, initial, records, offset);
        }
      }),
      { seed, numRuns: 200 },
    );
  });

  it('the warning about a torn line counts the bytes it dropped', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, fc.nat(), async (s, n) => {
        const { initial, records } = build(s);
        const w = await write(s, initial, records);
        const lastStart = w.lineEnds.length > 1 ? (w.lineEnds.at(-2) as number) : 0;
        const offset = lastStart + 1 + (n % (w.log.length - lastStart - 1)); // inside the last line
        const path = crashCopy(w.snapshot, w.log.subarray(0, offset));
        const { store, warnings } = await loadWithWarnings(path);
        await store.close();
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toContain(`${path}.log:${w.lineEnds.length}: dropped a torn last line (${offset - lastStart} bytes)`);
      }),
      { seed: seed + 3, numRuns: 60 },
    );
  });

  it('cut at a line boundary: exactly the first k records, no warning', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, fc.nat(), async (s, pick) => {
        const { initial, records } = build(s);
        const w = await write(s, initial, records);
        const boundaries = [0, ...w.lineEnds];
        await checkCut(w, initial, records, boundaries[pick % boundaries.length] as number);
      }),
      { seed: seed + 1, numRuns: 100 },
    );
  });
});

describe('JsonlStore: a torn line cut inside a multi-byte character (example)', () => {
  it('the next append still starts right after the last complete line, and the run loads again', async () => {
    const dir = tempDir();
    const path = join(dir, 'run.jsonl');
    writeFileSync(path, '{"format":"jorb-run","version":1,"name":"r","oc":{},"nextId":1,"seq":0}\n{"id":"0","state":"fetch","jc":{},"errors":{},"updatedAt":1,"history":[]}\n');
    const first = '{"seq":1,"type":"transition","id":"0","from":"fetch","to":"parse","jc":{"title":"a"},"at":2}\n';
    const second = '{"seq":2,"type":"transition","id":"0","from":"parse","to":"done","jc":{"title":"café"},"at":3}\n';
    const cut = Buffer.byteLength(first) + Buffer.byteLength(second.slice(0, second.indexOf('é'))) + 1; // between the two bytes of "é"
    writeFileSync(`${path}.log`, Buffer.from(first + second).subarray(0, cut));

    const { store, run, warnings } = await loadWithWarnings(path);
    const snapshot = readFileSync(path);
    let log: string;
    try {
      expect(warnings).toHaveLength(1);
      expect(run?.jobs.get('0')?.state).toBe('parse');
      await store.append([{ type: 'transition', id: '0', from: 'parse', to: 'done', jc: { title: 'cafe' }, at: 4 }]);
      log = readFileSync(`${path}.log`, 'utf8');
    } finally {
      await store.close();
    }
    expect(log).toBe(`${first}{"seq":2,"type":"transition","id":"0","from":"parse","to":"done","jc":{"title":"cafe"},"at":4}\n`);
    const again = await loadWithWarnings(crashCopy(snapshot, Buffer.from(log)));
    await again.store.close();
    expect(again.run?.jobs.get('0')?.jc).toEqual({ title: 'cafe' });
  });
});

type Damage = 'control-character' | 'not-a-record' | 'unknown-job';

/** Damages line `line` (1-based) of a file: a control character (never valid JSON), a JSON value that is no record, or a record naming no job. */
function damage(bytes: Buffer, ends: readonly number[], line: number, how: Damage, at: number): Buffer {
  const start = line === 1 ? 0 : (ends[line - 2] as number);
  const end = (ends[line - 1] as number) - 1; // the newline stays
  if (how === 'control-character') {
    const copy = Buffer.from(bytes);
    copy[start + (at % (end - start))] = 0x01;
    return copy;
  }
  const replacement = how === 'not-a-record' ? '{"seq":1,"type":"rename","id":"0"}' : `{"seq":${line},"type":"transition","id":"nobody","from":"a","to":"b","jc":null,"at":1}`;
  return Buffer.concat([bytes.subarray(0, start), Buffer.from(replacement), bytes.subarray(end)]);
}

describe('JsonlStore: a damaged complete line', () => {
  it('fails the load with a StoreCorruptError naming the file and its 1-based line, and changes no byte', async () => {
    await fc.assert(
      fc.asyncProperty(
        scenarioArb,
        fc.constantFrom<'log' | 'snapshot'>('log', 'log', 'snapshot'),
        fc.nat(),
        fc.constantFrom<Damage>('control-character', 'control-character', 'not-a-record', 'unknown-job'),
        fc.nat(),
        async (s, file, pickLine, how, at) => {
          const { initial, records } = build(s);
          const w = await write(s, initial, records);
          const snapshotEnds: number[] = [];
          for (let i = w.snapshot.indexOf(10); i !== -1; i = w.snapshot.indexOf(10, i + 1)) snapshotEnds.push(i + 1);
          // A job is no record and a record no job: in the snapshot, every kind of damage is a bad line.
          const inLog = file === 'log';
          const ends = inLog ? w.lineEnds : snapshotEnds;
          const line = 1 + (pickLine % ends.length);
          const bytes = damage(inLog ? w.log : w.snapshot, ends, line, how, at);
          const path = crashCopy(inLog ? w.snapshot : bytes, inLog ? bytes : w.log);
          const damaged = inLog ? `${path}.log` : path;
          const before = { snapshot: readFileSync(path), log: readFileSync(`${path}.log`) };

          const warnings: string[] = [];
          const store = new JsonlStore<Json, JC>(path, { fsync: false, onWarning: (m) => warnings.push(m) });
          const error = await store.load().then(
            () => undefined,
            (e: unknown) => e,
          );
          await store.close();

          expect(error).toBeInstanceOf(StoreCorruptError);
          const corrupt = error as StoreCorruptError;
          expect(corrupt.file).toBe(damaged);
          expect(corrupt.line).toBe(line);
          expect(corrupt.message.startsWith(`${damaged}:${line}: `), corrupt.message).toBe(true);
          if (how === 'control-character') expect(corrupt.problem).toContain('not valid JSON');
          expect(warnings).toEqual([]);
          expect(readFileSync(path).equals(before.snapshot), 'snapshot unchanged').toBe(true);
          expect(readFileSync(`${path}.log`).equals(before.log), 'log unchanged').toBe(true);
        },
      ),
      { seed: seed + 2, numRuns: 150 },
    );
  });
});
