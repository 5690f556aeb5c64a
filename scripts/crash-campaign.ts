// The crash campaign behind `npm run crash` (scripts/crash.ts) and test/crash-campaign.test.ts:
// child processes (test/support/crash-worker.ts) run the crash workflow (fast and slow execs, kicks
// with and without keys, retries, a small compactAfterBytes) on a JsonlStore and are SIGKILLed at
// moments chosen by a seeded schedule, then started again, until each run completes. Some rounds run
// in a small tmpfs that is then filled, so appends and compactions hit ENOSPC; some starts are two
// processes racing for the run. Then every run is checked against an uninterrupted in-memory
// reference run of the same workflow and against what the children said was acknowledged.
//
// What decides a kill is a count, never a clock: "once N transitions of the run were acknowledged",
// "right after load", "in the middle of the nth snapshot write" (the child stops that write half-way
// and waits). Where the kill lands after that is up to the scheduler, and every check holds
// whatever the moment. One kind of kill is timed on purpose ("during start-up", a seeded delay
// after spawn, wherever it falls: before the lock, in load, in the start checkpoint).
//
// The schedule of a round is drawn from prng(seed, round) before it starts, so a seed replays.
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { appendFileSync, closeSync, cpSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statfsSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import stableStringify from 'fast-json-stable-stringify';
import { type Job, JsonlStore, Processor, type Run } from '../src/index.js';
import {
  type CrashJC,
  type CrashOC,
  crashWorkflow,
  isSettled,
  newCrashRun,
  parseKicks,
  progressOf,
  referenceAc,
  selfCheck,
  stableName,
  untagged,
} from '../test/support/crash-workflow.js';
import { prng } from './prng.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORKER = fileURLToPath(new URL('../test/support/crash-worker.ts', import.meta.url));
const PAGE = 4096;

/** Options of {@link runCampaign}. */
export interface CampaignOptions {
  /** SIGKILLs in all. */
  readonly kills: number;
  readonly seed: number;
  /** Seed jobs of each run (it grows to about 2.2 times as many jobs). */
  readonly jobs: number;
  /** Receives the campaign's lines (round summaries; one per start with `verbose`). */
  readonly log?: (line: string) => void;
  readonly verbose?: boolean;
  /** Checker self-test: the children acknowledge batches without writing them; the campaign must fail. */
  readonly sabotage?: boolean;
  /** One start of a child, at most (a hang is a failure). */
  readonly lifeTimeoutMs?: number;
  /** Do not mount a tmpfs even if permitted: what a user without the right to mount gets. */
  readonly noMount?: boolean;
}

export type KillKind = 'acks' | 'snapshot' | 'loaded' | 'startup';

export interface Stat {
  n: number;
  mean: number;
  max: number;
}

/** Everything the campaign measured; the last line of `npm run crash` is this as JSON. */
export interface CampaignFigures {
  seed: number;
  jobsPerRun: number;
  kills: number;
  killsBy: Record<KillKind, number>;
  killedInSnapshotWrite: number;
  rounds: number;
  starts: number;
  jobsChecked: number;
  acknowledgedChecked: number;
  lostJobs: number;
  duplicateChildren: number;
  appliedTwice: number;
  notSettled: number;
  differFromReference: number;
  settledBelowAcknowledged: number;
  retriedMoreAfterRestart: number;
  /** Restart (spawn) to the first acknowledged transition. */
  resumeMs: Stat;
  /** Of which: node and tsx starting up (spawn to the worker's first line)… */
  startupMs: Stat;
  /** …`store.load()` itself… */
  loadMs: Stat;
  /** …and from load done to the first acknowledged transition (start checkpoint, execs, a group commit). */
  firstTransitionMs: Stat;
  lockRaces: { races: number; won: number; refused: number; sequential: number; heldTwice: number };
  fullDisk: {
    method: string;
    rounds: number;
    stopped: number;
    enospcOn: { load: number; checkpoint: number; append: number; compaction: number; close: number };
    otherErrors: number;
    resumedAndFinished: number;
    skipped?: string;
  };
  compactions: number;
  tempFilesLeft: number;
  lockCandidatesLeft: number;
  durationMs: number;
}

export interface CampaignResult {
  readonly passed: boolean;
  readonly failures: readonly string[];
  readonly figures: CampaignFigures;
  /** The command that replays this campaign. */
  readonly replay: string;
}

/** Stopped the campaign: the state of the run can no longer be trusted to say more. */
class Fatal extends Error {}

// ---------------------------------------------------------------------------------------------
// The schedule

interface KillPlan {
  readonly kind: KillKind;
  /** Kill once this share of the reference run's transitions was acknowledged (acks, snapshot). */
  readonly point: number;
  /** startup: after this many ms from spawn. */
  readonly delayMs: number;
}

interface DiskPlan {
  /** Fill the disk before the start that makes this kill (0: before the run's first start). */
  readonly atKill: number;
  /** Remount the tmpfs smaller (then bigger again), or write a filler file (then remove it). */
  readonly variant: 'remount' | 'filler';
  /** The space left, as a share of the snapshot: less than any snapshot the run writes next. */
  readonly leaveShare: number;
  /** Starts on the full disk, each of which must fail. */
  readonly fullStarts: number;
}

interface RoundPlan {
  readonly index: number;
  readonly salt: number;
  readonly compactAfterBytes: number;
  readonly kills: readonly KillPlan[];
  /** The start that makes this kill (or, at kills.length, the last start) is two processes racing. */
  readonly raceAt: number;
  readonly disk: DiskPlan | undefined;
}

function planRound(seed: number, index: number, quota: number, disk: boolean): RoundPlan {
  const random = prng((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const salt = int(1, 10_000);
  const compactAfterBytes = [4 << 10, 16 << 10, 64 << 10][int(0, 2)] as number;
  const raceAt = int(0, quota);
  const points = Array.from({ length: quota }, () => 0.02 + random() * 0.88).sort((a, b) => a - b);
  const kills = points.map((point, i): KillPlan => {
    const r = random();
    const delayMs = int(0, 600);
    let kind: KillKind = r < 0.55 ? 'acks' : r < 0.78 ? 'snapshot' : r < 0.9 ? 'loaded' : 'startup';
    if (kind === 'startup' && i === raceAt) kind = 'loaded'; // racers start together, on a go
    return { kind, point, delayMs };
  });
  const diskPlan: DiskPlan = { atKill: int(0, Math.min(quota, 2)), variant: random() < 0.5 ? 'remount' : 'filler', leaveShare: 0.2 + random() * 0.75, fullStarts: int(1, 2) };
  return { index, salt, compactAfterBytes, kills, raceAt, disk: disk ? diskPlan : undefined };
}

// ---------------------------------------------------------------------------------------------
// A child process

/** A line of the worker's stdout (test/support/crash-worker.ts). */
export type Event =
  | { e: 'ready'; pid: number }
  | { e: 'loaded'; pid: number; resumed: boolean; jobs: number; settled: number; loadMs: number }
  | { e: 'locked'; message: string }
  | { e: 'checkpointed'; jobs: number }
  | { e: 'ack'; r: [string, number, string[]?][] }
  | { e: 'settled'; n: number }
  | { e: 'compacted' }
  | { e: 'warning'; message: string }
  | { e: 'stalled'; bytes: number }
  | { e: 'closing' }
  | { e: 'failed'; stage: 'load' | 'exec' | 'close'; message: string; code?: string }
  | { e: 'completed'; outcome: string; transitions: number; failed: number };

/** One child process, as the campaign saw it. */
export interface Life {
  readonly pid: number;
  readonly spawnedAt: number;
  readonly existedAtSpawn: boolean;
  readyAt?: number;
  checkpointed: boolean;
  loaded?: Extract<Event, { e: 'loaded' }> & { at: number };
  firstAckAt?: number;
  locked?: string;
  readonly failures: Extract<Event, { e: 'failed' }>[];
  completed?: Extract<Event, { e: 'completed' }>;
  readonly warnings: string[];
  compactions: number;
  stalled: boolean;
  closing: boolean;
  maxSettled: number;
  acked: number;
  killed: boolean;
  killedInSnapshotWrite: boolean;
  lockAfterKill: string | undefined;
  code: number | null;
  signal: string | null;
  stderr: string;
  timedOut: boolean;
}

export interface Worker {
  readonly life: Life;
  readonly closed: Promise<void>;
  kill(): void;
}

const live = new Set<Worker>();

/** Starts a worker on `file`; `onEvent` sees each line it writes; killed after `timeoutMs` at the latest. */
export function spawnWorker(file: string, args: readonly string[], timeoutMs: number, onEvent: (w: Worker, e: Event) => void): Worker {
  const existedAtSpawn = existsSync(file);
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, file, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const life: Life = {
    pid: child.pid ?? -1,
    spawnedAt: performance.now(),
    existedAtSpawn,
    checkpointed: false,
    failures: [],
    warnings: [],
    compactions: 0,
    stalled: false,
    closing: false,
    maxSettled: 0,
    acked: 0,
    killed: false,
    killedInSnapshotWrite: false,
    lockAfterKill: undefined,
    code: null,
    signal: null,
    stderr: '',
    timedOut: false,
  };
  const temp = join(file, '..', `.run.jsonl.${life.pid}.tmp`);
  let buffered = '';
  const worker: Worker = {
    life,
    closed: new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', () => {
        if (life.killed) life.killedInSnapshotWrite = existsSync(temp);
      });
      // 'close' comes after 'exit' and after stdout ended: every line the child wrote has been seen.
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        live.delete(worker);
        life.code = code;
        life.signal = signal;
        if (life.killed && existsSync(`${file}.lock`)) life.lockAfterKill = readFileSync(`${file}.lock`, 'utf8');
        resolve();
      });
    }),
    kill() {
      if (life.killed || child.exitCode !== null || child.signalCode !== null) return;
      life.killed = true;
      child.kill('SIGKILL');
    },
  };
  live.add(worker);
  const timer = setTimeout(() => {
    life.timedOut = true;
    worker.kill();
  }, timeoutMs);
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim() === '') continue;
      let event: Event;
      try {
        event = JSON.parse(line) as Event;
      } catch {
        life.stderr += `[stdout] ${line}\n`;
        continue;
      }
      record(life, event);
      onEvent(worker, event);
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (life.stderr += chunk));
  return worker;
}

function record(life: Life, e: Event): void {
  switch (e.e) {
    case 'ready':
      life.readyAt = performance.now();
      break;
    case 'loaded':
      life.loaded = { ...e, at: performance.now() };
      break;
    case 'locked':
      life.locked = e.message;
      break;
    case 'checkpointed':
      life.checkpointed = true;
      break;
    case 'ack':
      life.firstAckAt ??= performance.now();
      life.acked += e.r.length;
      break;
    case 'settled':
      life.maxSettled = Math.max(life.maxSettled, e.n);
      break;
    case 'compacted':
      life.compactions++;
      break;
    case 'warning':
      life.warnings.push(e.message);
      break;
    case 'stalled':
      life.stalled = true;
      break;
    case 'closing':
      life.closing = true;
      break;
    case 'failed':
      life.failures.push(e);
      break;
    case 'completed':
      life.completed = e;
      break;
    default:
      break;
  }
}

/** Kills every child still running (the campaign is ending, normally or not). */
export async function stopAllWorkers(): Promise<void> {
  const workers = [...live];
  for (const w of workers) w.kill();
  await Promise.all(workers.map((w) => w.closed.catch(() => undefined)));
}

type Outcome = 'killed' | 'completed' | 'locked' | 'failed' | 'crashed';

function outcomeOf(life: Life): Outcome {
  if (life.timedOut) return 'crashed';
  if (life.code === 0 && life.completed) return 'completed';
  if (life.killed && life.signal === 'SIGKILL') return 'killed';
  if (life.code === 3 && life.locked !== undefined) return 'locked';
  if (life.code === 1 && life.failures.length > 0) return 'failed';
  return 'crashed';
}

// ---------------------------------------------------------------------------------------------
// Disks

interface Disk {
  readonly dir: string;
  /** How the disk is made full: a tmpfs of our own, or a filler file in an existing small tmpfs. */
  readonly method: 'tmpfs' | 'filler';
  readonly mounted: boolean;
  readonly bigBytes: number;
}

const mounted = new Set<string>();
let exitHook = false;

function unmount(dir: string): void {
  if (!mounted.has(dir)) return;
  try {
    execFileSync('umount', [dir], { stdio: 'pipe' });
  } catch {
    execFileSync('umount', ['-l', dir], { stdio: 'pipe' }); // busy: detach now, freed when the last user goes
  }
  mounted.delete(dir);
}

/** Unmounts every tmpfs the campaign mounted; also on the way out of the process, whatever happened. */
export function unmountAll(): void {
  for (const dir of [...mounted]) {
    try {
      unmount(dir);
    } catch {
      // nothing more to do: reported by the caller if it matters
    }
  }
}

function kib(bytes: number): string {
  return `${Math.ceil(bytes / 1024)}k`;
}

/** A tmpfs mounted on a new directory; undefined (with the reason) when mount is not permitted. */
function mountTmpfs(bytes: number): { dir: string } | { error: string } {
  const dir = mkdtempSync(join(tmpdir(), 'jorb-crash-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kib(bytes)}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return { error: stderr || (error instanceof Error ? error.message : String(error)) };
  }
  mounted.add(dir);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', unmountAll);
  }
  return { dir };
}

/** The fallback without mount: an existing tmpfs small enough to fill with a file (/dev/shm), if any. */
function smallTmpfs(limit: number): string | undefined {
  const shm = '/dev/shm';
  try {
    const fs = statfsSync(shm);
    const TMPFS_MAGIC = 0x01021994;
    if (fs.type === TMPFS_MAGIC && fs.bavail * fs.bsize <= limit) return mkdtempSync(join(shm, 'jorb-crash-'));
  } catch {
    // no /dev/shm
  }
  return undefined;
}

function usedBytes(dir: string): number {
  const fs = statfsSync(dir);
  return (fs.blocks - fs.bfree) * fs.bsize;
}

function availableBytes(dir: string): number {
  const fs = statfsSync(dir);
  return fs.bavail * fs.bsize;
}

function writeFiller(path: string, bytes: number): void {
  const fd = openSync(path, 'w');
  try {
    const chunk = Buffer.alloc(1 << 20);
    for (let left = bytes; left > 0; left -= chunk.length) writeSync(fd, chunk, 0, Math.min(left, chunk.length));
  } finally {
    closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------
// The checks

/** What the children said was durable in one round. */
class Acknowledged {
  /** Job id → transitions applied to it, as of its latest acknowledged one. */
  readonly progress = new Map<string, number>();
  /** Kicked children whose kick was acknowledged. */
  readonly kids = new Set<string>();
  /** Jobs in the run once its start checkpoint was acknowledged. */
  jobs = 0;
  /** Transitions acknowledged in the round (all starts). */
  transitions = 0;
  /** Most jobs terminal or failed, as acknowledged. */
  settled = 0;

  note(e: Extract<Event, { e: 'ack' }>): void {
    for (const [id, progress, kids] of e.r) {
      if ((this.progress.get(id) ?? 0) < progress) this.progress.set(id, progress);
      for (const kid of kids ?? []) this.kids.add(kid);
    }
    this.transitions += e.r.length;
  }
}

/** A job lost: its id, and how. */
type Lost = readonly [id: string, how: string];

/** Every acknowledged transition and kick is in the run (as it is on disk). */
function missingAcknowledged(run: Run<CrashOC, CrashJC> | undefined, acked: Acknowledged): Lost[] {
  const lost: Lost[] = [];
  const jobs = run?.jobs ?? new Map<string, Job<CrashJC>>();
  for (const [id, progress] of acked.progress) {
    const job = jobs.get(id);
    if (job === undefined) lost.push([id, 'acknowledged, not on disk']);
    else if (progressOf(job) < progress) lost.push([id, `${progress} transitions acknowledged, ${progressOf(job)} on disk`]);
  }
  for (const id of acked.kids) if (!jobs.has(id)) lost.push([id, 'its kick was acknowledged, not on disk']);
  if (jobs.size < acked.jobs) lost.push(['(checkpoint)', `${acked.jobs} jobs were checkpointed, ${jobs.size} on disk`]);
  return lost;
}

async function readRun(file: string): Promise<{ run: Run<CrashOC, CrashJC> | undefined; warnings: string[] }> {
  const warnings: string[] = [];
  const store = new JsonlStore<CrashOC, CrashJC>(file, { readOnly: true, onWarning: (m) => warnings.push(m) });
  try {
    return { run: await store.load(crashWorkflow), warnings };
  } finally {
    await store.close();
  }
}

/** What must be equal between the run the campaign left and the reference, for one job. */
function viewOf(job: Readonly<Job<CrashJC>>, fold: boolean) {
  const folded = (list: readonly string[]) => (fold ? list.filter((item, i) => i === 0 || item !== list[i - 1]) : list);
  return {
    state: job.state,
    jc: job.jc,
    failed: job.failed === true,
    errors: Object.fromEntries(Object.entries(job.errors).map(([state, list]) => [state, folded(list.map(untagged))])),
    states: folded(job.history.map((h) => h.state)),
    key: job.key,
  };
}

interface Comparison {
  lost: Lost[];
  duplicates: string[];
  appliedTwice: string[];
  notSettled: string[];
  differ: string[];
  retriedMore: number;
}

/**
 * The run the campaign left against the uninterrupted reference: the same jobs by stable name, no
 * name or key on two jobs, each job's transitions recorded once (its own counters, and the same
 * state, context, errors and history as the reference, with parse's extra retries after a restart
 * folded), every job settled.
 */
function compareWithReference(actual: Run<CrashOC, CrashJC>, reference: Run<CrashOC, CrashJC>): Comparison {
  const out: Comparison = { lost: [], duplicates: [], appliedTwice: [], notSettled: [], differ: [], retriedMore: 0 };
  const seeds = reference.oc.seeds;
  const got = new Map<string, Readonly<Job<CrashJC>>>();
  const keys = new Map<string, string>();
  for (const job of actual.jobs.values()) {
    const name = stableName(job);
    const twin = got.get(name);
    if (twin !== undefined) out.duplicates.push(`${name} is both ${twin.id} and ${job.id}`);
    else got.set(name, job);
    if (job.key !== undefined) {
      const other = keys.get(job.key);
      if (other !== undefined && twin === undefined) out.duplicates.push(`key ${job.key} is on ${other} and ${job.id}`);
      keys.set(job.key, job.id);
    }
    if (job.parentId !== undefined && !job.id.startsWith(`${job.parentId}->`)) out.differ.push(`${job.id}: a kick id that does not name its parent ${job.parentId}`);
    const problem = selfCheck(job);
    if (problem !== undefined) out.appliedTwice.push(`${job.id} (${name}): ${problem}`);
    if (!isSettled(job)) out.notSettled.push(`${job.id} (${name}) in ${job.state}`);
  }
  const want = new Map<string, Readonly<Job<CrashJC>>>();
  for (const job of reference.jobs.values()) want.set(stableName(job), job);
  for (const [name, ref] of want) if (!got.has(name)) out.lost.push([`${ref.id} (${name})`, 'in the reference run, not in this one']);
  for (const name of got.keys()) if (!want.has(name)) out.duplicates.push(`${name}: a job the reference run does not have`);

  for (const [name, ref] of want) {
    const job = got.get(name);
    if (job === undefined) continue;
    // parse's retry policy restarts its count with the process: fold repeats where parse gave up.
    const retried = ref.state === 'unparsable';
    const a = stableStringify(viewOf(job, retried));
    const b = stableStringify(viewOf(ref, retried));
    if (a !== b) out.differ.push(`${name}: got ${a}, want ${b}`);
    if (retried && job.history.length > ref.history.length) out.retriedMore++;
    if (job.jc.kind !== 'shared') {
      if (job.parentId !== ref.parentId) out.differ.push(`${name}: parent ${String(job.parentId)}, want ${String(ref.parentId)}`);
      if (job.parentId !== undefined && job.id !== ref.id) out.differ.push(`${name}: id ${job.id}, want ${ref.id}`);
      continue;
    }
    // A shared-key child: its parent is one of the seeds that kick that key, and its id is that
    // parent's next kick index (the kicks before the shared one are all made, the seed-key one never).
    const parent = job.parentId === undefined ? undefined : actual.jobs.get(job.parentId);
    const kicks = parent ? parseKicks(parent.jc, seeds) : [];
    const at = kicks.findIndex((k) => k.key === job.key);
    const made = kicks.slice(0, at).filter((k) => k.key === undefined || k.key.startsWith('unique:')).length;
    if (parent === undefined || at === -1 || parent.state !== 'done' || job.id !== `${parent.id}->${made}`) {
      out.differ.push(`${name}: id ${job.id}, parent ${String(job.parentId)} is not a seed that kicks ${String(job.key)} as its kick #${made}`);
    }
  }
  return out;
}

/** Two processes holding the run at once, as their holder lines show (`+pid`, `a pid`, `-pid`; `x pid`: the campaign saw it gone). */
export function heldTwice(text: string): string[] {
  const problems: string[] = [];
  let holder: string | undefined;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const pid = line.slice(line[0] === '+' || line[0] === '-' ? 1 : 2);
    if (line[0] === '+') {
      if (holder !== undefined) problems.push(`process ${pid} took the run while process ${holder} held it`);
      holder = pid;
    } else if (line[0] === 'a') {
      if (holder !== pid) problems.push(`process ${pid} wrote to the run while ${holder === undefined ? 'no process' : `process ${holder}`} held it`);
    } else if (holder === pid) {
      holder = undefined;
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// The campaign

function stat(values: readonly number[]): Stat {
  if (values.length === 0) return { n: 0, mean: 0, max: 0 };
  const sum = values.reduce((a, b) => a + b, 0);
  return { n: values.length, mean: Math.round(sum / values.length), max: Math.round(Math.max(...values)) };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isEnospc(f: { message: string; code?: string }): boolean {
  return f.code === 'ENOSPC' || /ENOSPC|no space left/i.test(f.message);
}

const KILLS_PER_ROUND: readonly [number, number] = [10, 18];

/** Runs a campaign; resolves with its figures and failures (it never throws for a failed check). */
export async function runCampaign(options: CampaignOptions): Promise<CampaignResult> {
  const began = performance.now();
  const log = options.log ?? (() => undefined);
  const lifeTimeoutMs = options.lifeTimeoutMs ?? 60_000;
  const replay = `npm run crash -- --kills ${options.kills} --seed ${options.seed} --jobs ${options.jobs}${options.noMount ? ' --no-mount' : ''}${options.sabotage ? ' --sabotage' : ''}`;
  const failures: string[] = [];
  const killsBy: Record<KillKind, number> = { acks: 0, snapshot: 0, loaded: 0, startup: 0 };
  const resumes: number[] = [];
  const startups: number[] = [];
  const loads: number[] = [];
  const firstTransitions: number[] = [];
  const f: CampaignFigures = {
    seed: options.seed,
    jobsPerRun: options.jobs,
    kills: 0,
    killsBy,
    killedInSnapshotWrite: 0,
    rounds: 0,
    starts: 0,
    jobsChecked: 0,
    acknowledgedChecked: 0,
    lostJobs: 0,
    duplicateChildren: 0,
    appliedTwice: 0,
    notSettled: 0,
    differFromReference: 0,
    settledBelowAcknowledged: 0,
    retriedMoreAfterRestart: 0,
    resumeMs: stat([]),
    startupMs: stat([]),
    loadMs: stat([]),
    firstTransitionMs: stat([]),
    lockRaces: { races: 0, won: 0, refused: 0, sequential: 0, heldTwice: 0 },
    fullDisk: { method: 'none', rounds: 0, stopped: 0, enospcOn: { load: 0, checkpoint: 0, append: 0, compaction: 0, close: 0 }, otherErrors: 0, resumedAndFinished: 0 },
    compactions: 0,
    tempFilesLeft: 0,
    lockCandidatesLeft: 0,
    durationMs: 0,
  };

  // Mount permitted? Decided once, said once.
  let diskMethod: 'tmpfs' | 'filler' | undefined;
  let diskSkipped: string | undefined;
  const probe = options.noMount ? { error: 'not tried: --no-mount' } : mountTmpfs(PAGE * 16);
  if ('dir' in probe) {
    unmount(probe.dir);
    rmSync(probe.dir, { recursive: true, force: true });
    diskMethod = 'tmpfs';
  } else {
    const shm = smallTmpfs(2 << 30);
    if (shm !== undefined) {
      rmSync(shm, { recursive: true, force: true });
      diskMethod = 'filler';
      log(`full disk: cannot mount a tmpfs (${probe.error}); falling back to a filler file in /dev/shm`);
    } else {
      diskSkipped = `cannot mount a tmpfs (${probe.error}) and there is no tmpfs small enough to fill (/dev/shm, at most 2 GiB free)`;
      log(`full disk: SKIPPED: ${diskSkipped}`);
    }
  }
  f.fullDisk.method = diskMethod === 'tmpfs' ? 'tmpfs (mount -t tmpfs; remount smaller, or a filler file)' : diskMethod === 'filler' ? 'filler file in /dev/shm (cannot mount)' : 'skipped';
  if (diskSkipped !== undefined) f.fullDisk.skipped = diskSkipped;

  let diskDone = diskMethod === undefined;
  let raceDone = false;
  let fatal = false;
  try {
    for (let index = 0; !fatal && (f.kills < options.kills || !diskDone || !raceDone); index++) {
      if (index > options.kills + 10) {
        failures.push(`${index} rounds and still not ${options.kills} kills: runs keep completing before their kills`);
        break;
      }
      const [lo, hi] = KILLS_PER_ROUND;
      const left = options.kills - f.kills;
      const quota = Math.min(left, lo + (((options.seed >>> 0) + index * 7) % (hi - lo + 1)));
      // Every third run is on a full disk, and at least one whatever the number of kills.
      const plan = planRound(options.seed, index, quota, diskMethod !== undefined && (index % 3 === 0 || (!diskDone && left <= quota)));
      try {
        await runRound(plan);
      } catch (error) {
        if (!(error instanceof Fatal)) throw error;
        failures.push(error.message);
        fatal = true;
      }
    }
  } finally {
    await stopAllWorkers();
    unmountAll();
  }
  if (!fatal) {
    if (!raceDone) failures.push('no lock race was run');
    if (!diskDone) failures.push('no full-disk round was run to completion');
    else if (diskSkipped === undefined && f.fullDisk.stopped === 0) failures.push('no process was stopped by a full disk');
  }
  f.resumeMs = stat(resumes);
  f.startupMs = stat(startups);
  f.loadMs = stat(loads);
  f.firstTransitionMs = stat(firstTransitions);
  f.durationMs = Math.round(performance.now() - began);
  return { passed: failures.length === 0, failures, figures: f, replay };

  async function runRound(plan: RoundPlan): Promise<void> {
    const roundBegan = performance.now();
    const tag = `round ${plan.index}`;
    const fail = (message: string) => failures.push(`${tag}: ${message}`);
    f.rounds++;

    // The reference: the same workflow, in memory, never interrupted; and the sizes of its files.
    const reference = newCrashRun(options.jobs, plan.salt);
    const refResult = await new Processor(crashWorkflow, referenceAc()).exec(reference);
    if (refResult.outcome !== 'complete') throw new Fatal(`${tag}: the reference run did not complete`);
    const totalTransitions = refResult.transitions;
    const scratch = mkdtempSync(join(tmpdir(), 'jorb-crash-ref-'));
    const sizeOfRun = async (run: Run<CrashOC, CrashJC>, name: string) => {
      const store = new JsonlStore<CrashOC, CrashJC>(join(scratch, name), { fsync: false });
      await store.checkpoint(run);
      await store.close();
      return statSync(join(scratch, name)).size;
    };
    const initialBytes = await sizeOfRun(newCrashRun(options.jobs, plan.salt), 'initial.jsonl');
    const finalBytes = await sizeOfRun(reference, 'final.jsonl');
    rmSync(scratch, { recursive: true, force: true });

    // Where the run lives: a directory on the ordinary disk, or a tmpfs of our own for a disk round.
    const meta = mkdtempSync(join(tmpdir(), 'jorb-crash-meta-'));
    const holders = join(meta, 'holders');
    writeFileSync(holders, '');
    let disk: Disk | undefined;
    let dir: string;
    if (plan.disk && diskMethod !== undefined) {
      const bigBytes = Math.max(64 << 20, Math.ceil((8 * finalBytes) / (1 << 20)) << 20);
      if (diskMethod === 'tmpfs') {
        const m = mountTmpfs(bigBytes);
        if ('error' in m) throw new Fatal(`${tag}: mount failed: ${m.error}`);
        disk = { dir: m.dir, method: 'tmpfs', mounted: true, bigBytes };
      } else {
        const shm = smallTmpfs(2 << 30);
        if (shm === undefined) throw new Fatal(`${tag}: /dev/shm is gone`);
        disk = { dir: shm, method: 'filler', mounted: false, bigBytes };
      }
      dir = disk.dir;
    } else {
      dir = mkdtempSync(join(tmpdir(), 'jorb-crash-'));
    }
    const file = join(dir, 'run.jsonl');
    const acked = new Acknowledged();
    const lostHere = new Set<string>();
    const killsHere: Record<KillKind, number> = { acks: 0, snapshot: 0, loaded: 0, startup: 0 };
    let raceHere = 0;
    let start = 0;
    let killIndex = 0;
    const diskNotes: string[] = [];
    const journal: string[] = [];
    const baseArgs = ['--seeds', String(options.jobs), '--salt', String(plan.salt), '--compact-after', String(plan.compactAfterBytes), '--holders', holders, ...(options.sabotage ? ['--sabotage'] : [])];

    /** After every start: what was acknowledged is on disk, and the run loads. */
    const checkDurable = async (where: string): Promise<Run<CrashOC, CrashJC> | undefined> => {
      if (!existsSync(file) && !existsSync(`${file}.log`) && acked.jobs === 0) return undefined;
      let run: Run<CrashOC, CrashJC> | undefined;
      try {
        run = (await readRun(file)).run;
      } catch (error) {
        throw new Fatal(`${tag}, ${where}: the run does not load: ${describe(error)}`);
      }
      const lost = missingAcknowledged(run, acked);
      f.acknowledgedChecked += acked.progress.size + acked.kids.size;
      const fresh = lost.filter(([id]) => !lostHere.has(id));
      for (const [id] of lost) lostHere.add(id);
      if (fresh.length > 0) fail(`${where}: ${fresh.length} acknowledged jobs or transitions are not on disk: ${fresh.slice(0, 5).map(([id, how]) => `${id}: ${how}`).join('; ')}`);
      return run;
    };

    /** One start: one worker, or two racing for the run; killed as the plan says. */
    const runStart = async (kill: KillPlan | undefined, race: boolean, full: boolean): Promise<Outcome> => {
      const where = `start #${start}${race ? ' (race)' : ''}${full ? ' (full disk)' : ''}`;
      start++;
      f.starts += race ? 2 : 1;
      const threshold = kill ? Math.ceil(kill.point * totalTransitions) : Infinity;
      const stallAfter = kill?.kind === 'snapshot' ? Math.max(0, threshold - acked.transitions) : undefined;
      const args = [...baseArgs, ...(stallAfter === undefined ? [] : ['--stall-snapshot', String(stallAfter)])];
      const go = join(meta, `go-${start}`);
      const workers: Worker[] = [];
      let armed = !race;
      let holder: Worker | undefined;
      let ready = 0;
      const maybeKill = () => {
        if (!armed || kill === undefined || holder === undefined) return;
        const life = holder.life;
        if (kill.kind === 'loaded' && life.loaded) holder.kill();
        else if (kill.kind === 'acks' && acked.transitions >= threshold && life.acked > 0) holder.kill();
        else if (kill.kind === 'snapshot' && life.stalled) holder.kill();
      };
      const onEvent = (w: Worker, e: Event) => {
        if (e.e === 'ready' && race && ++ready === 2) writeFileSync(go, '');
        if (e.e === 'loaded') {
          holder ??= w;
          if (e.settled < acked.settled) {
            f.settledBelowAcknowledged++;
            fail(`${where}: loaded with ${e.settled} jobs settled, ${acked.settled} were acknowledged settled`);
          }
        }
        if (e.e === 'checkpointed') acked.jobs = Math.max(acked.jobs, e.jobs);
        if (e.e === 'ack') acked.note(e);
        maybeKill();
      };
      const spawnOne = () => spawnWorker(file, race ? [...args, '--go', go] : args, lifeTimeoutMs, onEvent);
      workers.push(spawnOne());
      if (race) workers.push(spawnOne());
      if (kill?.kind === 'startup') {
        const [only] = workers;
        setTimeout(() => only?.kill(), kill.delayMs);
      }
      if (race) {
        // The kill waits for the race to be decided: the loser must have been refused first.
        void Promise.race(workers.map((w) => w.closed.then(() => w))).then(() => {
          armed = true;
          maybeKill();
        });
      }
      await Promise.all(workers.map((w) => w.closed));
      for (const w of workers) appendFileSync(holders, `x ${w.life.pid}\n`);

      const outcomes = workers.map((w) => outcomeOf(w.life));
      for (const w of workers) {
        const life = w.life;
        acked.settled = Math.max(acked.settled, life.maxSettled);
        f.compactions += life.compactions;
        if (life.loaded && life.existedAtSpawn) {
          loads.push(life.loaded.loadMs);
          if (life.readyAt !== undefined) startups.push(life.readyAt - life.spawnedAt);
          if (life.firstAckAt !== undefined) {
            resumes.push(life.firstAckAt - life.spawnedAt);
            firstTransitions.push(life.firstAckAt - life.loaded.at);
          }
        }
        if (life.loaded) {
          if (life.loaded.resumed !== life.existedAtSpawn) fail(`${where}: the run file ${life.existedAtSpawn ? 'was there but the run started over' : 'was not there but a run was loaded'}`);
        }
      }
      const summary = workers.map((w, i) => {
        const l = w.life;
        const what = outcomes[i] === 'killed' ? `killed${l.killedInSnapshotWrite ? ' in a snapshot write' : ''}` : (outcomes[i] as string);
        return `pid ${l.pid}: ${l.loaded ? `loaded ${l.loaded.jobs} jobs (${l.loaded.settled} settled) in ${l.loaded.loadMs} ms` : l.locked ? 'refused' : 'never loaded'}, ${l.acked} transitions acknowledged, ${what}`;
      });
      const line = `  ${where} ${kill ? `kill ${kill.kind}${kill.kind === 'startup' ? ` +${kill.delayMs} ms` : kill.kind === 'loaded' ? '' : ` at ${threshold} of ${totalTransitions}`}` : 'no kill'}: ${summary.join(' | ')}`;
      journal.push(line);
      if (options.verbose) log(line);

      // Each outcome is one this start allows.
      for (const [i, w] of workers.entries()) {
        const l = w.life;
        const o = outcomes[i] as Outcome;
        const tail = l.stderr.trim() === '' ? '' : `; stderr:\n${l.stderr.trim().split('\n').slice(-15).join('\n')}`;
        if (o === 'crashed') {
          throw new Fatal(`${tag}, ${where}: process ${l.pid} ${l.timedOut ? `ran for more than ${lifeTimeoutMs} ms` : `exited with code ${String(l.code)}, signal ${String(l.signal)}`}: ${JSON.stringify(l.failures)}${tail}`);
        }
        if (o === 'locked' && !race) fail(`${where}: process ${l.pid} was refused the run with no other process alive: ${String(l.locked)}`);
        if (o === 'failed') {
          const bad = l.failures.filter((x) => !isEnospc(x));
          if (!full || bad.length > 0) {
            f.fullDisk.otherErrors += full ? 1 : 0;
            throw new Fatal(`${tag}, ${where}: process ${l.pid} failed: ${JSON.stringify(l.failures)}${tail}`);
          }
        }
        if (o === 'killed') {
          // A killed holder left its lock behind, unless it had begun to close.
          if (l.loaded && !l.closing && (l.lockAfterKill === undefined || (JSON.parse(l.lockAfterKill) as { pid: number }).pid !== l.pid)) {
            fail(`${where}: process ${l.pid} was killed holding the run, but the lock file says ${String(l.lockAfterKill)}`);
          }
          if (l.killedInSnapshotWrite) f.killedInSnapshotWrite++;
          if (kill) {
            killsHere[kill.kind]++;
            killsBy[kill.kind]++;
          }
          f.kills++;
          killIndex++;
        }
      }
      if (race) {
        raceHere++;
        f.lockRaces.races++;
        const refused = outcomes.filter((o) => o === 'locked').length;
        if (refused === 2) fail(`${where}: both processes were refused the run`);
        else if (refused === 1) {
          f.lockRaces.won++;
          f.lockRaces.refused++;
        } else f.lockRaces.sequential++; // the first one was gone before the second tried: allowed if they never overlapped
      }
      const outcome: Outcome = outcomes.includes('completed') ? 'completed' : outcomes.includes('killed') ? 'killed' : outcomes.includes('failed') ? 'failed' : 'locked';
      if (outcome === 'failed' && full) {
        f.fullDisk.stopped++;
        const l = (workers[0] as Worker).life;
        // An exec that failed before its start checkpoint was acknowledged failed in that checkpoint.
        const where = (x: (typeof l.failures)[number]) => (x.stage === 'exec' ? (l.checkpointed ? 'append' : 'checkpoint') : x.stage);
        for (const x of l.failures) f.fullDisk.enospcOn[where(x)]++;
        const compactionFailures = l.warnings.filter((w) => /compaction failed/.test(w) && /ENOSPC|no space/i.test(w)).length;
        f.fullDisk.enospcOn.compaction += compactionFailures;
        diskNotes.push(`${l.failures.map((x) => `ENOSPC on ${where(x)}`).join(', ')}${compactionFailures > 0 ? ` (after ${compactionFailures} failed compactions)` : ''}`);
      }
      if (full && outcome !== 'failed') fail(`${where}: on a full disk the process ${outcome}, it should have failed with ENOSPC`);
      if (outcome !== 'completed') await checkDurable(where);
      return outcome;
    };

    const fillDisk = async (d: Disk, p: DiskPlan): Promise<() => void> => {
      const fresh = !existsSync(file);
      // Less room than the next snapshot needs (every snapshot is at least as big as the last), so the
      // run cannot finish; a fresh run gets room for between 0.4 and 1.9 of its first snapshot.
      const snapshot = fresh ? initialBytes : statSync(file).size;
      const leave = Math.floor((p.leaveShare * snapshot * (fresh ? 2 : 1)) / PAGE) * PAGE;
      if (p.variant === 'remount' && d.method === 'tmpfs') {
        const size = Math.ceil((usedBytes(d.dir) + leave) / PAGE) * PAGE;
        execFileSync('mount', ['-o', `remount,size=${kib(size)}`, d.dir], { stdio: 'pipe' });
        diskNotes.push(`remounted at ${kib(size)}B, ${kib(leave)}B free for a ${kib(snapshot)}B snapshot`);
        return () => execFileSync('mount', ['-o', `remount,size=${kib(d.bigBytes)}`, d.dir], { stdio: 'pipe' });
      }
      const filler = join(d.dir, 'filler');
      writeFiller(filler, Math.max(0, availableBytes(d.dir) - leave));
      diskNotes.push(`filled up to ${kib(availableBytes(d.dir))}B free for a ${kib(snapshot)}B snapshot`);
      return () => unlinkSync(filler);
    };

    let roundFailed = false;
    let diskPhase = false;
    try {
      for (;;) {
        if (disk && plan.disk && killIndex >= plan.disk.atKill && !diskPhase) {
          diskPhase = true;
          f.fullDisk.rounds++;
          const free = await fillDisk(disk, plan.disk);
          try {
            for (let i = 0; i < plan.disk.fullStarts; i++) await runStart(undefined, false, true);
          } finally {
            free();
          }
          diskNotes.push('space freed');
        }
        const kill = killIndex < plan.kills.length ? plan.kills[killIndex] : undefined;
        const outcome = await runStart(kill, killIndex === plan.raceAt, false);
        if (outcome === 'completed') break;
        if (outcome === 'locked') throw new Fatal(`${tag}: no process got the run`);
      }
      if (diskPhase) {
        diskDone = true;
        f.fullDisk.resumedAndFinished++;
      }
      if (raceHere > 0) raceDone = true;

      // The run is complete: close() compacted the log away, released the lock, left no temp file.
      for (const leftover of [`${file}.log`, `${file}.lock`, `${file}.lock.takeover`]) if (existsSync(leftover)) fail(`${leftover} is still there after the run completed`);
      const names = readdirSync(dir);
      const temps = names.filter((n) => n.endsWith('.tmp'));
      f.tempFilesLeft += temps.length;
      if (temps.length > 0) fail(`snapshot temp files left behind: ${temps.join(', ')}`);
      f.lockCandidatesLeft += names.filter((n) => n.endsWith('.candidate')).length;
      const final = await checkDurable('the completed run');
      if (final === undefined) throw new Fatal(`${tag}: the completed run is not on disk`);
      const c = compareWithReference(final, reference);
      f.jobsChecked += final.jobs.size;
      f.duplicateChildren += c.duplicates.length;
      f.appliedTwice += c.appliedTwice.length;
      f.notSettled += c.notSettled.length;
      f.differFromReference += c.differ.length;
      f.retriedMoreAfterRestart += c.retriedMore;
      for (const [id] of c.lost) lostHere.add(id);
      const report = (what: string, list: readonly string[]) => {
        if (list.length > 0) fail(`${list.length} ${what}: ${list.slice(0, 5).join('; ')}`);
      };
      report('jobs of the reference run are missing', c.lost.map(([id, how]) => `${id}: ${how}`));
      report('duplicate children', c.duplicates);
      report('jobs with a transition applied twice', c.appliedTwice);
      report('jobs neither terminal nor failed', c.notSettled);
      report('jobs differ from the reference run', c.differ);
    } catch (error) {
      roundFailed = true;
      throw error;
    } finally {
      await stopAllWorkers();
      const twice = heldTwice(readFileSync(holders, 'utf8'));
      f.lockRaces.heldTwice += twice.length;
      if (twice.length > 0) fail(`the run was held by two processes at once: ${twice.slice(0, 5).join('; ')}`);
      f.lostJobs += lostHere.size;
      const failed = roundFailed || failures.some((x) => x.startsWith(`${tag}:`) || x.startsWith(`${tag},`));
      if (failed) {
        const kept = mkdtempSync(join(tmpdir(), `jorb-crash-failed-seed${options.seed}-round${plan.index}-`));
        cpSync(dir, join(kept, 'run'), { recursive: true, filter: (src) => !src.endsWith('filler') });
        cpSync(meta, join(kept, 'meta'), { recursive: true });
        writeFileSync(join(kept, 'journal.txt'), `${journal.join('\n')}\n`);
        log(`${tag}: FAILED; its files and what each start did are in ${kept}`);
      }
      if (disk?.mounted) unmount(disk.dir);
      rmSync(dir, { recursive: true, force: true });
      rmSync(meta, { recursive: true, force: true });
      const kills = Object.entries(killsHere).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ');
      log(
        `${tag}: ${options.jobs} seeds, salt ${plan.salt}, compactAfterBytes ${plan.compactAfterBytes}, ${totalTransitions} transitions in the reference; ` +
          `${start} starts, ${Object.values(killsHere).reduce((a, b) => a + b, 0)} kills (${kills || 'none'})` +
          `${killIndex < plan.kills.length ? ` (${plan.kills.length - killIndex} planned kills not reached: the run completed first; later runs make them up)` : ''}, ${raceHere} lock races` +
          `${diskNotes.length > 0 ? `, full disk: ${diskNotes.join('; ')}` : ''}; ${lostHere.size} lost; ${failed ? 'FAILED' : 'ok'} in ${((performance.now() - roundBegan) / 1000).toFixed(1)} s`,
      );
    }
  }
}

/** The campaign's figures as the lines `npm run crash` prints, PASS/FAIL lines last. */
export function formatResult(result: CampaignResult): string[] {
  const f = result.figures;
  const by = Object.entries(f.killsBy).map(([k, n]) => `${n} ${k === 'acks' ? 'after N acknowledged transitions' : k === 'snapshot' ? 'in a snapshot write' : k === 'loaded' ? 'right after load' : 'during start-up'}`).join(', ');
  const disk = f.fullDisk;
  const lines = [
    `crash campaign: seed ${f.seed}, ${f.rounds} runs of ${f.jobsPerRun} seed jobs, ${f.starts} processes started, ${(f.durationMs / 1000).toFixed(1)} s`,
    `  kills:                      ${f.kills} (${by}); ${f.killedInSnapshotWrite} landed in a snapshot write`,
    `  lost jobs:                  ${f.lostJobs} (${f.acknowledgedChecked} acknowledged transitions and kicks checked on disk after every start)`,
    `  duplicate children:         ${f.duplicateChildren}`,
    `  transitions applied twice:  ${f.appliedTwice} jobs (of ${f.jobsChecked} checked); ${f.differFromReference} differ from the uninterrupted reference`,
    `  jobs not terminal/failed:   ${f.notSettled}`,
    `  time to resume:             mean ${f.resumeMs.mean} ms, max ${f.resumeMs.max} ms (restart to first acknowledged transition, ${f.resumeMs.n} restarts)`,
    `    of which node+tsx start:  mean ${f.startupMs.mean} ms, max ${f.startupMs.max} ms; store.load(): mean ${f.loadMs.mean} ms, max ${f.loadMs.max} ms; load to first transition: mean ${f.firstTransitionMs.mean} ms, max ${f.firstTransitionMs.max} ms`,
    `  lock races:                 ${f.lockRaces.races} (won ${f.lockRaces.won}, refused ${f.lockRaces.refused}, one after the other ${f.lockRaces.sequential}); held by two at once: ${f.lockRaces.heldTwice}`,
    disk.skipped !== undefined
      ? `  full disk:                  SKIPPED: ${disk.skipped}`
      : `  full disk:                  ${disk.rounds} runs via ${disk.method}; ${disk.stopped} processes stopped by ENOSPC (in load ${disk.enospcOn.load}, start checkpoint ${disk.enospcOn.checkpoint}, append ${disk.enospcOn.append}, close ${disk.enospcOn.close}; ${disk.enospcOn.compaction} compactions failed and were retried later); ${disk.resumedAndFinished} resumed and finished after space was freed`,
    `  compactions while running:  ${f.compactions}; snapshot temp files left: ${f.tempFilesLeft}; lock candidates left by killed processes: ${f.lockCandidatesLeft}`,
    `  parse gave up, then retried more after a restart: ${f.retriedMoreAfterRestart} jobs (retry counts restart with the process, documented)`,
  ];
  const check = (ok: boolean, what: string) => lines.push(`${ok ? 'PASS' : 'FAIL'} ${what}`);
  check(f.lostJobs === 0, 'no acknowledged job or transition lost');
  check(f.duplicateChildren === 0, 'no duplicate children');
  check(f.appliedTwice === 0 && f.differFromReference === 0, 'no transition applied twice; every run equals its uninterrupted reference');
  check(f.notSettled === 0, 'every job terminal or failed');
  check(f.lockRaces.heldTwice === 0 && f.lockRaces.races > 0, 'one process per run: never two holders, every race decided');
  if (disk.skipped !== undefined) lines.push(`SKIP full disk: ${disk.skipped}`);
  else check(disk.rounds > 0 && disk.stopped > 0 && disk.otherErrors === 0 && disk.resumedAndFinished === disk.rounds, 'a full disk stops the process with ENOSPC, nothing unwritten acknowledged, the run resumes once space is freed');
  for (const failure of result.failures) lines.push(`FAIL ${failure}`);
  lines.push(result.passed ? `PASS crash campaign, seed ${f.seed}` : `FAIL crash campaign, seed ${f.seed}; replay with: ${result.replay}`);
  return lines;
}
