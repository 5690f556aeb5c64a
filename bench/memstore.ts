// Workload "memstore" (issue #16, "MemoryStore at least as fast as JsonlStore"): W3 (N jobs, default
// 100,000, through fetch -> parse -> done, concurrency 10 per state, no-op async execs) with a
// MemoryStore against the same with a JsonlStore at its default options (fsync on), and without a
// store for reference, in the same process: best of 3 each, rotating which goes first. Timed:
// `processor.exec` alone (the jobs are added before the clock starts), as in W3. About 15 s at
// 100,000.
import { join } from 'node:path';
import { JsonlStore, MemoryStore, Processor, type Store } from '../src/index.js';
import { passFail, withLoadLines } from './goal.js';
import { heapAfterGc } from './heap.js';
import { fmt, fmtSeconds, round2 } from './report.js';
import { withTempDir } from './temp-dir.js';
import { buildWorkflow, engineSeconds, type JC, newRun, type W3Workflow, WARM_UP_N } from './w3.js';
import { removeRunFiles } from './w3-jsonl.js';

const ROUNDS = 3;

export interface MemstoreFigures {
  readonly memstore_n: number;
  readonly memstore_tps: number;
  readonly memstore_jsonl_tps: number;
  readonly memstore_none_tps: number;
  readonly memstore_ratio_to_jsonl: number;
}

/** Seconds of `processor.exec` with a fresh store, adding excluded; the store is closed after. */
async function storeSeconds(wf: W3Workflow, n: number, store: Store<object, JC>): Promise<number> {
  const run = newRun(wf, n);
  heapAfterGc();
  const start = performance.now();
  const result = await new Processor(wf, {}, { store }).exec(run);
  const seconds = (performance.now() - start) / 1000;
  await store.close();
  if (result.outcome !== 'complete' || result.transitions !== 2 * n) throw new Error(`memstore: expected 2*${n} transitions, got ${JSON.stringify(result)}`);
  return seconds;
}

export async function memstore(n: number, log: (line: string) => void): Promise<MemstoreFigures> {
  return withLoadLines('MEMSTORE', log, () =>
    withTempDir('memstore', async (dir) => {
      const wf = buildWorkflow();
      const jsonl = async (name: string, jobs: number) => {
        const path = join(dir, `${name}.jsonl`);
        const seconds = await storeSeconds(wf, jobs, new JsonlStore<object, JC>(path));
        removeRunFiles(path);
        return seconds;
      };
      await storeSeconds(wf, WARM_UP_N, new MemoryStore<object, JC>());
      await jsonl('warm-up', WARM_UP_N);
      await engineSeconds(wf, WARM_UP_N);

      const best = { memory: Infinity, jsonl: Infinity, none: Infinity };
      const kinds = ['memory', 'jsonl', 'none'] as const;
      for (let round = 0; round < ROUNDS; round++) {
        for (let i = 0; i < kinds.length; i++) {
          const which = kinds[(i + round) % kinds.length] as (typeof kinds)[number];
          const seconds =
            which === 'memory' ? await storeSeconds(wf, n, new MemoryStore<object, JC>()) : which === 'jsonl' ? await jsonl(`w3-${round}`, n) : await engineSeconds(wf, n);
          best[which] = Math.min(best[which], seconds);
        }
      }
      const tps = (s: number) => Math.round((2 * n) / s);
      const ratio = round2(best.jsonl / best.memory);
      log(`MEMSTORE W3 n=${fmt(n)} with MemoryStore: ${fmt(tps(best.memory))} transitions/s, ${fmtSeconds(best.memory)} (best of ${ROUNDS})`);
      log(`MEMSTORE W3 n=${fmt(n)} with JsonlStore (fsync on), same run: ${fmt(tps(best.jsonl))} transitions/s, ${fmtSeconds(best.jsonl)} (best of ${ROUNDS})`);
      log(`MEMSTORE W3 n=${fmt(n)} without a store, same run: ${fmt(tps(best.none))} transitions/s, ${fmtSeconds(best.none)} (best of ${ROUNDS})`);
      log(`MEMSTORE ratio MemoryStore/JsonlStore: ${ratio.toFixed(2)} (target >= 1) ${passFail(best.memory <= best.jsonl)}`);
      return { memstore_n: n, memstore_tps: tps(best.memory), memstore_jsonl_tps: tps(best.jsonl), memstore_none_tps: tps(best.none), memstore_ratio_to_jsonl: ratio };
    }),
  );
}
