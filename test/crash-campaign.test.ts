// Durability under kill -9: a child process runs a workflow of thousands of jobs on a JsonlStore and
// is SIGKILLed at random moments, then started again, until a run completes. The run it leaves must
// be the run an uninterrupted in-memory execution gives: no job lost, none duplicated, every
// transition recorded exactly once (exec itself is at-least-once).
//
// The kill moments come from a seeded PRNG; the seed is printed. Replay one with CRASH_SEED=<seed>.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import stableStringify from 'fast-json-stable-stringify';
import { afterEach, describe, expect, it } from 'vitest';
import { type Job, JsonlStore, Processor, type Run } from '../src/index.js';
import { type CrashJC, type CrashOC, crashWorkflow, newCrashRun, PARSE_ATTEMPTS, parseKicks, SEEDS, SHARED_KEYS } from './support/crash-workflow.js';
import { prng } from '../scripts/prng.js';

/** SIGKILLs per campaign; the run is then left to complete. */
const KILLS = 12;
/** Most kills come this long after the child said it had loaded the run (and holds the lock)… */
const MIN_DELAY_MS = 5;
const MAX_DELAY_MS = 300;
/** …every third one shortly after the child began writing a snapshot (its start checkpoint or a compaction)… */
const SNAPSHOT_KILL_EVERY = 3;
/**
 * …or, at the latest, once the child acknowledged this share of the run's jobs more than it loaded
 * (never beyond MAX_SHARE of them all), so no run completes before the last kill.
 */
const TIME_KILL_SHARE = 0.05;
const SNAPSHOT_KILL_SHARE = 0.35;
const MAX_SHARE = 0.9;
/** Starts of the child, at most (a start can finish before its kill). */
const MAX_STARTS = KILLS + 4;
/** The whole campaign. */
const DEADLINE_MS = 50_000;

const children = new Set<ChildProcess>();
const dirs: string[] = [];

afterEach(async () => {
  // No child outlives its test, whatever happened.
  await Promise.all([...children].map((child) => stopChild(child)));
  children.clear();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}


type WorkerEvent =
  | { event: 'started'; pid: number; resumed: boolean; jobs: number; settled: number }
  | { event: 'acked'; settled: number }
  | { event: 'compacted' }
  | { event: 'completed'; outcome: string; transitions: number; failed: number };

/** When to kill a child: `delayMs` after it started, or just after it began its `nth` snapshot write. */
type KillPlan =
  | { readonly kind: 'time'; readonly delayMs: number; readonly share: number }
  | { readonly kind: 'snapshot-write'; readonly nth: number; readonly delayMs: number; readonly share: number };

interface Life {
  readonly started: Extract<WorkerEvent, { event: 'started' }> | undefined;
  readonly completed: Extract<WorkerEvent, { event: 'completed' }> | undefined;
  /** The most jobs it said were terminal or failed, each acknowledged by the store. */
  readonly acked: number;
  readonly compactions: number;
  /** Snapshot writes it began (its start checkpoint, compactions, the one in close()), as seen from outside. */
  readonly snapshotWrites: number;
  readonly killed: boolean;
  /** The child was killed while its snapshot temp file was there: in the middle of a snapshot write. */
  readonly killedInSnapshotWrite: boolean;
  /** The lock file as the kill left it (read right after the child was gone). */
  readonly lockAfterKill: string | undefined;
  readonly code: number | null;
  readonly stderr: string;
}

/**
 * Runs the worker once. With a kill plan it is SIGKILLed as the plan says, or at the latest once it
 * acknowledged `share` of `total` jobs more than it loaded.
 */
function runWorker(dir: string, kill: KillPlan | undefined, total: number, timeoutMs: number): Promise<Life> {
  const file = join(dir, 'run.jsonl');
  const lockFile = `${file}.lock`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/crash-worker.ts', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const temp = join(dir, `.run.jsonl.${child.pid}.tmp`); // where this child writes its snapshots (atomic-write.ts)
  let started: Life['started'];
  let completed: Life['completed'];
  let acked = 0;
  let maxSettled = Infinity;
  let compactions = 0;
  let killed = false;
  let killedInSnapshotWrite = false;
  let stderr = '';
  let buffered = '';
  let timer: NodeJS.Timeout | undefined;
  const doKill = () => {
    if (killed || child.exitCode !== null || child.signalCode !== null) return;
    killed = true;
    child.kill('SIGKILL');
  };
  const overall = setTimeout(() => {
    stderr += `\n[test] the worker ran for more than ${timeoutMs} ms: killed`;
    doKill();
  }, timeoutMs);
  // A snapshot write shows as the child's temp file appearing in the directory.
  let writes = 0;
  let writing = false;
  const watcher = watch(dir, (_event, name) => {
    if (name !== basename(temp)) return;
    const now = existsSync(temp);
    if (now && !writing && ++writes === (kill?.kind === 'snapshot-write' ? kill.nth : 0)) setTimeout(doKill, kill?.delayMs ?? 0);
    writing = now;
  });
  const onEvent = (e: WorkerEvent) => {
    if (e.event === 'started') {
      started = e;
      if (kill) {
        maxSettled = Math.min(e.settled + Math.ceil(kill.share * total), Math.floor(MAX_SHARE * total));
        // A snapshot-write kill that sees no write in time falls back to a plain timed one.
        timer = setTimeout(doKill, kill.kind === 'time' ? kill.delayMs : 3_000);
      }
    } else if (e.event === 'acked') {
      acked = Math.max(acked, e.settled);
      if (e.settled >= maxSettled) doKill();
    } else if (e.event === 'compacted') {
      compactions++;
    } else {
      completed = e;
    }
  };
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim() !== '') onEvent(JSON.parse(line) as WorkerEvent);
    }
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => (stderr += chunk));
  child.once('exit', () => {
    if (killed) killedInSnapshotWrite = existsSync(temp);
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    // 'close' comes after 'exit' and after stdout ended: every line the child wrote has been seen.
    child.once('close', (code) => {
      clearTimeout(overall);
      clearTimeout(timer);
      watcher.close();
      children.delete(child);
      const lockAfterKill = killed && existsSync(lockFile) ? readFileSync(lockFile, 'utf8') : undefined;
      resolve({ started, completed, acked, compactions, snapshotWrites: writes, killed, killedInSnapshotWrite, lockAfterKill, code, stderr });
    });
  });
}

/** What must be equal between the run the campaign left and the reference, for one job. */
function viewOf(job: Readonly<Job<CrashJC>>) {
  return {
    state: job.state,
    jc: job.jc,
    failed: job.failed === true,
    errors: job.errors,
    states: job.history.map((h) => h.state),
    key: job.key,
  };
}

/**
 * The view of a job parse gave up on, with its retries folded: consecutive repeats of a state
 * become one, and so do repeats of an error. The attempt count of a retry policy restarts from 1
 * when the process restarts (documented in RetryOptions.attempts), so a job whose attempts a kill
 * cut short makes more of them, each recorded as an error and a history entry.
 */
function foldedRetries(job: Readonly<Job<CrashJC>>) {
  const view = viewOf(job);
  const fold = (list: readonly string[]) => list.filter((item, i) => i === 0 || item !== list[i - 1]);
  return { ...view, errors: Object.fromEntries(Object.entries(view.errors).map(([state, list]) => [state, fold(list)])), states: fold(view.states) };
}

/**
 * Jobs by a name that does not depend on timing: the id, except for a shared-key child, whose id
 * names the parent that happened to kick the key first; that one goes by its key.
 */
function byStableName(run: Run<CrashOC, CrashJC>): Map<string, Readonly<Job<CrashJC>>> {
  const out = new Map<string, Readonly<Job<CrashJC>>>();
  for (const job of run.jobs.values()) {
    const name = job.key?.startsWith('shared:') ? job.key : job.id;
    expect(out.has(name), `two jobs go by ${name}`).toBe(false);
    out.set(name, job);
  }
  return out;
}

/**
 * Checks the run the campaign left against the reference, job by job; returns how many jobs made
 * more parse attempts than the reference (retry counts restart with the process).
 */
function expectSameRun(actual: Run<CrashOC, CrashJC>, reference: Run<CrashOC, CrashJC>): number {
  expect(actual.name).toBe(reference.name);
  expect(actual.oc).toEqual(reference.oc);
  expect(actual.jobs.size).toBe(reference.jobs.size);

  // No duplicate child: each kick key names one job.
  const keys = new Map<string, string>();
  for (const job of actual.jobs.values()) {
    if (job.key === undefined) continue;
    expect(keys.get(job.key), `key ${job.key} is on two jobs`).toBeUndefined();
    keys.set(job.key, job.id);
  }

  const want = byStableName(reference);
  const got = byStableName(actual);
  const missing = [...want.keys()].filter((name) => !got.has(name));
  const extra = [...got.keys()].filter((name) => !want.has(name));
  expect({ missing: missing.slice(0, 20), extra: extra.slice(0, 20) }).toEqual({ missing: [], extra: [] });

  const mismatches: string[] = [];
  let retriedMore = 0;
  for (const [name, ref] of want) {
    const job = got.get(name) as Readonly<Job<CrashJC>>;
    // Every transition recorded exactly once: state, context, failed mark, errors and history all equal,
    // except the extra attempts of a retry policy after a restart.
    const retried = ref.state === 'unparsable';
    const a = stableStringify(retried ? foldedRetries(job) : viewOf(job));
    const b = stableStringify(retried ? foldedRetries(ref) : viewOf(ref));
    if (a !== b) mismatches.push(`${name}: got ${a}, want ${b}`);
    if (retried) {
      const more = (job.errors['parse']?.length ?? 0) - (ref.errors['parse']?.length ?? 0);
      const moreEntries = job.history.length - ref.history.length;
      if (more < 0 || moreEntries !== more) mismatches.push(`${name}: ${more} more parse errors than the reference and ${moreEntries} more history entries`);
      if (more > 0) retriedMore++;
    }
    if (!name.startsWith('shared:')) {
      if (job.parentId !== ref.parentId) mismatches.push(`${name}: parent ${String(job.parentId)}, want ${String(ref.parentId)}`);
      continue;
    }
    // A shared-key child: its parent is one of the seeds that kick that key, and its id is that
    // parent's next kick index (the kicks before the shared one are all made, the seed-key one never).
    const parent = job.parentId === undefined ? undefined : actual.jobs.get(job.parentId);
    const kicks = parent ? parseKicks(parent.jc) : [];
    const at = kicks.findIndex((k) => k.key === job.key);
    const made = kicks.slice(0, at).filter((k) => k.key === undefined || k.key.startsWith('unique:')).length;
    if (parent === undefined || at === -1 || parent.state !== 'done' || job.id !== `${parent.id}->${made}`) {
      mismatches.push(`${name}: id ${job.id}, parent ${String(job.parentId)} is not a seed that kicks ${name} as its kick #${made}`);
    }
  }
  expect(mismatches.slice(0, 5), `${mismatches.length} jobs differ`).toEqual([]);
  return retriedMore;
}

describe('crash campaign: a run on a JsonlStore, SIGKILLed at random moments and restarted', () => {
  it(`ends exactly like an uninterrupted run, after ${KILLS} kills`, async () => {
    const began = Date.now();
    const seed = Number(process.env['CRASH_SEED'] ?? Math.floor(Math.random() * 2 ** 32));
    console.log(`crash campaign seed: ${seed} (replay with CRASH_SEED=${seed})`);
    const random = prng(seed);

    // The reference: the same workflow, in memory, never interrupted.
    const reference = newCrashRun();
    const refResult = await new Processor(crashWorkflow, { delay: false }).exec(reference);
    expect(refResult.outcome).toBe('complete');
    const total = reference.jobs.size;
    // The workflow exercises what it should: kicks with and without keys, shared keys, both kinds of error.
    const refJobs = [...reference.jobs.values()];
    expect(total).toBeGreaterThan(SEEDS * 2);
    expect(refJobs.filter((j) => j.key?.startsWith('shared:')).length).toBe(SHARED_KEYS);
    expect(refJobs.filter((j) => j.failed).length).toBeGreaterThan(10);
    expect(refJobs.filter((j) => !j.failed && Object.keys(j.errors).length > 0).length).toBeGreaterThan(100);
    expect(refJobs.some((j) => j.history.filter((h) => h.state === 'fetch').length === 3)).toBe(true); // the loop back to fetch
    const unparsable = refJobs.filter((j) => j.state === 'unparsable');
    expect(unparsable.length).toBeGreaterThan(5); // the retry policy, then its target
    expect(unparsable.every((j) => j.errors['parse']?.length === PARSE_ATTEMPTS)).toBe(true);

    const dir = mkdtempSync(join(tmpdir(), 'jorb-crash-'));
    dirs.push(dir);
    const file = join(dir, 'run.jsonl');
    const lockFile = `${file}.lock`;

    const lives: Life[] = [];
    const journal: string[] = [];
    let acknowledged = 0; // jobs some child said were terminal or failed, acknowledged by the store
    let kills = 0;
    let done: Life | undefined;
    try {
      for (let start = 0; start < MAX_STARTS && done === undefined; start++) {
        const remaining = DEADLINE_MS - (Date.now() - began);
        expect(remaining, 'the campaign ran out of time').toBeGreaterThan(0);
        const existed = existsSync(file);
        let plan: KillPlan | undefined;
        if (kills < KILLS && kills % SNAPSHOT_KILL_EVERY === SNAPSHOT_KILL_EVERY - 1) {
          plan = { kind: 'snapshot-write', nth: 1 + Math.floor(random() * 3), delayMs: Math.floor(random() * 12), share: SNAPSHOT_KILL_SHARE };
        } else if (kills < KILLS) {
          plan = { kind: 'time', delayMs: MIN_DELAY_MS + Math.floor(random() * (MAX_DELAY_MS - MIN_DELAY_MS)), share: TIME_KILL_SHARE };
        }
        const life = await runWorker(dir, plan, total, remaining);
        lives.push(life);
        journal.push(
          `  start #${start}: ${JSON.stringify(plan) ?? 'no kill'}; jobs settled ${String(life.started?.settled)} -> ${life.acked}; ` +
            `${life.snapshotWrites} snapshot writes; ${life.killed ? (life.killedInSnapshotWrite ? 'killed in a snapshot write' : 'killed') : `exited ${String(life.code)}`}`,
        );
        const where = `start #${start} (plan ${JSON.stringify(plan)}): `;
        expect(life.started, `${where}never said "started"; stderr:\n${life.stderr}`).toBeDefined();
        const started = life.started as NonNullable<Life['started']>;
        // Once the snapshot exists it is always there, whole: the run is resumed, never started over.
        expect(started.resumed, `${where}resumed`).toBe(existed);
        // Everything acknowledged before a kill is still there after it.
        expect(started.settled, `${where}jobs settled at load vs acknowledged before the kill`).toBeGreaterThanOrEqual(acknowledged);
        acknowledged = Math.max(acknowledged, life.acked);
        if (life.completed) {
          done = life;
          break;
        }
        expect(life.killed, `${where}exited with code ${String(life.code)} without being killed; stderr:\n${life.stderr}`).toBe(true);
        kills++;
        // The killed child held the lock and left it behind: the next start must take it over.
        expect(life.lockAfterKill, `${where}lock file after the kill`).toBeDefined();
        expect((JSON.parse(life.lockAfterKill as string) as { pid: number }).pid).toBe(started.pid);
      }
    } finally {
      console.log(`crash campaign seed ${seed}, what each start of the child did:\n${journal.join('\n')}`);
    }

    // Compactions during the run: the ones the child reported after the fact, or, more, the snapshot
    // writes seen beyond its start checkpoint (and the two at the end of a completed run).
    const compactions = lives.reduce((sum, l) => sum + Math.max(l.compactions, l.snapshotWrites - 1 - (l.completed ? 2 : 0)), 0);
    const inSnapshotWrite = lives.filter((l) => l.killedInSnapshotWrite).length;
    const leftovers = readdirSync(dir).filter((name) => name.endsWith('.tmp'));
    console.log(
      `crash campaign seed ${seed}: ${kills} kills (${inSnapshotWrite} in the middle of a snapshot write), ${lives.length} starts, ` +
        `${compactions} compactions begun while running, ${total} jobs, ${leftovers.length} temp files left behind, ${Date.now() - began} ms`,
    );
    expect(done, `no run completed in ${MAX_STARTS} starts`).toBeDefined();
    expect(kills).toBeGreaterThanOrEqual(10);
    expect(compactions).toBeGreaterThan(0);
    expect(done?.completed?.outcome).toBe('complete');
    expect(done?.code).toBe(0);
    // close() compacted the log away and released the lock.
    expect(existsSync(`${file}.log`)).toBe(false);
    expect(existsSync(lockFile)).toBe(false);

    const store = new JsonlStore<CrashOC, CrashJC>(file);
    try {
      const final = await store.load();
      if (final === undefined) throw new Error(`${file} holds no run`);
      const retriedMore = expectSameRun(final, reference);
      console.log(`crash campaign seed ${seed}: the final run equals the reference; ${retriedMore} of ${unparsable.length} jobs parse gave up on made extra attempts after a restart`);
    } finally {
      await store.close();
    }
  });

  it('a snapshot write cut short by kill -9 leaves no temp file behind once the run has run again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jorb-crash-temp-'));
    dirs.push(dir);
    const began = Date.now();
    const remaining = () => DEADLINE_MS - (Date.now() - began);
    // A run under way, so the next start has a whole snapshot to write at its first checkpoint.
    const first = await runWorker(dir, { kind: 'time', delayMs: 400, share: 1 }, Infinity, remaining());
    expect(first.killed && first.completed === undefined, first.stderr).toBe(true);
    // Killed just after its first snapshot write began; again if the write was done before the kill landed.
    let cut = first.killedInSnapshotWrite ? 1 : 0;
    for (let attempt = 0; attempt < 5 && cut === 0; attempt++) {
      const life = await runWorker(dir, { kind: 'snapshot-write', nth: 1, delayMs: 0, share: 1 }, Infinity, remaining());
      expect(life.completed, life.stderr).toBeUndefined();
      if (life.killedInSnapshotWrite) cut++;
    }
    expect(cut, 'a kill landed in the middle of a snapshot write').toBe(1);
    const temps = () => readdirSync(dir).filter((name) => name.endsWith('.tmp'));
    expect(temps().length).toBeGreaterThan(0); // what the killed writer left

    const last = await runWorker(dir, undefined, Infinity, remaining());
    expect(last.completed?.outcome, last.stderr).toBe('complete');
    // Holding the run's lock, the store knows no one else writes its snapshot: a temp file beside it
    // is a dead writer's, and a crash-looping process must not fill the disk with them.
    expect(temps()).toEqual([]);
  });
});
