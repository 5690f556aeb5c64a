// Joins under kill -9 (issue #19's "Done means": ≥ 20 kills; 50 parents × 100 children): a child
// process (test/support/join-kill-worker.ts) runs the join workflow (test/support/join-workflow.ts)
// on a JsonlStore — 50 parents split into 100 children each, the children work (some loop, a
// seeded few throw and stay failed), each parent waits in the join state `merge` until all its
// children settled, then merge sums them — and is SIGKILLed at moments a seeded schedule picks by
// counts, never by a clock: once so many transitions were acknowledged, as a merge exec starts
// (the kill lands while it runs, usually before its transition is durable), right after a merge's
// transition was acknowledged, right after load. It is started again until the run completes,
// then once more on the completed run.
//
// Every merge exec ever called, also one killed before its transition was durable, wrote a line to
// a side file (appendFileSync, before anything else) naming each child as it was handed them. The
// checks: every such call saw all 100 children of its parent, in kick order, each settled (worked,
// or failed where the seed says); no merge ran again for a parent once its transition to done was
// acknowledged; the final run has every parent in done, once (its history split, merge, done), with
// the sum of exactly its children; exactly 100 children per parent (`<p>->0`…`<p>->99`), each with
// the history and result its job context predicts; nothing left waiting, failed only the seeded.
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { prng } from '../scripts/prng.js';
import { JsonlStore, type Run } from '../src/index.js';
import {
  CHILDREN,
  expectedParent,
  expectedTransitions,
  failsOf,
  type JoinJC,
  type JoinOC,
  joinWorkflow,
  type MergeEvidence,
  PARENTS,
  roundsOf,
  valueOf,
} from './support/join-workflow.js';
import { useTempDir } from './support/temp-dir.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORKER = fileURLToPath(new URL('./support/join-kill-worker.ts', import.meta.url));

/** The seeds CI runs (each is also the run's salt); a failure names the seed. */
const SEEDS = [1, 2] as const;
/** SIGKILLs per seed: 24 in all. */
const KILLS = 12;
/** One start of the worker, at most: a hang is a failure. */
const LIFE_TIMEOUT_MS = 30_000;
/** A small compactAfterBytes, so the run is compacted into its snapshot while it is killed and restarted. */
const COMPACT_AFTER = String(256 << 10);

type KillKind = 'acks' | 'merge' | 'done-ack' | 'loaded';
/** What each seed's 12 kills are, before the seed shuffles them: most while a merge runs. */
const KINDS: readonly KillKind[] = ['merge', 'merge', 'merge', 'merge', 'merge', 'acks', 'acks', 'acks', 'done-ack', 'done-ack', 'loaded', 'loaded'];

interface Kill {
  readonly kind: KillKind;
  /** Kill at the first event of its kind once the run's acknowledged transitions (all lives) reach this. */
  readonly point: number;
}

type Event =
  | { e: 'ready'; pid: number }
  | { e: 'loaded'; pid: number; resumed: boolean; jobs: number; done: number }
  | { e: 'ack'; n: number; done: string[] }
  | { e: 'merge'; parent: string }
  | { e: 'warning'; message: string }
  | { e: 'closing' }
  | { e: 'failed'; stage: string; message: string }
  | { e: 'completed'; outcome: string; transitions: number; failed: number };

interface Life {
  readonly index: number;
  pid: number;
  loaded?: Extract<Event, { e: 'loaded' }>;
  completed?: Extract<Event, { e: 'completed' }>;
  readonly failures: string[];
  readonly warnings: string[];
  /** Parents whose transition to done this life acknowledged. */
  readonly doneAcked: string[];
  acked: number;
  merges: number;
  killedBy?: KillKind;
  signal: NodeJS.Signals | null;
  code: number | null;
  timedOut: boolean;
  stderr: string;
}

const live = new Set<ChildProcessByStdio<null, Readable, Readable>>();

afterEach(async () => {
  // No child outlives its test, whatever happened.
  const children = [...live];
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('close', resolve)))));
});

const tempDir = useTempDir();

/** Starts the worker once; `onEvent` sees each line it writes and may kill it. Resolves once it is gone and its output read. */
function startWorker(index: number, file: string, side: string, salt: number, onEvent: (e: Event, kill: (kind: KillKind) => void) => void): Promise<Life> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, file, side, '--salt', String(salt), '--compact-after', COMPACT_AFTER], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  const life: Life = { index, pid: child.pid ?? -1, failures: [], warnings: [], doneAcked: [], acked: 0, merges: 0, signal: null, code: null, timedOut: false, stderr: '' };
  const kill = (kind: KillKind) => {
    if (life.killedBy !== undefined || child.exitCode !== null || child.signalCode !== null) return;
    life.killedBy = kind;
    child.kill('SIGKILL');
  };
  const timer = setTimeout(() => {
    life.timedOut = true;
    child.kill('SIGKILL');
  }, LIFE_TIMEOUT_MS);
  let buffered = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      let event: Event;
      try {
        event = JSON.parse(line) as Event;
      } catch {
        life.stderr += `[stdout] ${line}\n`;
        continue;
      }
      if (event.e === 'loaded') life.loaded = event;
      else if (event.e === 'completed') life.completed = event;
      else if (event.e === 'failed') life.failures.push(`${event.stage}: ${event.message}`);
      else if (event.e === 'warning') life.warnings.push(event.message);
      else if (event.e === 'merge') life.merges++;
      else if (event.e === 'ack') {
        life.acked += event.n;
        life.doneAcked.push(...event.done);
      }
      onEvent(event, kill);
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (life.stderr += chunk));
  return new Promise<Life>((resolve, reject) => {
    child.once('error', reject);
    // 'close' comes after 'exit' and after stdout ended: every line the child wrote has been seen.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      life.code = code;
      life.signal = signal;
      resolve(life);
    });
  });
}

/** The seeded schedule: the kinds shuffled, the points (shares of the run's transitions) drawn and sorted. */
function planKills(seed: number, total: number): Kill[] {
  const random = prng(seed * 7919 + 1);
  const kinds = [...KINDS];
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j] as KillKind, kinds[i] as KillKind];
  }
  const points = kinds.map(() => Math.floor(total * (0.04 + 0.9 * random()))).sort((a, b) => a - b);
  return kinds.map((kind, i) => ({ kind, point: kind === 'loaded' ? 0 : (points[i] as number) }));
}

function readEvidence(side: string): MergeEvidence[] {
  if (!existsSync(side)) return [];
  const text = readFileSync(side, 'utf8');
  if (text.length > 0 && !text.endsWith('\n')) throw new Error(`side file ends in a torn line: ${JSON.stringify(text.slice(-200))}`);
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as MergeEvidence);
}

async function readRun(file: string): Promise<Run<JoinOC, JoinJC>> {
  const store = new JsonlStore<JoinOC, JoinJC>(file, { readOnly: true });
  try {
    const run = await store.load(joinWorkflow);
    if (run === undefined) throw new Error(`no run in ${file}`);
    return run;
  } finally {
    await store.close();
  }
}

/** What is wrong with one merge exec's view of its children, if anything: all 100, in kick order, each settled as the seed says. */
function evidenceProblems(e: MergeEvidence, salt: number): string[] {
  const problems: string[] = [];
  const p = Number(e.parent);
  if (e.state !== 'merge') problems.push(`merge exec of ${e.parent} (pid ${e.pid}) ran in state ${e.state}`);
  if (e.children.length !== CHILDREN) problems.push(`merge exec of ${e.parent} (pid ${e.pid}) saw ${e.children.length} children, want ${CHILDREN}`);
  e.children.forEach(([id, state, failed], n) => {
    if (id !== `${e.parent}->${n}`) problems.push(`merge exec of ${e.parent} (pid ${e.pid}): child #${n} is ${id}`);
    const want = failsOf(p, n, salt) ? 'work/failed' : 'worked';
    const seen = failed ? `${state}/failed` : state;
    if (seen !== want) problems.push(`merge exec of ${e.parent} (pid ${e.pid}) saw child ${id} ${seen}, want ${want}${state === 'work' && !failed ? ' (not settled)' : ''}`);
  });
  return problems;
}

/** What is wrong with the final run, if anything. */
function runProblems(run: Run<JoinOC, JoinJC>, salt: number): string[] {
  const problems: string[] = [];
  if (run.jobs.size !== PARENTS * (1 + CHILDREN)) problems.push(`${run.jobs.size} jobs, want ${PARENTS * (1 + CHILDREN)}`);
  const expectedIds = new Set<string>();
  for (let p = 0; p < PARENTS; p++) {
    const id = String(p);
    expectedIds.add(id);
    const parent = run.jobs.get(id);
    if (parent === undefined) {
      problems.push(`parent ${id} is missing`);
      continue;
    }
    const history = parent.history.map((h) => h.state).join(',');
    if (parent.state !== 'done' || parent.failed === true) problems.push(`parent ${id} is in ${parent.state}${parent.failed ? ', failed' : ''}, want done`);
    if (history !== 'split,merge,done') problems.push(`parent ${id}'s history is ${history}, want split,merge,done (its transition into done applied once)`);
    if (!isDeepStrictEqual(parent.jc, expectedParent(p, salt))) problems.push(`parent ${id}'s jc is ${JSON.stringify(parent.jc)}, want ${JSON.stringify(expectedParent(p, salt))}`);
    if (Object.keys(parent.errors).length > 0) problems.push(`parent ${id} has errors ${JSON.stringify(parent.errors)}`);
    for (let n = 0; n < CHILDREN; n++) {
      const cid = `${p}->${n}`;
      expectedIds.add(cid);
      const child = run.jobs.get(cid);
      if (child === undefined) {
        problems.push(`child ${cid} is missing`);
        continue;
      }
      const jc = child.jc;
      const rounds = roundsOf(p, n, salt);
      const fails = failsOf(p, n, salt);
      if (child.parentId !== id || jc.kind !== 'child' || jc.p !== p || jc.n !== n) problems.push(`child ${cid} is ${JSON.stringify({ parentId: child.parentId, jc })}`);
      else if (jc.rounds !== rounds) problems.push(`child ${cid} went round ${jc.rounds} times, want ${rounds}`);
      const moves = [...Array<string>(1 + rounds).fill('work'), ...(fails ? [] : ['worked'])].join(',');
      const history = child.history.map((h) => h.state).join(',');
      if (history !== moves) problems.push(`child ${cid}'s history is ${history}, want ${moves}`);
      if (fails) {
        if (child.state !== 'work' || child.failed !== true) problems.push(`child ${cid} is in ${child.state}${child.failed ? ', failed' : ''}, want work, failed (seeded)`);
        if ((child.errors['work'] ?? []).length !== 1) problems.push(`child ${cid} has errors ${JSON.stringify(child.errors)}, want one in work`);
      } else {
        if (child.state !== 'worked' || child.failed === true) problems.push(`child ${cid} is in ${child.state}${child.failed ? ', failed' : ''}, want worked`);
        if (jc.kind === 'child' && jc.value !== valueOf(p, n, salt)) problems.push(`child ${cid}'s value is ${jc.value}, want ${valueOf(p, n, salt)}`);
        if (Object.keys(child.errors).length > 0) problems.push(`child ${cid} has errors ${JSON.stringify(child.errors)}`);
      }
    }
  }
  for (const id of run.jobs.keys()) if (!expectedIds.has(id)) problems.push(`unexpected job ${id} (a duplicate child?)`);
  return problems;
}

describe('join kill campaign: 50 parents × 100 children on a JsonlStore, SIGKILLed at seeded moments and restarted', () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}: ${KILLS} kills; every merge ran after all its children settled, its transition applied once, none left waiting`, async () => {
      const started = performance.now();
      const salt = seed;
      const dir = tempDir();
      const file = join(dir, 'run.jsonl');
      const side = join(dir, 'merges.jsonl');
      const total = expectedTransitions(salt);
      const plan = planKills(seed, total);
      const lives: Life[] = [];
      let acked = 0; // transitions acknowledged, all lives
      let next = 0; // the next kill of the plan
      const problems: string[] = [];

      while (lives.length < KILLS * 3) {
        const kill = plan[next];
        const life = await startWorker(lives.length, file, side, salt, (e, killNow) => {
          if (e.e === 'ack') acked += e.n;
          if (kill === undefined) return;
          const due = acked >= kill.point;
          if (kill.kind === 'loaded' && e.e === 'loaded') killNow('loaded');
          else if (kill.kind === 'acks' && e.e === 'ack' && due) killNow('acks');
          else if (kill.kind === 'merge' && e.e === 'merge' && due) killNow('merge');
          else if (kill.kind === 'done-ack' && e.e === 'ack' && e.done.length > 0 && due) killNow('done-ack');
        });
        lives.push(life);
        if (life.timedOut) problems.push(`life ${life.index} (pid ${life.pid}) hung for ${LIFE_TIMEOUT_MS} ms`);
        for (const f of life.failures) problems.push(`life ${life.index} (pid ${life.pid}) failed: ${f}`);
        if (life.signal === 'SIGKILL' && life.killedBy !== undefined) {
          next++;
          continue;
        }
        if (life.code !== 0 || life.completed?.outcome !== 'complete') problems.push(`life ${life.index} (pid ${life.pid}) ended with code ${life.code}, signal ${life.signal}: ${life.stderr.slice(-2000)}`);
        break;
      }
      if (next < plan.length) problems.push(`the run completed with ${plan.length - next} of its ${plan.length} kills not made (next: ${JSON.stringify(plan[next])})`);
      const evidenceBefore = readEvidence(side).length;

      // A final clean start on the completed run: nothing to do, no merge runs again.
      const last = await startWorker(lives.length, file, side, salt, () => undefined);
      lives.push(last);
      if (last.completed === undefined || last.completed.outcome !== 'complete' || last.completed.transitions !== 0) {
        problems.push(`the final start on the completed run: ${JSON.stringify(last.completed)} (code ${last.code}, ${last.stderr.slice(-2000)})`);
      }

      // Every merge exec ever called saw all its children settled.
      const evidence = readEvidence(side);
      if (evidence.length !== evidenceBefore) problems.push(`the final start ran ${evidence.length - evidenceBefore} merge execs on a completed run`);
      for (const e of evidence) problems.push(...evidenceProblems(e, salt));
      // No merge ran again once its transition was durable (acknowledged) in an earlier life; no transition into done was acknowledged twice.
      const lifeOfPid = new Map(lives.map((l) => [l.pid, l.index]));
      const doneIn = new Map<string, number>();
      for (const l of lives) {
        for (const id of l.doneAcked) {
          if (doneIn.has(id)) problems.push(`parent ${id}'s transition into done was acknowledged in life ${doneIn.get(id)} and again in life ${l.index}`);
          else doneIn.set(id, l.index);
        }
      }
      const execsOf = new Map<string, number[]>();
      for (const e of evidence) {
        const index = lifeOfPid.get(e.pid);
        if (index === undefined) problems.push(`merge exec of ${e.parent} by an unknown pid ${e.pid}`);
        else execsOf.set(e.parent, [...(execsOf.get(e.parent) ?? []), index]);
        const durableIn = doneIn.get(e.parent);
        if (index !== undefined && durableIn !== undefined && index > durableIn) problems.push(`merge exec of ${e.parent} ran in life ${index}, after its transition into done was acknowledged in life ${durableIn}`);
      }
      for (let p = 0; p < PARENTS; p++) if (!execsOf.has(String(p))) problems.push(`no merge exec of parent ${p} was recorded`);
      // More than one merge exec of a parent: all but the last in lives killed before its transition was durable.
      for (const [id, indexes] of execsOf) {
        for (const index of indexes.slice(0, -1)) if (lives[index]?.killedBy === undefined) problems.push(`merge of ${id} ran in life ${index}, which was not killed, and ran again later`);
      }

      // The final run, read from the file.
      const run = await readRun(file);
      problems.push(...runProblems(run, salt));
      const failed = [...run.jobs.values()].filter((job) => job.failed === true).length;
      let seeded = 0;
      for (let p = 0; p < PARENTS; p++) for (let n = 0; n < CHILDREN; n++) if (failsOf(p, n, salt)) seeded++;
      if (last.completed?.failed !== seeded) problems.push(`the final start counts ${last.completed?.failed} failed jobs, want the ${seeded} seeded`);
      // Acknowledged transitions, all lives: never more than an uninterrupted run applies (some may go unreported, killed between fsync and report).
      if (acked > total) problems.push(`${acked} transitions acknowledged in all, an uninterrupted run applies ${total}`);

      const kills = lives.filter((l) => l.killedBy !== undefined && l.signal === 'SIGKILL');
      const by = (kind: KillKind) => kills.filter((l) => l.killedBy === kind).length;
      const reExecuted = [...execsOf.values()].filter((indexes) => indexes.length > 1);
      const report = [
        `join kill campaign, seed ${seed}: ${kills.length} kills (${by('merge')} as a merge started, ${by('acks')} after acks, ${by('done-ack')} after a merge's transition was acknowledged, ${by('loaded')} right after load), ${lives.length} starts, ${Math.round(performance.now() - started)} ms`,
        `  merges executed: ${evidence.length} for ${PARENTS} parents; re-executed after a kill: ${evidence.length - execsOf.size} (${reExecuted.length} parents)`,
        `  transitions acknowledged: ${acked} of ${total}; failed children (seeded): ${failed} of ${seeded}; store warnings: ${lives.reduce((sum, l) => sum + l.warnings.length, 0)}`,
        ...problems.slice(0, 40).map((p) => `  PROBLEM ${p}`),
      ].join('\n');
      console.log(report);
      expect(problems, `join kill campaign seed ${seed} failed\n${report}`).toEqual([]);
      expect(kills.length).toBe(KILLS);
      expect(by('merge')).toBeGreaterThan(0);
      expect(failed).toBe(seeded);
    }, 100_000);
  }
});
