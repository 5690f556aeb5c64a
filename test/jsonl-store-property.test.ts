// Property tests of the JsonlStore's files (format version 2, docs/format.md and the comments of
// src/store/jsonl-format.ts and jsonl-reader.ts): whatever a run's files held, any truncation,
// repeated line, swapped pair of lines or flipped byte of either file either loads exactly what was
// acknowledged (or, where the damage cannot be told from a crash, exactly what a crash at that
// moment would have acknowledged, with a warning), or fails with a StoreCorruptError naming the
// damaged file and line. Never anything else, and a failed load changes no byte on disk.
//
// The expected runs come from a reference model written here (applyToModel), not from the store's
// or the engine's code; line and batch offsets come from test/support/run-file-layout.ts, which reads
// the bytes without the store's reader. Every property runs with a fixed seed (FC_SEED overrides it);
// a failure's message carries the seed and the counterexample's path (replay: FC_SEED=<seed>).
import { logData } from './support/log-data.js';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { fromSnapshot, type Job, JsonlStore, type KickRecord, type Run, StoreCorruptError, type StoreRecord, type TransitionRecord } from '../src/index.js';
import { type FileLine, fileLines, lineAt, type LogLayout, logLayout } from './support/run-file-layout.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JC = Json;

/** The project rule: tests use fixed seeds. Replay another with FC_SEED=<seed>. */
const seed = Number(process.env['FC_SEED'] ?? 151_515);
/**
 * A failure is reported as found, not shrunk: every trial writes and loads files, and shrinking a
 * failure costs a minute where the passing file takes seconds. Its message says the damage, the line
 * named and the store's message; FC_SHRINK=1 shrinks it to a small counterexample.
 */
const params = { seed, endOnFailure: process.env['FC_SHRINK'] !== '1' };

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

/** How many history entries a job keeps: the engine's cap (HISTORY_LIMIT in src/model/apply-record.ts). */
const HISTORY_LIMIT = 20;
/** How many errors a job keeps per state: the engine's cap (ERRORS_LIMIT in src/model/apply-record.ts). */
const ERRORS_LIMIT = 20;

const root = mkdtempSync(join(tmpdir(), 'jorb-jsonl-prop-'));
let dirs = 0;
function tempDir(): string {
  return mkdtempSync(join(root, `${dirs++}-`));
}
afterAll(() => rmSync(root, { recursive: true, force: true }));

// ---------------------------------------------------------------------------------------------
// Arbitraries: strings with many multi-byte UTF-8 characters, so cuts and flips land inside characters too.

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
  /** The store's maxBatchRecords: an append larger than this is split into several batches. */
  maxBatch: number;
}
const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  name: fc.oneof(fc.constantFrom('crawl', 'nächtlich', '夜間'), fc.string({ minLength: 1, maxLength: 8 })),
  oc: jsonArb,
  seeds: fc.array(seedJobArb, { minLength: 1, maxLength: 4 }),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 30 }),
  batches: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 6 }),
  maxBatch: fc.oneof(fc.constant(65_536), fc.integer({ min: 1, max: 4 })),
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
  if (record.error !== undefined) {
    const list = (job.errors[record.from] ??= []);
    list.push(record.error);
    if (list.length > ERRORS_LIMIT) list.shift(); // a job keeps the last 20 errors per state
  }
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
// Writing a scenario with the store, and simulating crashes and damage on copies of its files.

interface Written {
  readonly initial: Model;
  readonly records: readonly StoreRecord<JC>[];
  readonly snapshot: Buffer;
  readonly snapshotLines: readonly FileLine[];
  readonly log: Buffer;
  readonly layout: LogLayout;
}

/** Writes the initial run with checkpoint() and the records with append(), in the scenario's batches. */
async function write(s: Scenario): Promise<Written> {
  const { initial, records } = build(s);
  const path = join(tempDir(), 'run.jsonl');
  const run = fromSnapshot<Json, JC>({ format: 'jorb-run', version: 1, name: initial.name, oc: initial.oc, nextId: initial.jobs.size, jobs: clone([...initial.jobs.values()]) });
  // The default compaction threshold is far above these logs: every record stays in the log.
  const store = new JsonlStore<Json, JC>(path, { fsync: false, maxBatchRecords: s.maxBatch });
  await store.checkpoint(run);
  let start = 0;
  for (let b = 0; start < records.length; b++) {
    const size = s.batches[b % s.batches.length] as number;
    await store.append(records.slice(start, start + size));
    start += size;
  }
  // A crash now: what is on disk is what a kill -9 leaves, and every append above was
  // acknowledged. Every load below happens on a copy of these bytes, so closing the writer
  // (which compacts the log away) changes nothing they see.
  const snapshot = readFileSync(path);
  const log = logData(`${path}.log`);
  await store.close();
  const layout = logLayout(log);
  expect(layout.batches.reduce((n, batch) => n + batch.records, 0)).toBe(records.length);
  let batches = 0; // each append is split at maxBatchRecords
  for (let b = 0, left = records.length; left > 0; b++) {
    const size = Math.min(left, s.batches[b % s.batches.length] as number);
    batches += Math.ceil(size / s.maxBatch);
    left -= size;
  }
  expect(layout.batches).toHaveLength(batches);
  const snapshotLines = fileLines(snapshot);
  expect(snapshotLines).toHaveLength(1 + 1 + initial.jobs.size + 1);
  return { initial, records, snapshot, snapshotLines, log, layout };
}

/** A fresh directory holding the snapshot and the log (none when undefined), as a crash left them. */
function crashCopy(snapshot: Buffer, log: Buffer | undefined): string {
  const path = join(tempDir(), 'run.jsonl');
  writeFileSync(path, snapshot);
  if (log !== undefined) writeFileSync(`${path}.log`, log);
  return path;
}

/** Every file of a directory with its bytes (the lock a loaded store holds aside). */
function filesIn(dir: string): Record<string, string> {
  const names = readdirSync(dir).filter((name) => !name.endsWith('.lock'));
  return Object.fromEntries(names.map((name) => [name, readFileSync(join(dir, name)).toString('base64')]));
}

interface Loaded {
  readonly store: JsonlStore<Json, JC>;
  readonly run: Run<Json, JC> | undefined;
  readonly error: unknown;
  readonly warnings: string[];
}

async function load(path: string): Promise<Loaded> {
  const warnings: string[] = [];
  const store = new JsonlStore<Json, JC>(path, { fsync: false, onWarning: (m) => warnings.push(m) });
  try {
    return { store, run: await store.load(), error: undefined, warnings };
  } catch (error) {
    return { store, run: undefined, error, warnings };
  }
}

/**
 * A load that must fail: a StoreCorruptError naming `file` and a line `lines` allows, no warning,
 * and not a byte changed on disk (also after close, which must not write what it could not read).
 */
async function expectCorrupt(path: string, file: string, lines: (line: number) => boolean, describeLines: string): Promise<StoreCorruptError> {
  const dir = dirname(path);
  const before = filesIn(dir);
  const loaded = await load(path);
  await loaded.store.close();
  if (loaded.error === undefined) {
    const jobs = loaded.run ? plainRun(loaded.run).jobs.length : 0;
    expect.fail(`the damaged files loaded (${jobs} jobs, warnings ${JSON.stringify(loaded.warnings)}), expected a StoreCorruptError naming ${file} at ${describeLines}`);
  }
  expect(loaded.error).toBeInstanceOf(StoreCorruptError);
  const corrupt = loaded.error as StoreCorruptError;
  expect(corrupt.file, corrupt.message).toBe(file);
  expect(lines(corrupt.line), `line ${corrupt.line} named, expected ${describeLines}: ${corrupt.message}`).toBe(true);
  expect(corrupt.message.startsWith(`${file}${corrupt.line > 0 ? `:${corrupt.line}` : ''}: `), corrupt.message).toBe(true);
  expect(loaded.warnings).toEqual([]);
  expect(filesIn(dir), 'a failed load changes nothing on disk').toEqual(before);
  return corrupt;
}

// ---------------------------------------------------------------------------------------------
// 1. The log cut at any byte: what a crash at that moment leaves.

/**
 * The warning a load must give for a log cut at `offset` inside a batch: the log, the torn line
 * (when the cut is inside a line) and what was dropped. Undefined when the cut is at a batch boundary.
 */
function tornWarning(logPath: string, w: Written, offset: number): string | undefined {
  const kept = keptBytes(w, offset);
  if (offset === kept) return undefined;
  const whole = w.layout.lines.filter((line) => line.start >= kept && line.end <= offset).length; // record lines of the torn batch
  const torn = w.layout.lines.find((line) => line.start < offset && offset < line.end);
  const what = whole === 0 ? `a torn last line (${offset - (torn?.start ?? 0)} bytes)` : `a torn last batch (${whole} record${whole === 1 ? '' : 's'} without the line that closes the batch)`;
  return `${logPath}${torn ? `:${torn.number}` : ''}: dropped ${what}`;
}

/** Where the last batch wholly before `offset` ends. */
function keptBytes(w: Written, offset: number): number {
  return w.layout.batches.filter((batch) => batch.end <= offset).at(-1)?.end ?? 0;
}

/** How many records the batches wholly before `offset` hold: what a crash at `offset` had acknowledged. */
function acknowledgedBefore(w: Written, offset: number): number {
  return w.layout.batches.filter((batch) => batch.end <= offset).reduce((n, batch) => n + batch.records, 0);
}

/**
 * Cuts the log at `offset` and checks the load: exactly the records of the batches wholly before
 * the cut, one warning naming the log and the torn part when the cut is inside a batch, none at a
 * batch boundary; then that the store goes on from there: the next append lands right after the
 * last whole batch, and a later load sees it.
 *
 * A cut exactly at a batch boundary loads without a warning because it cannot be told from a crash
 * just before the next batch was written: nothing but the log itself records how long the log is
 * (the snapshot's header holds the sequence number it includes, not the log's), so the batches a
 * cut removed whole leave no trace. What the property checks is that such a load is exactly that
 * crash prefix, never a mix.
 */
async function checkLogCut(w: Written, offset: number): Promise<void> {
  const k = acknowledgedBefore(w, offset);
  const kept = keptBytes(w, offset);
  const path = crashCopy(w.snapshot, w.log.subarray(0, offset));
  const logPath = `${path}.log`;

  const { store, run, error, warnings } = await load(path);
  try {
    expect(error).toBeUndefined();
    const expected = modelAfter(w.initial, w.records, k);
    expect(run && plainRun(run)).toEqual(plainModel(expected));
    const warning = tornWarning(logPath, w, offset);
    if (warning === undefined) {
      expect(warnings).toEqual([]);
    } else {
      expect(warnings).toHaveLength(1);
      expect((warnings[0] as string).startsWith(warning), `warning ${JSON.stringify(warnings[0])}, expected it to start with ${JSON.stringify(warning)}`).toBe(true);
    }
    expect(logData(logPath).equals(w.log.subarray(0, offset)), 'the load itself rewrites nothing').toBe(true);

    // The store goes on from the last whole batch: one more record, then a crash again.
    const victim = [...expected.jobs.values()][0] as ModelJob;
    const next: TransitionRecord<JC> = { type: 'transition', id: victim.id, from: victim.state, to: 'after-crash', jc: { resumed: 'é🦀' }, at: 1_800_000_000_000, error: 'résumé' };
    await store.append([next]);
    const log = logData(logPath);
    expect(log.subarray(0, kept).equals(w.log.subarray(0, kept)), 'the whole batches before the cut are kept as they were').toBe(true);
    const added = log.subarray(kept);
    const lines = added.toString('utf8').split('\n');
    expect(lines, `one record line and its batch line after the kept batches, got ${JSON.stringify(added.toString('utf8'))}`).toHaveLength(3);
    const recordLine = Buffer.from(`${lines[0] as string}\n`);
    expect(JSON.parse(lines[0] as string)).toEqual({ seq: k + 1, ...next });
    expect(JSON.parse(lines[1] as string)).toEqual({ batch: { first: k + 1, last: k + 1, crc32: crc32(recordLine) } });

    const again = await load(crashCopy(w.snapshot, log));
    try {
      expect(again.error).toBeUndefined();
      const model = modelAfter(w.initial, w.records, k);
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

type CutAt = 'anywhere' | 'in-character' | 'line-end' | 'batch-end';
const cutArb = fc.record({ at: fc.constantFrom<CutAt>('anywhere', 'anywhere', 'in-character', 'line-end', 'batch-end'), n: fc.nat() });

/** A cut offset in [0, length]: anywhere, just before a UTF-8 continuation byte, at a line's or a batch's end (or 0). */
function cutOffset(bytes: Buffer, w: Written, cut: { at: CutAt; n: number }): number {
  const choices =
    cut.at === 'in-character'
      ? [...bytes.keys()].filter((i) => ((bytes[i] as number) & 0xc0) === 0x80)
      : cut.at === 'line-end'
        ? [0, ...w.layout.lines.filter((line) => w.layout.batchOf[line.number - 1]?.batchLine !== line.number).map((line) => line.end)]
        : cut.at === 'batch-end'
          ? [0, ...w.layout.batches.map((batch) => batch.end)]
          : [];
  return choices.length > 0 ? (choices[cut.n % choices.length] as number) : cut.n % (bytes.length + 1);
}

describe('JsonlStore: the log cut at any byte loads what a crash at that moment had acknowledged', () => {
  it('the whole batches before the cut, a torn batch dropped with one warning, the next append right after them', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, fc.array(cutArb, { minLength: 1, maxLength: 3 }), async (s, cuts) => {
        const w = await write(s);
        for (const cut of cuts) await checkLogCut(w, cutOffset(w.log, w, cut));
      }),
      { ...params, numRuns: 60 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// 2. The snapshot cut at any byte: a snapshot is renamed into place whole, so a short one is damage.

describe('JsonlStore: a snapshot cut at any byte', () => {
  it('fails with a StoreCorruptError naming the snapshot and the line where it stops, and changes nothing on disk', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), async (s, cuts) => {
        const w = await write(s);
        for (const n of cuts) {
          const offset = n % w.snapshot.length;
          const path = crashCopy(w.snapshot.subarray(0, offset), w.log);
          // The line the cut is in, or the one that should follow the last whole line; an empty file is wrong as a whole.
          const line = offset === 0 ? 0 : w.snapshotLines.filter((l) => l.end <= offset).length + 1;
          await expectCorrupt(path, path, (named) => named === line, `line ${line}`);
        }
      }),
      { ...params, numRuns: 40 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// 3. A repeated line, two swapped lines, a flipped byte, in either file.

type Where = 'log' | 'snapshot';
type Kind = 'repeat' | 'swap' | 'flip';
interface DamageArgs {
  readonly a: number;
  readonly b: number;
  readonly byte: { readonly aim: 'anywhere' | 'newline' | 'digit' | 'last'; readonly n: number };
  readonly mask: number;
}
const damageArb: fc.Arbitrary<DamageArgs> = fc.record({
  a: fc.nat(),
  b: fc.nat(),
  byte: fc.record({ aim: fc.constantFrom('anywhere', 'anywhere', 'newline', 'digit', 'last'), n: fc.nat() }),
  mask: fc.oneof(fc.integer({ min: 1, max: 255 }), fc.constantFrom(1, 2, 4, 8, 16, 32, 64, 128)),
});

interface Damaged {
  readonly bytes: Buffer;
  readonly what: string;
  /** The lines (numbered in the damaged file) a load may name: the damaged ones, and the end or batch lines that check them. */
  readonly lines: ReadonlySet<number>;
  /** When the damage cannot be told from a crash (only within the log's last batch): how many records such a crash had acknowledged. */
  readonly crashPrefix: number | undefined;
}

/** In a log, the first batch line at or after line `from` (a snapshot has none: 0). */
function nextBatchLine(bytes: Buffer, from: number): number {
  for (const line of fileLines(bytes).slice(from - 1)) if (bytes.toString('utf8', line.start, line.end).startsWith('{"batch":')) return line.number;
  return 0;
}

/** Damages one file of a written run; undefined when the damage would change nothing (never, with these files: no two lines are the same). */
function damage(w: Written, where: Where, kind: Kind, args: DamageArgs): Damaged | undefined {
  const bytes = where === 'log' ? w.log : w.snapshot;
  const lines = where === 'log' ? w.layout.lines : w.snapshotLines;
  const endLine = lines.length; // the snapshot's end line
  const checker = (line: number) => (where === 'log' ? (w.layout.batchOf[line - 1]?.batchLine as number) : endLine);
  const lastBatch = w.layout.batches.at(-1);
  const inLastBatch = (line: number) => where === 'log' && lastBatch !== undefined && line >= lastBatch.firstLine;
  const crashPrefix = (touched: number[]) => (touched.every(inLastBatch) ? lastBatch?.recordsBefore : undefined);
  const slice = (line: number) => bytes.subarray((lines[line - 1] as FileLine).start, (lines[line - 1] as FileLine).end);

  if (kind === 'repeat') {
    const i = 1 + (args.a % lines.length);
    const copy = Buffer.concat([bytes.subarray(0, (lines[i - 1] as FileLine).end), slice(i), bytes.subarray((lines[i - 1] as FileLine).end)]);
    // Line i and its copy at i + 1; the checking line, at or after i, moved down by one.
    return { bytes: copy, what: `line ${i} repeated`, lines: new Set([i, i + 1, checker(i) + 1]), crashPrefix: crashPrefix([i]) };
  }
  if (kind === 'swap') {
    const x = 1 + (args.a % lines.length);
    const y = 1 + ((x + (args.b % (lines.length - 1))) % lines.length); // any line but x
    const [p, q] = x < y ? [x, y] : [y, x];
    if (slice(p).equals(slice(q))) return undefined;
    const at = (line: number) => lines[line - 1] as FileLine;
    const copy = Buffer.concat([bytes.subarray(0, at(p).start), slice(q), bytes.subarray(at(p).end, at(q).start), slice(p), bytes.subarray(at(q).end)]);
    // The lines that check the damage: as the file was, and as it is now (a batch line may have moved).
    const named = new Set([p, q, checker(p), checker(q), nextBatchLine(copy, p), nextBatchLine(copy, q)]);
    return { bytes: copy, what: `lines ${p} and ${q} swapped`, lines: named, crashPrefix: crashPrefix([p, q]) };
  }
  const aimed =
    args.byte.aim === 'newline'
      ? lines.map((line) => line.end - 1)
      : args.byte.aim === 'digit'
        ? [...bytes.keys()].filter((i) => (bytes[i] as number) >= 0x30 && (bytes[i] as number) <= 0x39)
        : args.byte.aim === 'last'
          ? [bytes.length - 1]
          : [];
  const offset = aimed.length > 0 ? (aimed[args.byte.n % aimed.length] as number) : args.byte.n % bytes.length;
  const copy = Buffer.from(bytes);
  copy[offset] = (bytes[offset] as number) ^ args.mask;
  const line = lineAt(bytes, offset);
  // A flipped newline joins its line to the next one; a byte flipped into a newline splits its line.
  const touched = bytes[offset] === 10 && line < lines.length ? [line, line + 1] : [line];
  const named = new Set([lineAt(copy, offset), ...touched.map((t) => lineAt(copy, (lines[checker(t) - 1] as FileLine).start))]);
  if (copy[offset] === 10) named.add(lineAt(copy, offset + 1));
  const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;
  return { bytes: copy, what: `byte ${offset} (line ${line}) ${hex(bytes[offset] as number)} ^ ${hex(args.mask)} = ${hex(copy[offset])}`, lines: named, crashPrefix: crashPrefix(touched) };
}

/**
 * Loads a damaged copy: a StoreCorruptError naming the damaged file and one of the damage's lines,
 * or, only where the damage lies in the log's last batch and reads as that batch torn by a crash,
 * exactly the batches before it with one warning naming the log. Nothing on disk changes.
 */
async function checkDamage(w: Written, where: Where, d: Damaged): Promise<void> {
  const path = crashCopy(where === 'snapshot' ? d.bytes : w.snapshot, where === 'log' ? d.bytes : w.log);
  const file = where === 'log' ? `${path}.log` : path;
  const allowed = [...d.lines].sort((x, y) => x - y);
  const dir = dirname(path);
  const before = filesIn(dir);
  const loaded = await load(path);
  if (loaded.error === undefined) {
    try {
      const jobs = loaded.run ? plainRun(loaded.run).jobs.length : 0;
      expect(d.crashPrefix, `${where}: ${d.what}: loaded ${jobs} jobs with warnings ${JSON.stringify(loaded.warnings)}, expected a StoreCorruptError at line ${allowed.join(' or ')}`).toBeDefined();
      expect(loaded.run && plainRun(loaded.run), `${where}: ${d.what}: loaded, but not as the crash before the last batch`).toEqual(plainModel(modelAfter(w.initial, w.records, d.crashPrefix as number)));
      expect(loaded.warnings, `${where}: ${d.what}`).toHaveLength(1);
      expect(loaded.warnings[0]?.startsWith(`${file}:`), loaded.warnings[0]).toBe(true);
      expect(filesIn(dir), 'the load changes nothing on disk').toEqual(before);
    } finally {
      await loaded.store.close();
    }
    return;
  }
  await loaded.store.close();
  expect(loaded.error, `${where}: ${d.what}`).toBeInstanceOf(StoreCorruptError);
  const corrupt = loaded.error as StoreCorruptError;
  expect(corrupt.file, `${where}: ${d.what}: ${corrupt.message}`).toBe(file);
  expect(d.lines.has(corrupt.line), `${where}: ${d.what}: line ${corrupt.line} named, expected ${allowed.join(' or ')}: ${corrupt.message}`).toBe(true);
  expect(loaded.warnings, `${where}: ${d.what}`).toEqual([]);
  expect(filesIn(dir), 'a failed load changes nothing on disk').toEqual(before);
}

describe.each<[Where, Kind, number]>([
  ['log', 'repeat', 30],
  ['log', 'swap', 30],
  ['log', 'flip', 60],
  ['snapshot', 'repeat', 25],
  ['snapshot', 'swap', 25],
  ['snapshot', 'flip', 40],
])('JsonlStore: damage in the %s (%s)', (where, kind, numRuns) => {
  it(`fails naming the ${where} and the damaged line (or its ${where === 'log' ? 'batch' : 'end'} line), or loads exactly a crash prefix; nothing changes on disk`, async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, fc.array(damageArb, { minLength: 1, maxLength: 4 }), async (s, damages) => {
        const w = await write(s);
        for (const args of damages) {
          const d = damage(w, where, kind, args);
          if (d !== undefined) await checkDamage(w, where, d);
        }
      }),
      { ...params, numRuns },
    );
  });
});

// Small runs for the examples.

/** A run of `jobs` jobs (`0`, `1`, …) in `fetch` written through the public API, then one append per batch; the files as a crash then leaves them. */
async function writeExample(batches: StoreRecord<JC>[][], jobs = 1): Promise<{ snapshot: Buffer; log: Buffer }> {
  const path = join(tempDir(), 'run.jsonl');
  const run = fromSnapshot<Json, JC>({
    format: 'jorb-run',
    version: 1,
    name: 'r',
    oc: {},
    nextId: jobs,
    jobs: Array.from({ length: jobs }, (_, i) => ({ id: String(i), state: 'fetch', jc: { title: `t${i}` }, errors: {}, history: [{ state: 'fetch', at: 1 }], updatedAt: 1 })),
  });
  const store = new JsonlStore<Json, JC>(path, { fsync: false });
  await store.checkpoint(run);
  for (const batch of batches) await store.append(batch);
  const files = { snapshot: readFileSync(path), log: logData(`${path}.log`) };
  await store.close();
  return files;
}

const toParse: TransitionRecord<JC> = { type: 'transition', id: '0', from: 'fetch', to: 'parse', jc: { title: 'a' }, at: 2 };
const toDone: TransitionRecord<JC> = { type: 'transition', id: '0', from: 'parse', to: 'done', jc: { title: 'café' }, at: 3 };

function lineList(bytes: Buffer): string[] {
  return fileLines(bytes).map((line) => bytes.toString('utf8', line.start, line.end));
}

describe('JsonlStore: the one kind of damage that reads as a crash (example)', () => {
  it("a flipped final newline of the log makes the last batch torn: the batches before it load, with one warning, and nothing changes", async () => {
    const { snapshot, log } = await writeExample([[toParse], [toDone]]);
    const flipped = Buffer.from(log);
    flipped[log.length - 1] = 0x20; // the last batch line loses its newline
    const path = crashCopy(snapshot, flipped);
    const before = filesIn(dirname(path));
    const { store, run, error, warnings } = await load(path);
    try {
      expect(error).toBeUndefined();
      expect(run?.jobs.get('0')).toMatchObject({ state: 'parse', jc: { title: 'a' } });
      expect(warnings).toHaveLength(1);
      const warning = `${path}.log:4: dropped a torn last batch (1 record without the line that closes the batch)`;
      expect(warnings[0]?.startsWith(warning), `${JSON.stringify(warnings[0])} starts with ${JSON.stringify(warning)}`).toBe(true);
      expect(filesIn(dirname(path))).toEqual(before);
    } finally {
      await store.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// 4. The defects reproduced before format version 2 ("Replay trusts every line"), each an error now.

describe('JsonlStore: the defects of format version 1 are errors now (examples)', () => {
  it('a duplicated log line is not applied twice', async () => {
    const { snapshot, log } = await writeExample([[toParse, toDone]]);
    const lines = lineList(log); // record 1, record 2, batch line
    const path = crashCopy(snapshot, Buffer.from([lines[0], lines[0], lines[1], lines[2]].join('')));
    const error = await expectCorrupt(path, `${path}.log`, (line) => line === 4, 'line 4 (the batch line)');
    expect(error.message).toMatch(new RegExp(`^${path}\\.log:4: the checksum of records 1 to 2 does not match \\(CRC-32 \\d+ for \\d+\\): the log was damaged or edited by hand \\(record 1 is repeated, at line 2\\)$`));
  });

  it('swapped log lines do not move a job back from done', async () => {
    // One batch: record 2 (parse → done) before record 1 (fetch → parse); replayed, the job would end in parse.
    const one = await writeExample([[toParse, toDone]]);
    const [first, second, batch] = lineList(one.log);
    const path = crashCopy(one.snapshot, Buffer.from([second, first, batch].join('')));
    const error = await expectCorrupt(path, `${path}.log`, (line) => line === 3, 'line 3 (the batch line)');
    expect(error.message).toBe(
      `${path}.log:3: the batch line says records 1 to 2, the batch holds records 2, 1 (the log starts at record 2, but the snapshot holds records up to 0: records 1 to 1 are missing, at line 1)`,
    );

    // Two batches, their records swapped.
    const two = await writeExample([[toParse], [toDone]]);
    const l = lineList(two.log);
    const swapped = crashCopy(two.snapshot, Buffer.from([l[2], l[1], l[0], l[3]].join('')));
    const across = await expectCorrupt(swapped, `${swapped}.log`, (line) => line === 2, 'line 2 (the first batch line)');
    expect(across.message).toBe(
      `${swapped}.log:2: the batch line says records 1 to 1, the batch holds record 2 (the log starts at record 2, but the snapshot holds records up to 0: records 1 to 1 are missing, at line 1)`,
    );

    // A later job's records swapped: record 3 before record 2, behind a good record 1.
    const three = await writeExample([[{ ...toParse, id: '1' }, toParse, toDone]], 2);
    const t = lineList(three.log);
    const later = crashCopy(three.snapshot, Buffer.from([t[0], t[2], t[1], t[3]].join('')));
    const gap = await expectCorrupt(later, `${later}.log`, (line) => line === 4, 'line 4 (the batch line)');
    expect(gap.message).toBe(`${later}.log:4: the batch line says records 1 to 3, the batch holds records 1, 3, 2 (record 3 follows record 1: records 2 to 2 are missing, at line 2)`);
  });

  it('a snapshot cut at a line boundary does not silently drop the jobs after the cut', async () => {
    const { snapshot, log } = await writeExample([[toParse]], 5);
    const lines = fileLines(snapshot); // header, log line, 5 jobs, end line
    expect(lines).toHaveLength(8);
    const path = crashCopy(snapshot.subarray(0, (lines[4] as FileLine).end), log); // header, log line and 3 jobs
    const error = await expectCorrupt(path, path, (line) => line === 6, 'line 6');
    expect(error.message).toBe(`${path}:6: the end line is missing after 3 jobs: the snapshot was cut short; if you edited it, \`jorb seal ${path}\` accepts the edit`);
  });

  it('a flipped byte that turns "kicks" into "kigks" does not silently drop the children', async () => {
    const kicks: KickRecord<JC>[] = Array.from({ length: 7 }, (_, n) => ({ id: `0->${n}`, state: 'fetch', jc: { n } }));
    const { snapshot, log } = await writeExample([[{ ...toParse, kicks }]]);
    const at = log.indexOf('"kicks"') + 3; // the c
    const flipped = Buffer.from(log);
    flipped[at] = (log[at] as number) ^ 0x04; // 'c' (0x63) becomes 'g' (0x67)
    expect(flipped.toString('utf8')).toContain('"kigks":[');
    const path = crashCopy(snapshot, flipped);
    const error = await expectCorrupt(path, `${path}.log`, (line) => line === 1, 'line 1');
    expect(error.message).toBe(`${path}.log:1: a transition record has an unknown field "kigks"`);
  });

  it('a deleted log does not silently lose every logged transition', async () => {
    const { snapshot } = await writeExample([[toParse], [toDone]]);
    expect(lineList(snapshot)[1]).toBe('{"log":"active"}\n');
    const path = crashCopy(snapshot, undefined);
    const error = await expectCorrupt(path, `${path}.log`, (line) => line === 0, 'the file as a whole');
    expect(error.message).toBe(
      `${path}.log: missing: ${path} was written while the run was open and its changes since are in this log; restore it (or accept losing them with \`jorb seal ${path}\`)`,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// 5. A torn line cut inside a multi-byte character.

describe('JsonlStore: a torn line cut inside a multi-byte character (example)', () => {
  it('drops the torn batch with a warning; the next append starts right after the last whole batch, and the run loads again', async () => {
    const { snapshot, log } = await writeExample([[toParse], [toDone]]);
    const lines = lineList(log); // record 1, batch 1, record 2 (with "café"), batch 2
    const kept = Buffer.byteLength(lines[0] as string) + Buffer.byteLength(lines[1] as string);
    const cut = kept + Buffer.byteLength((lines[2] as string).slice(0, (lines[2] as string).indexOf('é'))) + 1; // between the two bytes of "é"
    expect(log[cut - 1]).toBe(0xc3);
    const path = crashCopy(snapshot, log.subarray(0, cut));

    const { store, run, error, warnings } = await load(path);
    let after: Buffer;
    try {
      expect(error).toBeUndefined();
      expect(warnings).toEqual([`${path}.log:3: dropped a torn last line (${cut - kept} bytes): the process stopped while writing it, before it was acknowledged`]);
      expect(run?.jobs.get('0')?.state).toBe('parse');
      await store.append([{ type: 'transition', id: '0', from: 'parse', to: 'done', jc: { title: 'cafe' }, at: 4 }]);
      after = logData(`${path}.log`);
    } finally {
      await store.close();
    }
    const record = '{"seq":2,"type":"transition","id":"0","from":"parse","to":"done","jc":{"title":"cafe"},"at":4}\n';
    expect(after.toString('utf8')).toBe(`${lines[0] as string}${lines[1] as string}${record}{"batch":{"first":2,"last":2,"crc32":${crc32(Buffer.from(record))}}}\n`);
    const again = await load(crashCopy(snapshot, after));
    await again.store.close();
    expect(again.warnings).toEqual([]);
    expect(again.run?.jobs.get('0')).toMatchObject({ state: 'done', jc: { title: 'cafe' } });
  });
});

// ---------------------------------------------------------------------------------------------
// Damage the properties above found named at a line that is neither the damaged one nor the line
// that checks it (minimal reproductions; each fails until the reader names the right line).

describe('JsonlStore: the line a damaged file is reported at (examples found by the properties)', () => {
  const twoJobs = () => writeExample([[{ ...toParse, id: '1' }, toParse, toDone]], 2); // snapshot: header, log line, jobs 0 and 1, end line

  it('a repeated job line in the snapshot is reported at the repeat (or the end line), not at line 0', async () => {
    const { snapshot, log } = await twoJobs();
    const l = lineList(snapshot);
    const path = crashCopy(Buffer.from([l[0], l[1], l[2], l[2], l[3], l[4]].join('')), log);
    const error = await expectCorrupt(path, path, (line) => line === 4 || line === 6, 'line 4 (the repeat) or 6 (the end line)');
    expect(error.problem).toMatch(/^the end line counts 2 jobs, the file holds 3: lines are missing or repeated; if you edited it/);
  });

  it('a flipped byte that makes a job id repeat another is reported at that job (or the end line), not at line 0', async () => {
    const { snapshot, log } = await twoJobs();
    const flipped = Buffer.from(snapshot);
    const at = snapshot.indexOf('"id":"1"') + 6;
    flipped[at] = (snapshot[at] as number) ^ 0x01; // "1" becomes "0"
    const path = crashCopy(flipped, log);
    await expectCorrupt(path, path, (line) => line === 4 || line === 5, 'line 4 (the flipped id) or 5 (the end line)');
  });

  it("a flipped version digit (2 becomes 1) is reported at the header (or the end line), not at the log line as a bad job", async () => {
    const { snapshot, log } = await twoJobs();
    const flipped = Buffer.from(snapshot);
    const at = snapshot.indexOf('"version":2') + 10;
    flipped[at] = (snapshot[at] as number) ^ 0x03; // "2" becomes "1"
    const path = crashCopy(flipped, log);
    await expectCorrupt(path, path, (line) => line === 1 || line === 5, 'line 1 (the header) or 5 (the end line)');
  });

  it('the end line swapped with a job line is reported where the end line now is (or the moved job), not at the line after it', async () => {
    const { snapshot, log } = await twoJobs();
    const l = lineList(snapshot);
    const path = crashCopy(Buffer.from([l[0], l[1], l[4], l[3], l[2]].join('')), log);
    await expectCorrupt(path, path, (line) => line === 3 || line === 5, 'line 3 (the end line, moved) or 5 (the job moved)');
  });

  it("a flipped first sequence number (1 becomes 0) is reported at that record (or its batch line), not at the next record", async () => {
    const { snapshot, log } = await twoJobs(); // records 1, 2, 3 and their batch line
    const flipped = Buffer.from(log);
    const at = log.indexOf('"seq":1') + 6;
    flipped[at] = (log[at] as number) ^ 0x01; // "1" becomes "0"
    const path = crashCopy(snapshot, flipped);
    await expectCorrupt(path, `${path}.log`, (line) => line === 1 || line === 4, 'line 1 (the flipped record) or 4 (its batch line)');
  });
});
