// Workload "original": the original design as a baseline, on the same engine and the same W3
// workflow, against JsonlStore at N = 1,000 / 5,000 / 10,000.
//
// What the original did: the Go jorb (github.com/gaffo/jorb, processor.go) funnels every job's
// return through one loop that sets `r.Jobs[id] = job` and then calls `serializer.Serialize(*r)`:
// its JsonSerializer json-encodes the entire Run (every job) and writes it over the run file
// (os.Create + io.Copy, no fsync). One whole-run rewrite per job completion: O(N) per transition,
// O(N^2) per run.
//
// What OriginalJsonStore below does, for every completion (each transition record of a batch; one
// rewrite per record, never one per batch), and once per checkpoint: apply the record to its own
// copy of the run, `JSON.stringify` the entire run (all jobs, compact), `fs.writeFileSync` it to a
// temp file, `fs.fsyncSync` that file (so it is as durable per completion as our fsync'd store;
// the Go original skipped this), close it, `fs.renameSync` it over the run file (a crash never
// leaves a torn file). It does not fsync the directory after the rename (JsonlStore does when it
// compacts), which only favours the baseline.
//
// Time cap: the baseline is quadratic, so a run that would go past `capSeconds` stops there (the
// store stops rewriting and the exec is aborted), and its total is extrapolated: the rewrites still
// to do, each costed at the mean of the last 10% made. The file only grows during a run (each job's
// history gets longer), so later rewrites cost at least that much (fsync's jitter aside): the
// estimate is a lower bound of the original's time, and the speed-up derived from it is
// understated, not flattered. Each N is run in two passes over all the Ns and the faster run
// counts, for both stores, since fsync latency drifts several-fold on a shared machine.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  applyRecord,
  bindRun,
  fromSnapshot,
  Processor,
  type Run,
  type RunSnapshot,
  type Store,
  type StoreRecord,
  flushUnsavedRecords,
  toSnapshot,
  type WorkflowStates,
} from '../src/index.js';
import { heapAfterGc } from './heap.js';
import { fmt, fmtSeconds, round3, verdict } from './report.js';
import { withTempDir } from './temp-dir.js';
import { buildWorkflow, type JC, newRun, type W3Workflow } from './w3.js';
import { jsonlRun } from './w3-jsonl.js';

export const ORIGINAL_NS = [1_000, 5_000, 10_000] as const;
/** Default wall-clock cap of one baseline run; `--original-cap <s>` changes it. */
export const DEFAULT_CAP_SECONDS = 12;
/** Passes over all the Ns; the faster of each N's runs counts. */
const PASSES = 2;
const JSONL_ROUNDS = 3;

/** The original design's persistence, as a Store: the whole run rewritten per completion. */
export class OriginalJsonStore<OC, C> implements Store<OC, C> {
  readonly path: string;
  readonly #temp: string;
  /** The run as stored: the engine applies a record to its run only after `append` resolved. */
  #copy: Run<OC, C> | undefined;
  #capAt = Infinity;
  #onCap: () => void = () => undefined;
  /** Milliseconds each rewrite took, in order. */
  readonly rewriteMs: number[] = [];
  /** Set when the cap stopped the rewrites. */
  capped: { readonly seconds: number; readonly rewrites: number } | undefined;
  #start = 0;
  lastBytes = 0;

  constructor(path: string) {
    this.path = path;
    this.#temp = join(dirname(path), `.${basename(path)}.tmp`);
  }

  /** Starts the clock: past `capSeconds` from now, rewrites stop and `onCap` is called once. */
  startClock(capSeconds: number, onCap: () => void): void {
    this.#start = performance.now();
    this.#capAt = this.#start + capSeconds * 1000;
    this.#onCap = onCap;
  }

  async load(workflow?: WorkflowStates<string>): Promise<Run<OC, C> | undefined> {
    if (!existsSync(this.path)) return undefined;
    const run = fromSnapshot<OC, C>(JSON.parse(readFileSync(this.path, 'utf8')) as RunSnapshot<OC, C>, this.path);
    return workflow ? bindRun(run, workflow) : run;
  }

  async append(records: readonly StoreRecord<C>[]): Promise<void> {
    const copy = this.#copy;
    if (copy === undefined) throw new Error('OriginalJsonStore: append before the first checkpoint');
    for (const record of records) {
      applyRecord(copy as Run<unknown, C>, record);
      this.#rewrite(copy);
    }
  }

  async checkpoint(run: Run<OC, C>): Promise<void> {
    await flushUnsavedRecords(run, async () => undefined); // the original rewrites the whole run every time
    this.#copy = fromSnapshot<OC, C>(structuredClone(toSnapshot(run)));
    this.#rewrite(this.#copy);
  }

  async close(): Promise<void> {}

  #rewrite(run: Run<OC, C>): void {
    if (this.capped) return;
    const start = performance.now();
    const text = JSON.stringify(toSnapshot(run));
    const fd = openSync(this.#temp, 'w');
    try {
      writeFileSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(this.#temp, this.path);
    const end = performance.now();
    this.rewriteMs.push(end - start);
    this.lastBytes = text.length;
    if (end >= this.#capAt) {
      this.capped = { seconds: (end - this.#start) / 1000, rewrites: this.rewriteMs.length };
      this.#onCap();
    }
  }
}

interface OriginalRun {
  /** The whole run: measured, or extrapolated when capped. */
  readonly seconds: number;
  /** Set when the cap stopped it: what was measured up to there. */
  readonly capped: { readonly seconds: number; readonly rewrites: number } | undefined;
  /** Rewrites a whole run makes: one per completion plus the two checkpoints. */
  readonly expectedRewrites: number;
  /** The run file's size at the last rewrite. */
  readonly runFileBytes: number;
}

/** One fresh W3 run of n jobs on an OriginalJsonStore at `path`, capped at `capSeconds`. */
async function originalRun(wf: W3Workflow, n: number, path: string, capSeconds: number): Promise<OriginalRun> {
  const store = new OriginalJsonStore<object, JC>(path);
  const run = newRun(wf, n);
  const controller = new AbortController();
  heapAfterGc();
  const start = performance.now();
  store.startClock(capSeconds, () => controller.abort());
  const result = await new Processor(wf, {}, { store }).exec(run, { signal: controller.signal });
  const wall = (performance.now() - start) / 1000;
  const expectedRewrites = 2 * n + 2;
  const capped = store.capped;
  const stored = await store.load();
  if (stored?.jobs.size !== n) throw new Error(`original: the run file holds ${stored?.jobs.size ?? 'no'} jobs, expected ${n}`);
  if (capped !== undefined) {
    const made = store.rewriteMs;
    const lastTenth = made.slice(Math.floor(made.length * 0.9));
    const meanMs = sum(lastTenth) / lastTenth.length;
    const seconds = capped.seconds + ((expectedRewrites - capped.rewrites) * meanMs) / 1000;
    return { seconds, capped, expectedRewrites, runFileBytes: store.lastBytes };
  }
  if (result.outcome !== 'complete' || result.transitions !== 2 * n || store.rewriteMs.length !== expectedRewrites) {
    throw new Error(`original: expected 2*${n} transitions and ${expectedRewrites} rewrites, got ${JSON.stringify(result)} and ${store.rewriteMs.length}`);
  }
  let done = 0;
  for (const job of stored.jobs.values()) if (job.state === 'done') done++;
  if (done !== n) throw new Error(`original: the run file holds ${done} jobs in 'done', expected ${n}`);
  return { seconds: wall, capped: undefined, expectedRewrites, runFileBytes: store.lastBytes };
}

/** JsonlStore on the same run: exec plus close, best of 3. */
async function jsonlSeconds(wf: W3Workflow, n: number, dir: string, verify: boolean): Promise<number> {
  let best = Infinity;
  for (let round = 0; round < JSONL_ROUNDS; round++) {
    const r = await jsonlRun(wf, n, join(dir, `jsonl-${n}-${round}.jsonl`), verify && round === 0);
    best = Math.min(best, r.seconds + r.closeSeconds);
  }
  return best;
}

export type OriginalFigures = Record<string, number | boolean>;

export async function original(log: (line: string) => void, capSeconds = DEFAULT_CAP_SECONDS): Promise<OriginalFigures> {
  const wf = buildWorkflow();
  return withTempDir('original', async (dir) => {
    const figures: OriginalFigures = { original_cap_s: capSeconds, original_passes: PASSES };
    // warm both up on a small run first
    await jsonlRun(wf, 200, join(dir, 'warm-up.jsonl'));
    await originalRun(wf, 200, join(dir, 'warm-up.json'), capSeconds);
    // Both stores wait on fsync, whose latency drifts several-fold on a shared machine (other I/O):
    // each N is measured in each of PASSES passes over all the Ns, and the faster run counts, for
    // the original as for JsonlStore.
    const theirs = new Map<number, OriginalRun>();
    const ours = new Map<number, number>();
    for (let pass = 0; pass < PASSES; pass++) {
      for (const n of ORIGINAL_NS) {
        ours.set(n, Math.min(ours.get(n) ?? Infinity, await jsonlSeconds(wf, n, dir, pass === 0)));
        const r = await originalRun(wf, n, join(dir, `original-${n}.json`), capSeconds);
        const before = theirs.get(n);
        if (before === undefined || r.seconds < before.seconds) theirs.set(n, r);
      }
    }
    const speedups: number[] = [];
    for (const n of ORIGINAL_NS) {
      const t = theirs.get(n) as OriginalRun;
      const o = ours.get(n) as number;
      const speedup = t.seconds / o;
      speedups.push(speedup);
      figures[`original_seconds_${n}`] = round3(t.seconds);
      figures[`original_extrapolated_${n}`] = t.capped !== undefined;
      figures[`original_ms_per_rewrite_${n}`] = round3((1000 * t.seconds) / t.expectedRewrites);
      figures[`original_jsonl_seconds_${n}`] = round3(o);
      figures[`original_speedup_${n}`] = Math.round(speedup);
      const how =
        t.capped === undefined
          ? `measured, ${fmt(t.expectedRewrites)} rewrites`
          : `EXTRAPOLATED: capped at ${fmtSeconds(t.capped.seconds)} after ${fmt(t.capped.rewrites)} of ${fmt(t.expectedRewrites)} rewrites, ` +
            `the rest costed at the mean of the last 10% (a lower bound)`;
      log(
        `ORIGINAL n=${fmt(n)} whole-run JSON rewrite per completion (fsync'd): ${fmtSeconds(t.seconds)}, ${((1000 * t.seconds) / t.expectedRewrites).toFixed(2)} ms a rewrite ` +
          `(best of ${PASSES}; ${how}; run file ${fmt(t.runFileBytes)} bytes at the last rewrite)`,
      );
      log(`ORIGINAL n=${fmt(n)} JsonlStore, exec + close: ${fmtSeconds(o)} (best of ${PASSES * JSONL_ROUNDS})`);
      log(`ORIGINAL n=${fmt(n)} speed-up of JsonlStore over the original: ${fmt(Math.round(speedup))}x${t.capped ? ' (at least)' : ''}`);
    }
    const grows = speedups.every((s, i) => i === 0 || s > (speedups[i - 1] as number));
    log(`ORIGINAL speed-up grows with N (the original is quadratic): ${speedups.map((s) => `${fmt(Math.round(s))}x`).join(', ')} ${verdict(grows)}`);
    figures['original_speedup_grows'] = grows;
    return figures;
  });
}

function sum(xs: readonly number[]): number {
  let total = 0;
  for (const x of xs) total += x;
  return total;
}
