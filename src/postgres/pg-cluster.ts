import pg from 'pg';
import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Job } from '../model/job.js';
import { renderValue } from '../model/render-value.js';
import { replay } from '../model/replay.js';
import { flushUnsavedRecords, internalsOf, type Run, type RunInternals } from '../model/run.js';
import { fromSnapshot, toSnapshot } from '../model/run-snapshot.js';
import type { StoreRecord } from '../model/store-record.js';
import { UnknownStatesError } from '../model/unknown-states-error.js';
import type { WorkflowStates } from '../model/workflow-states.js';
import type { JoinOptions } from '../model/state-options.js';
import type { Claimed, ClaimRequest, CommitChoices, WorkSource, WorkState } from '../model/work-source.js';
import { RunLockedError } from '../store/run-locked-error.js';
import { connectError } from './connect-error.js';
import type { ServerAddress } from './connection-string.js';
import { JOB_COLUMNS, type JobRow, jobOfRow } from './pg-job-row.js';
import { jobRowProblem, type RunRow, runRowProblem } from './pg-row-problem.js';
import { migrate, quoteIdent } from './pg-schema.js';
import type { CheckedPgStoreOptions } from './pg-store-options.js';
import { PgStoreError } from './pg-store-error.js';
import { applicationName, checkoutClient, isConnectionError, lockKey } from './pg-session.js';
import { copyJob, ownRecord } from './own-record.js';

/** Rows per statement when a new run's jobs are written. */
const PAGE_ROWS = 10_000;
/** The first pause before trying again after a connection broke, and the longest one. */
const FIRST_PAUSE_MS = 50;
const LONGEST_PAUSE_MS = 1_000;
/** The least time between two notifications from one process. */
const NOTIFY_EVERY_MS = 100;
/** The most delayed jobs a claim moves to the waiting ones once they fell due (the next claims take the rest). */
const PROMOTE_ROWS = 1_000;
/** SQLSTATE of `<schema>.refuse(reason)`: the process lost its lease or a job it had claimed. */
const REFUSED = 'JB001';

/** A job as a commit writes it back (an update of a claimed row, or a new row). */
interface CommitRow {
  readonly n: number;
  readonly id: string;
  readonly state: string;
  readonly failed: boolean;
  readonly settled: boolean;
  readonly parent_id: string | null;
  readonly key: string | null;
  readonly priority: number | null;
  readonly jc: unknown;
  readonly errors: unknown;
  readonly history: unknown;
  readonly updated_at: number;
  readonly kick_count: number;
  readonly keep: boolean;
  readonly due_at: number | null;
  readonly key_scope: 'unsettled' | null;
}

const COMMIT_COLUMNS =
  'n bigint, id text, state text, failed boolean, settled boolean, parent_id text, key text, priority double precision, jc jsonb, errors jsonb, history jsonb, updated_at double precision, kick_count integer, keep boolean, due_at double precision, key_scope text';

/**
 * A run shared by every process that opens it (a {@link PgStore}'s default mode): each process
 * registers in `<schema>.processes` with a lease it renews by heartbeat, claims jobs a few at a time
 * (`FOR UPDATE SKIP LOCKED`, so two processes never claim one job) and holds slot rows for the
 * attempts it runs, so a state's concurrency holds across the cluster. A commit writes a batch of
 * transitions in one statement, only for jobs the process still owns and only while its lease
 * lasts: a process that paused past its lease (or lost its jobs to another) has its writes refused
 * and stops with a `'fenced'` {@link PgStoreError}. A process that dies leaves its jobs and slots
 * to the others once its lease runs out. Commits notify the run's channel; idle processes LISTEN.
 */
export class PgCluster<OC, JC> implements WorkSource<JC> {
  readonly #options: CheckedPgStoreOptions;
  readonly #address: ServerAddress;
  readonly #owner: string;
  readonly #s: string;
  /** A small batch waits this long for more records: one statement for many transitions. */
  readonly gatherMs = 2;
  /** This process's row in `processes`: a new one per store. */
  readonly id = randomUUID();
  readonly #channel: string;
  #pool: pg.Pool | undefined;
  /** Holds the run's shared advisory lock and LISTENs; made again when it breaks. */
  #listener: pg.Client | undefined;
  #listening: Promise<void> | undefined;
  #registered = false;
  #lost: Error | undefined;
  #closed = false;
  #run: Run<OC, JC> | undefined;
  #own: RunInternals<JC> | undefined;
  #states: readonly WorkState[] = [];
  #terminal = new Set<string>();
  /** States whose slot rows this session made (or resized) and whose settled marks it checked. */
  readonly #prepared = new Set<string>();
  /** States whose rate bucket this session made sure exists. */
  readonly #buckets = new Set<string>();
  /** The slots this process holds, by state. */
  readonly #held = new Map<string, number>();
  /** Ids of the batch being committed and of the one before: a reconcile must not let go of them. */
  #inFlight: readonly string[] = [];
  #lastBatch: readonly string[] = [];
  /** A connection broke since the last reconcile: what this process owns in the database may not match what it has. */
  #unsure = false;
  /** Claims (and reconciles) run one at a time, in order. */
  #claims: Promise<unknown> = Promise.resolve();
  #writes = 0;
  readonly #wake = new Set<() => void>();
  readonly #beat = new Set<() => void>();
  #heartbeat: NodeJS.Timeout | undefined;
  /** When the latest renewal of the lease that succeeded was sent (this process's clock). */
  #renewedAt = 0;
  #lastNotify = 0;
  /** The timer of a notification owed (see {@link PgCluster.#owe}). */
  #owed: NodeJS.Timeout | undefined;
  /** The workflow has a join state: a commit that settles a child notifies the others. */
  #joins = false;

  constructor(options: CheckedPgStoreOptions, address: ServerAddress, owner: string) {
    this.#options = options;
    this.#address = address;
    this.#owner = owner;
    this.#s = quoteIdent(options.schema);
    this.#channel = `jorb_${createHash('sha256').update(`${options.schema}.${options.run}`).digest('hex').slice(0, 40)}`;
  }

  get #runName(): string {
    return this.#options.run;
  }

  /** The run's row, as a run holding none of its jobs (they stay in the database), or undefined when there is none. */
  async load(workflow?: WorkflowStates<string>): Promise<Run<OC, JC> | undefined> {
    await this.#connect();
    const head = await this.#retrying(() => this.#query<RunRow>(`SELECT run_name, oc, next_id FROM ${this.#s}.runs WHERE name = $1`, [this.#runName]));
    const found = head.rows[0];
    if (found === undefined) return undefined;
    const problem = runRowProblem(found);
    if (problem !== undefined) throw this.#badData(`its row in ${this.#s}.runs cannot be read: ${problem}`);
    const run = fromSnapshot<OC, JC>({ format: 'jorb-run', version: 1, name: found.run_name as string, oc: found.oc as OC, nextId: Number(found.next_id), jobs: [] }, this.#owner);
    if (workflow !== undefined) {
      // The jobs stay in the database, so binding the run checks nothing: the check is made there.
      this.#run = run;
      await this.#checkStates(workflow.states, workflow.name);
    }
    await this.#register();
    this.#hold(run);
    return run;
  }

  /**
   * For the run this store holds, inserts its unsaved adds; for a new run, creates the run's row
   * (or finds the one another process created a moment ago) and inserts its jobs: jobs with the
   * same id, or the same key, are one job, so processes that start together add their seeds once.
   * At `'stop'`, lets go of this process's claims and slots so the others take them at once.
   */
  async checkpoint(run: Run<OC, JC>, when: 'start' | 'stop'): Promise<void> {
    this.#checkOpen('checkpoint');
    if (when === 'stop' && run === this.#run) {
      await this.#letGoOfWork();
      await flushUnsavedRecords(run, (records) => this.#insertAdds(records));
      return;
    }
    if (run === this.#run) return flushUnsavedRecords(run, (records) => this.#insertAdds(records));
    await this.#connect();
    await flushUnsavedRecords(run, () => this.#writeNew(run));
    this.#hold(run);
  }

  /** Appends records written outside an execution (a `run.add` flushed on close): only adds are possible without claims. */
  async append(records: readonly StoreRecord<JC>[]): Promise<void> {
    this.#checkOpen('append');
    await this.#insertAdds(records);
  }

  workSource(states: readonly WorkState[]): WorkSource<JC> {
    this.#states = states;
    this.#terminal = new Set(states.filter((s) => s.terminal).map((s) => s.name));
    this.#joins = states.some((s) => s.join !== undefined);
    this.#prepared.clear();
    return this;
  }

  onWake(listener: () => void): () => void {
    this.#wake.add(listener);
    return () => this.#wake.delete(listener);
  }

  onBeat(listener: () => void): () => void {
    this.#beat.add(listener);
    return () => this.#beat.delete(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    let failure: { error: unknown } | undefined;
    try {
      if (this.#run && this.#lost === undefined && this.#pool) {
        await flushUnsavedRecords(this.#run, (records) => this.#insertAdds(records));
        await this.#letGoOfWork();
        await this.#query(`DELETE FROM ${this.#s}.processes WHERE id = $1`, [this.id]);
        await this.#query(`DELETE FROM ${this.#s}.wants WHERE run = $1 AND process = $2`, [this.#runName, this.id]);
      }
    } catch (error) {
      failure = { error };
    }
    this.#closed = true;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    if (this.#owed) clearTimeout(this.#owed);
    await this.#listener?.end().catch(() => undefined);
    await this.#pool?.end().catch(() => undefined);
    this.#pool = undefined;
    if (failure) throw failure.error;
  }

  // ---- the work source ----

  claim(request: ClaimRequest): Promise<Claimed<JC>> {
    const next = this.#claims.then(() => this.#retrying(() => this.#claim(request)));
    this.#claims = next.catch(() => undefined);
    return next;
  }

  async #claim(request: ClaimRequest): Promise<Claimed<JC>> {
    this.#checkLive();
    if (this.#unsure) await this.#reconcile();
    if (!this.#prepared.has(request.state)) await this.#prepare(request.state);
    const client = await this.#checkout();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      // The lease moves on, and the run is not held by an exclusive store (the listener holds the
      // shared lock too, but it may be reconnecting). Processes whose lease ran out are marked
      // ended first: that row lock orders the mark against their own renewal, so either they renew
      // (and keep their work) or they are ended (and can never renew), never both.
      // The process's own row is only read here (its heartbeat and its commits write it): a claim
      // holding that row's lock would hold up this process's commits.
      // Delayed jobs that fell due (by this process's clock) join the state's waiting jobs: their
      // due_at is cleared, so the claim below walks only jobs it may take (the waiting index keeps
      // delayed ones apart). And the next one to fall due, for the engine to claim again then.
      const now = Date.now();
      const me = await client.query<{ alive: string; shared: boolean; next_due: number | null }>(
        `WITH ended AS (UPDATE ${this.#s}.processes SET lease_until = '-infinity' WHERE run = $2 AND id <> $1 AND lease_until < now() AND lease_until > '-infinity' RETURNING id),
         due AS (
           UPDATE ${this.#s}.jobs d SET due_at = NULL FROM (
             SELECT id FROM ${this.#s}.jobs WHERE run = $2 AND state = $4 AND NOT settled AND due_at IS NOT NULL AND due_at <= $5 AND $6::integer > 0
             ORDER BY due_at LIMIT ${PROMOTE_ROWS} FOR UPDATE SKIP LOCKED
           ) fell WHERE d.run = $2 AND d.id = fell.id RETURNING 1
         )
         SELECT (SELECT count(*) FROM ${this.#s}.processes WHERE id = $1 AND lease_until > now()) AS alive, (SELECT count(*) FROM ended) AS ended,
                pg_try_advisory_xact_lock_shared(hashtextextended($3, 0)) AS shared, (SELECT count(*) FROM due) AS due,
                (SELECT min(n.due_at) FROM ${this.#s}.jobs n WHERE n.run = $2 AND n.state = $4 AND NOT n.settled AND n.due_at IS NOT NULL AND n.due_at > $5
                   AND (n.lease_owner IS NULL OR NOT EXISTS (SELECT 1 FROM ${this.#s}.processes p WHERE p.id = n.lease_owner AND p.lease_until > '-infinity'))) AS next_due`,
        [this.id, this.#runName, lockKey(this.#options.schema, this.#runName), request.state, now, request.jobs],
      );
      if (Number(me.rows[0]?.alive) !== 1) throw this.#leaseLost();
      if (me.rows[0]?.shared !== true) throw this.#heldExclusively();
      const nextDue = me.rows[0]?.next_due ?? null;
      const join = this.#states.find((s) => s.name === request.state)?.join;
      const jobs: Job<JC>[] = [];
      const kickCounts = new Map<string, number>();
      let children: Map<string, Job<JC>[]> | undefined;
      if (request.jobs > 0) {
        const claimed = await client.query<JobRow & { kick_count: number }>(
          `WITH picked AS (
             SELECT j.id FROM ${this.#s}.jobs j
             WHERE j.run = $1 AND j.state = $2 AND NOT j.settled AND j.due_at IS NULL
               AND (j.lease_owner IS NULL OR NOT EXISTS (SELECT 1 FROM ${this.#s}.processes p WHERE p.id = j.lease_owner AND p.lease_until > '-infinity'))${join === undefined ? '' : joinReady(this.#s, join)}
             ORDER BY coalesce(j.priority, 0) DESC, j.ord
             LIMIT $3 FOR UPDATE OF j SKIP LOCKED
           )
           UPDATE ${this.#s}.jobs j SET lease_owner = $4 FROM picked WHERE j.run = $1 AND j.id = picked.id
           RETURNING ${JOB_COLUMNS.split(', ').map((c) => `j.${c}`).join(', ')}, j.kick_count`,
          [this.#runName, request.state, request.jobs, this.id],
        );
        const rows = claimed.rows.sort((a, b) => (b.priority ?? 0) - (a.priority ?? 0) || compareOrd(a.ord, b.ord));
        for (const row of rows) {
          jobs.push(this.#jobOfRow(row));
          if (row.kick_count > 0) kickCounts.set(row.id, row.kick_count);
        }
        if (join !== undefined && jobs.length > 0) children = await this.#childrenOf(client, jobs);
      }
      const { held, share, released } = await this.#adjustSlots(client, request, jobs.length);
      const notify = released && this.#mayNotify();
      if (notify) await client.query('SELECT pg_notify($1, $2)', [this.#channel, 'slots']);
      await client.query('COMMIT');
      if (released && !notify) this.#owe();
      // Counted once committed: a claim rolled back (its connection broke) took and gave back nothing.
      this.#held.set(request.state, held);
      return { jobs, kickCounts, slots: held, share, ...(children === undefined ? {} : { children }), ...(nextDue === null ? {} : { nextDueAt: nextDue }) };
    } catch (error) {
      await client.query('ROLLBACK').catch((rollback: unknown) => (broken = rollback instanceof Error ? rollback : new Error(String(rollback))));
      if (isConnectionError(error)) broken ??= error as Error;
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /** A row read back as the job it stores, checked first: a row no store writes is refused ('bad-data'). */
  #jobOfRow(row: JobRow): Job<JC> {
    const problem = jobRowProblem(row);
    if (problem !== undefined) throw this.#badData(`job ${JSON.stringify(row.id)} (its row in ${this.#s}.jobs) cannot be read: ${problem}`);
    return jobOfRow<JC>(row);
  }

  /**
   * The children of jobs a join state's claim took, by parent, in kick order (the n of their ids
   * `<parent>-><n>`, then the run's order). They may have settled in any process: read here.
   */
  async #childrenOf(client: pg.PoolClient, parents: readonly Job<JC>[]): Promise<Map<string, Job<JC>[]>> {
    const found = await client.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM ${this.#s}.jobs WHERE run = $1 AND parent_id = ANY($2::text[])`, [this.#runName, parents.map((p) => p.id)]);
    const byParent = new Map<string, { n: number; ord: string; job: Job<JC> }[]>(parents.map((p) => [p.id, []]));
    for (const row of found.rows) {
      const parent = row.parent_id as string;
      byParent.get(parent)?.push({ n: childNumber(parent, row.id), ord: row.ord, job: this.#jobOfRow(row) });
    }
    const children = new Map<string, Job<JC>[]>();
    for (const [parent, list] of byParent) children.set(parent, list.sort((a, b) => a.n - b.n || compareOrd(a.ord, b.ord)).map((c) => c.job));
    return children;
  }

  /**
   * Holds as many of the state's slots as this process can use, up to its share: the state's
   * concurrency divided among the live processes that want it (rounded up), and never fewer than
   * the attempts that may be running (`request.running`). Each process says in its row how many
   * slots of each state it could use (`wants`), so a process that has work but no slot is counted,
   * and one that has none is not. Free slots, and those of ended processes, are taken `SKIP LOCKED`.
   */
  async #adjustSlots(client: pg.PoolClient, request: ClaimRequest, claimed: number): Promise<{ held: number; share: number; released: boolean }> {
    const state = this.#states.find((s) => s.name === request.state);
    const concurrency = state?.concurrency ?? request.cap;
    const cap = Math.min(request.cap, this.#options.processConcurrency[request.state] ?? request.cap);
    const wants = Math.min(cap, request.busy + claimed);
    const others = await client.query<{ n: string }>(
      `WITH mine AS (
         INSERT INTO ${this.#s}.wants (run, state, process, n) VALUES ($1, $3, $2, $4) ON CONFLICT (run, state, process) DO UPDATE SET n = excluded.n
       )
       SELECT count(*) AS n FROM ${this.#s}.wants w JOIN ${this.#s}.processes p ON p.id = w.process
       WHERE w.run = $1 AND w.state = $3 AND w.process <> $2 AND w.n > 0 AND p.lease_until > now()`,
      [this.#runName, this.id, request.state, wants],
    );
    const share = Math.max(1, Math.ceil(concurrency / (Number(others.rows[0]?.n ?? 0) + 1)));
    const target = Math.max(request.running, Math.min(cap, share, wants));
    const held = this.#held.get(request.state) ?? 0;
    if (target > held) {
      const taken = await client.query(
        `WITH free AS (
           SELECT sl.n FROM ${this.#s}.slots sl
           WHERE sl.run = $1 AND sl.state = $2
             AND (sl.owner IS NULL OR (sl.owner <> $4 AND NOT EXISTS (SELECT 1 FROM ${this.#s}.processes p WHERE p.id = sl.owner AND p.lease_until > '-infinity')))
           ORDER BY sl.n LIMIT $3 FOR UPDATE OF sl SKIP LOCKED
         )
         UPDATE ${this.#s}.slots sl SET owner = $4 FROM free WHERE sl.run = $1 AND sl.state = $2 AND sl.n = free.n`,
        [this.#runName, request.state, target - held, this.id],
      );
      return { held: held + (taken.rowCount ?? 0), share, released: false };
    }
    if (target < held) {
      await client.query(
        `UPDATE ${this.#s}.slots SET owner = NULL
         WHERE run = $1 AND state = $2 AND n IN (SELECT n FROM ${this.#s}.slots WHERE run = $1 AND state = $2 AND owner = $4 ORDER BY n DESC LIMIT $3)`,
        [this.#runName, request.state, held - target, this.id],
      );
      return { held: target, share, released: true };
    }
    return { held, share, released: false };
  }

  /** Once per state and session: its slot rows match its concurrency, and jobs in a terminal state are marked settled. */
  async #prepare(state: string): Promise<void> {
    const node = this.#states.find((s) => s.name === state);
    const concurrency = node?.concurrency ?? 0;
    await this.#query(
      `WITH made AS (INSERT INTO ${this.#s}.slots (run, state, n) SELECT $1, $2, n FROM generate_series(0, $3 - 1) AS n ON CONFLICT DO NOTHING)
       DELETE FROM ${this.#s}.slots WHERE run = $1 AND state = $2 AND n >= $3`,
      [this.#runName, state, concurrency],
    );
    if (this.#prepared.size === 0) await this.#analyzeIfStale();
    if (this.#prepared.size === 0) await this.#checkStates(this.#states.map((s) => s.name), this.#own?.workflow?.name ?? '?');
    if (this.#prepared.size === 0 && this.#terminal.size > 0) {
      // Rows written without knowing the workflow (a new run's jobs, an exclusive store's writes) are marked here.
      await this.#query(`UPDATE ${this.#s}.jobs SET settled = true, lease_owner = NULL WHERE run = $1 AND NOT settled AND state = ANY($2::text[])`, [this.#runName, [...this.#terminal]]);
    }
    this.#prepared.add(state);
  }

  /**
   * Statistics of the jobs table brought up to date when much of it changed since they were taken
   * (a run of many jobs written a moment ago, before autovacuum came by): planned on stale ones, a
   * commit's few rows looked up by id become a scan of the whole run (measured: 5 ms a commit, not 1).
   */
  async #analyzeIfStale(): Promise<void> {
    const found = await this.#query<{ changed: string; rows: number }>(
      `SELECT n_mod_since_analyze AS changed, greatest(c.reltuples, 0) AS rows FROM pg_stat_user_tables t JOIN pg_class c ON c.oid = t.relid WHERE t.relid = $1::regclass`,
      [`${this.#s}.jobs`],
    );
    const row = found.rows[0];
    if (row !== undefined && Number(row.changed) > Math.max(1_000, 0.1 * Number(row.rows))) await this.#query(`ANALYZE ${this.#s}.jobs`, []);
  }

  /**
   * Jobs waiting in states the workflow does not declare would never be claimed, and the run would
   * never complete: they are reported (as a run in memory reports them) before anything runs.
   */
  async #checkStates(known: readonly string[], workflow: string): Promise<void> {
    const found = await this.#retrying(() =>
      this.#query<{ id: string; state: string }>(`SELECT id, state FROM ${this.#s}.jobs WHERE run = $1 AND NOT settled AND NOT (state = ANY($2::text[])) ORDER BY ord LIMIT 100`, [
        this.#runName,
        [...known],
      ]),
    );
    if (found.rows.length > 0) throw new UnknownStatesError(workflow, this.#run?.name ?? this.#runName, found.rows, known);
  }

  async commit(records: readonly StoreRecord<JC>[], choices: CommitChoices): Promise<void> {
    this.#checkLive();
    const own = this.#own;
    if (own === undefined) throw new Error(`${this.#owner}: commit before the run's first checkpoint`);
    const { updates, inserts, ids } = this.#rowsOf(records, own, choices);
    // Others are told when the batch leaves work for them (a job this process did not keep), and,
    // when the workflow has a join, when it settles a child: its parent may be waiting in another.
    const releases =
      updates.some((row) => !row.keep && !row.settled) ||
      inserts.some((row) => !row.keep && !row.settled) ||
      (this.#joins && updates.some((row) => row.settled && row.parent_id !== null));
    const notify = releases && this.#mayNotify();
    // Jobs added here with automatic ids move the run's next id on, so a process that loads the run later does not pick them again.
    let nextId = 0;
    for (const record of records) if (record.type === 'add' && record.nextId !== undefined) nextId = Math.max(nextId, record.nextId);
    this.#lastBatch = this.#inFlight;
    this.#inFlight = ids;
    const writeId = `${this.id}:${++this.#writes}`;
    for (;;) {
      const sent = Date.now();
      try {
        const owned = JSON.stringify(updates.map((row) => ({ ...row, owner: this.id })));
        const result = await this.#query<{ inserted: string[] }>(
          `WITH me AS (
             UPDATE ${this.#s}.processes SET lease_until = now() + $4 * interval '1 millisecond', last_write = $5 WHERE id = $3 AND lease_until > now() RETURNING id
           ), u AS (
             UPDATE ${this.#s}.jobs j SET state = x.state, failed = x.failed, settled = x.settled, jc = coalesce(x.jc, 'null'), errors = x.errors, history = x.history,
               updated_at = x.updated_at, kick_count = greatest(j.kick_count, x.kick_count), lease_owner = CASE WHEN x.keep THEN $3 END, due_at = x.due_at
             FROM json_to_recordset($1::json) AS x(${COMMIT_COLUMNS}, owner text)
             -- The owner comes with each row, not as a constant: the planner estimates a constant
             -- owner as one row and scans the run for it, where it should look each job up by id.
             WHERE j.run = $2 AND j.id = x.id AND j.lease_owner = x.owner AND EXISTS (SELECT 1 FROM me)
             RETURNING j.id
           ), i AS (
             INSERT INTO ${this.#s}.jobs (run, id, ord, state, failed, settled, parent_id, key, priority, jc, errors, history, updated_at, kick_count, lease_owner, due_at, key_scope)
             SELECT $2, x.id, nextval('${this.#s}.job_ord'), x.state, x.failed, x.settled, x.parent_id, x.key, x.priority, coalesce(x.jc, 'null'), x.errors, x.history, x.updated_at, x.kick_count, CASE WHEN x.keep THEN $3 END,
               x.due_at, x.key_scope
             FROM json_to_recordset($6::json) AS x(${COMMIT_COLUMNS})
             -- After the updates (counting them runs them first): a key its job released in this
             -- batch (it settled) is free for a kick of the same batch.
             WHERE EXISTS (SELECT 1 FROM me) AND (SELECT count(*) FROM u) = $7
             ORDER BY x.n
             ON CONFLICT DO NOTHING
             RETURNING id
           ), ids AS (
             UPDATE ${this.#s}.runs SET next_id = greatest(next_id, $9::bigint) WHERE name = $2 AND $9::bigint > 0 AND EXISTS (SELECT 1 FROM me) RETURNING 1
           )
           SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM me) THEN ${this.#s}.refuse('lease')
                       WHEN (SELECT count(*) FROM u) <> $7 THEN ${this.#s}.refuse('claim')
                       WHEN NOT pg_try_advisory_xact_lock_shared(hashtextextended($10, 0)) THEN ${this.#s}.refuse('exclusive') END AS refused,
                  ARRAY(SELECT id FROM i) AS inserted, (SELECT count(*) FROM ids) AS ids, CASE WHEN $11::boolean THEN pg_notify($8, 'commit') END AS notified`,
          [owned, this.#runName, this.id, this.#options.leaseMs, writeId, JSON.stringify(inserts), updates.length, this.#channel, nextId, lockKey(this.#options.schema, this.#runName), notify],
        );
        this.#renewed(sent);
        if (releases && !notify) this.#owe();
        const inserted = new Set(result.rows[0]?.inserted ?? []);
        for (const row of inserts) if (!inserted.has(row.id)) choices.existed(row.id);
        return;
      } catch (error) {
        if (isRefused(error)) throw this.#refusal(error);
        if (!isBreak(error)) throw this.#described('commit', error);
        await this.#afterBreak(error as Error);
        if (await this.#committed(writeId)) {
          // Its answer was lost: which new rows it made is unknown, so none is taken as this
          // process's, and any it kept are let go of for another (or this one) to claim.
          for (const row of inserts) choices.existed(row.id);
          const kept = inserts.filter((row) => row.keep).map((row) => row.id);
          if (kept.length > 0) {
            await this.#retrying(() =>
              this.#query(
                `WITH go AS (UPDATE ${this.#s}.jobs SET lease_owner = NULL WHERE run = $1 AND lease_owner = $2 AND id = ANY($3::text[]) RETURNING 1) SELECT pg_notify($4, 'released') FROM (SELECT count(*) FROM go) n`,
                [this.#runName, this.id, kept, this.#channel],
              ),
            );
          }
          return;
        }
      }
    }
  }

  /** The rows a batch writes: each touched job as the records leave it (the model's own replay, on copies). */
  #rowsOf(records: readonly StoreRecord<JC>[], own: RunInternals<JC>, choices: CommitChoices): { updates: CommitRow[]; inserts: CommitRow[]; ids: string[] } {
    const updated = new Set<string>();
    const copies: Job<JC>[] = [];
    for (const record of records) {
      if (record.type === 'move') throw new Error(`${this.#owner}: a redrive of a shared run is made with an exclusive store (jorb redrive), not while processes run it`);
      if (record.type !== 'transition' || updated.has(record.id)) continue;
      const job = own.jobs.get(record.id);
      if (job === undefined) throw new Error(`${this.#owner}: commit of job "${record.id}", which this process does not hold`);
      updated.add(record.id);
      copies.push(copyJob(job));
    }
    const scratch = fromSnapshot<null, JC>({ format: 'jorb-run', version: 1, name: this.#runName, oc: null, nextId: 0, jobs: copies }, this.#owner);
    replay(scratch, records.map(ownRecord));
    const kicked = new Map<string, number>();
    for (const record of records) if (record.type === 'transition') for (const kick of record.kicks ?? []) kicked.set(record.id, Math.max(kicked.get(record.id) ?? 0, kickNumber(kick.id) + 1));
    const updates: CommitRow[] = [];
    const inserts: CommitRow[] = [];
    const ids: string[] = [];
    for (const job of toSnapshot(scratch).jobs) {
      const settled = job.failed === true || this.#terminal.has(job.state);
      const keep = !settled && choices.keep(job.id, job.state, job.dueAt);
      const row = commitRow(job, updates.length + inserts.length, settled, keep, Math.max(own.kickCounts.get(job.id) ?? 0, kicked.get(job.id) ?? 0));
      (updated.has(job.id) ? updates : inserts).push(row);
      ids.push(job.id);
    }
    return { updates, inserts, ids };
  }

  async permits(state: string, want: number, perSecond: number, burst: number): Promise<{ granted: number; waitMs: number }> {
    this.#checkLive();
    if (!this.#buckets.has(state)) {
      await this.#retrying(() => this.#query(`INSERT INTO ${this.#s}.rates (run, state, tokens, at) VALUES ($1, $2, 0, clock_timestamp()) ON CONFLICT DO NOTHING`, [this.#runName, state]));
      this.#buckets.add(state);
    }
    // One UPDATE, its values computed from the row as locked: two processes drawing at once are served one after the other.
    const avail = `least($3::float8, tokens + $4::float8 * extract(epoch FROM clock_timestamp() - at))`;
    const taken = await this.#retrying(() =>
      this.#query<{ granted: number; tokens: number }>(
        `UPDATE ${this.#s}.rates SET granted = greatest(0, least($5::float8, floor(${avail}))), tokens = ${avail} - greatest(0, least($5::float8, floor(${avail}))), at = clock_timestamp()
         WHERE run = $1 AND state = $2 RETURNING granted, tokens`,
        [this.#runName, state, burst, perSecond, want],
      ),
    );
    const row = taken.rows[0];
    const granted = Math.max(0, Number(row?.granted ?? 0));
    const left = Number(row?.tokens ?? 0);
    return { granted, waitMs: granted > 0 ? 0 : Math.max(1, Math.ceil(((1 - left) / perSecond) * 1000)) };
  }

  async unsettled(): Promise<boolean> {
    this.#checkLive();
    const found = await this.#retrying(() => this.#query<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${this.#s}.jobs WHERE run = $1 AND NOT settled) AS any`, [this.#runName]));
    return found.rows[0]?.any === true;
  }

  /**
   * The run's jobs whose key starts with `prefix` (a schedule's): how many, the greatest key (in
   * code point order) and whether it is settled (false while any job with it is not). One read of
   * jobs_run_key's range for the prefix.
   */
  async keyed(prefix: string): Promise<{ count: number; last?: { key: string; settled: boolean } }> {
    this.#checkLive();
    const pattern = `${prefix.replace(/[\\%_]/g, '\\$&')}%`;
    const found = await this.#retrying(() =>
      this.#query<{ count: string; last: string | null; settled: boolean | null }>(
        `WITH k AS (SELECT key, settled FROM ${this.#s}.jobs WHERE run = $1 AND key IS NOT NULL AND key COLLATE "C" LIKE $2),
              m AS (SELECT count(*) AS count, max(key COLLATE "C") AS last FROM k)
         SELECT m.count, m.last, (SELECT bool_and(k.settled) FROM k WHERE k.key COLLATE "C" = m.last) AS settled FROM m`,
        [this.#runName, pattern],
      ),
    );
    const row = found.rows[0];
    const count = Number(row?.count ?? 0);
    if (row?.last === null || row?.last === undefined) return { count };
    return { count, last: { key: row.last, settled: row.settled === true } };
  }

  // ---- the session ----

  #hold(run: Run<OC, JC>): void {
    this.#run = run;
    this.#own = internalsOf<JC>(run);
  }

  /** The pool and the listener (which holds the run's shared lock: an exclusive store waits for every process to let go). */
  async #connect(): Promise<void> {
    if (this.#pool) return;
    const pool = new pg.Pool({ ...this.#config(), max: 3, idleTimeoutMillis: 0 });
    pool.on('error', () => undefined);
    this.#pool = pool;
    try {
      const client = await this.#checkout();
      try {
        await migrate(client, this.#options.schema, this.#address.database);
      } finally {
        client.release();
      }
      await this.#listen();
    } catch (error) {
      this.#pool = undefined;
      await pool.end().catch(() => undefined);
      throw error;
    }
  }

  #config(): pg.ClientConfig {
    return {
      connectionString: this.#options.connectionString,
      connectionTimeoutMillis: this.#options.connectTimeoutMs,
      application_name: applicationName(this.#runName),
      keepAlive: true,
      // A process stopped inside a claim's transaction would keep its row locks, and the others'
      // SKIP LOCKED would pass those jobs by for ever: the server ends such a session after a lease.
      idle_in_transaction_session_timeout: this.#options.leaseMs,
    };
  }

  /** Connects the listener: takes the run's shared lock and LISTENs on its channel; made again in the background when it breaks. */
  #listen(): Promise<void> {
    this.#listening ??= (async () => {
      const client = new pg.Client(this.#config());
      client.on('error', () => undefined);
      await client.connect().catch((error: unknown) => {
        throw connectError(error, this.#address, this.#options.connectTimeoutMs);
      });
      const taken = await client.query<{ taken: boolean }>('SELECT pg_try_advisory_lock_shared(hashtextextended($1, 0)) AS taken', [lockKey(this.#options.schema, this.#runName)]);
      if (taken.rows[0]?.taken !== true) {
        await client.end().catch(() => undefined);
        throw new RunLockedError(
          `${this.#owner}: run "${this.#runName}" (schema "${this.#options.schema}", database "${this.#address.database}") is held by an exclusive store (a redrive, or a PgStore with exclusive: true): wait until it is closed`,
        );
      }
      await client.query(`LISTEN ${quoteIdent(this.#channel)}`);
      client.on('notification', () => {
        for (const listener of this.#wake) listener();
      });
      const broke = () => {
        if (this.#listener !== client) return;
        this.#listener = undefined;
        this.#listening = undefined;
        this.#unsure = true;
        if (!this.#closed) void this.#relisten();
      };
      client.on('error', broke);
      client.on('end', broke);
      this.#listener = client;
    })();
    return this.#listening.catch((error: unknown) => {
      this.#listening = undefined;
      throw error;
    });
  }

  /** The listener broke (a server restart): make it again, with a growing pause, until the store is closed or gives up. */
  async #relisten(): Promise<void> {
    const deadline = Date.now() + this.#options.reconnectTimeoutMs;
    for (let pause = FIRST_PAUSE_MS; !this.#closed; pause = Math.min(2 * pause, LONGEST_PAUSE_MS)) {
      try {
        await this.#listen();
        for (const listener of this.#wake) listener();
        return;
      } catch (error) {
        if (error instanceof RunLockedError || Date.now() + pause > deadline) {
          this.#lost ??= error instanceof RunLockedError ? error : this.#gaveUp(error);
          return;
        }
        await sleep(pause);
      }
    }
  }

  /** Registers this process with a lease, and starts its heartbeat. Rows of processes whose lease ended over a minute ago go. */
  async #register(): Promise<void> {
    if (this.#registered) return;
    await this.#retrying(() =>
      this.#query(
        `WITH gone AS (DELETE FROM ${this.#s}.processes WHERE run = $1 AND lease_until < now() - interval '1 minute' RETURNING id)
         DELETE FROM ${this.#s}.wants WHERE run = $1 AND process IN (SELECT id FROM gone)`,
        [this.#runName],
      ),
    );
    await this.#retrying(() =>
      this.#query(`INSERT INTO ${this.#s}.processes (id, run, host, pid, lease_until) VALUES ($1, $2, $3, $4, now() + $5 * interval '1 millisecond')`, [
        this.id,
        this.#runName,
        hostname(),
        process.pid,
        this.#options.leaseMs,
      ]),
    );
    this.#registered = true;
    this.#renewedAt = Date.now();
    const every = Math.max(50, Math.floor(this.#options.leaseMs / 5));
    this.#heartbeat = setInterval(() => void this.#beatOnce(), every);
    this.#heartbeat.unref();
  }

  /** Moves the lease on; a process whose lease ran out is fenced (its jobs may be another's by now). */
  async #beatOnce(): Promise<void> {
    if (this.#closed || this.#lost || this.#pool === undefined) return;
    const sent = Date.now();
    try {
      const moved = await this.#query(`UPDATE ${this.#s}.processes SET lease_until = now() + $2 * interval '1 millisecond', heartbeat_at = now() WHERE id = $1 AND lease_until > now()`, [
        this.id,
        this.#options.leaseMs,
      ]);
      if (moved.rowCount !== 1) this.#lost ??= this.#leaseLost();
      else this.#renewed(sent);
    } catch (error) {
      if (isBreak(error)) this.#unsure = true; // the claims and commits reconnect; the next beat tries again
    }
    // Cut off (a partition, a server down) for a whole lease: others may take this process's work
    // over now, so it stops before they do rather than run beside them.
    if (Date.now() - this.#renewedAt >= this.#options.leaseMs) this.#lost ??= this.#leaseLost();
    for (const listener of this.#beat) listener();
  }

  /**
   * After a connection broke: what this process owns in the database is made to match what it
   * has. A claim whose answer was lost may have claimed jobs (or slots) this process never saw:
   * they are let go of, so that others take them. Runs in the claims' queue, so no claim is in flight.
   */
  async #reconcile(): Promise<void> {
    const own = this.#own;
    if (own === undefined) return;
    const mine = [...own.jobs.keys(), ...this.#inFlight, ...this.#lastBatch];
    await this.#query(`UPDATE ${this.#s}.jobs SET lease_owner = NULL WHERE run = $1 AND NOT settled AND lease_owner = $2 AND NOT (id = ANY($3::text[]))`, [this.#runName, this.id, mine]);
    const held = [...this.#held].map(([state, n]) => ({ state, n }));
    await this.#query(
      `UPDATE ${this.#s}.slots sl SET owner = NULL FROM (
         SELECT z.state, z.n FROM (SELECT state, n, row_number() OVER (PARTITION BY state ORDER BY n) AS r FROM ${this.#s}.slots WHERE run = $1 AND owner = $2) z
         LEFT JOIN json_to_recordset($3::json) AS h(state text, n integer) ON h.state = z.state
         WHERE z.r > coalesce(h.n, 0)
       ) extra WHERE sl.run = $1 AND sl.state = extra.state AND sl.n = extra.n`,
      [this.#runName, this.id, JSON.stringify(held)],
    );
    this.#unsure = false;
  }

  /** Lets go of every job claim and slot of this process (at the end of an exec, and on close). */
  async #letGoOfWork(): Promise<void> {
    if (this.#pool === undefined || !this.#registered || this.#lost) return;
    await this.#claims;
    await this.#retrying(async () => {
      // A claimed job is never settled (a commit that settles a job lets go of it): the waiting index finds them.
      await this.#query(`UPDATE ${this.#s}.jobs SET lease_owner = NULL WHERE run = $1 AND NOT settled AND lease_owner = $2`, [this.#runName, this.id]);
      await this.#query(`UPDATE ${this.#s}.slots SET owner = NULL WHERE run = $1 AND owner = $2`, [this.#runName, this.id]);
      await this.#query(`DELETE FROM ${this.#s}.wants WHERE run = $1 AND process = $2`, [this.#runName, this.id]);
      await this.#query('SELECT pg_notify($1, $2)', [this.#channel, 'released']);
    });
    this.#held.clear();
  }

  /** A new run: its row (unless another process made it a moment ago) and its jobs, unclaimed; then this process registers. */
  async #writeNew(run: Run<OC, JC>): Promise<void> {
    const snapshot = toSnapshot(run);
    await this.#retrying(async () => {
      await this.#query(
        `INSERT INTO ${this.#s}.runs (name, run_name, oc, next_id, next_ord, version, write_id) VALUES ($1, $2, $3::jsonb, $4, $5, 1, $6)
         ON CONFLICT (name) DO UPDATE SET next_id = greatest(${this.#s}.runs.next_id, excluded.next_id)`,
        [this.#runName, snapshot.name, JSON.stringify(snapshot.oc ?? null), snapshot.nextId, snapshot.jobs.length, `${this.id}:new`],
      );
    });
    await this.#register();
    for (let start = 0; start < snapshot.jobs.length; start += PAGE_ROWS) {
      const rows = snapshot.jobs.slice(start, start + PAGE_ROWS).map((job, i) => commitRow(job, start + i, job.failed === true, false, 0));
      await this.#retrying(() => this.#insertRows(rows, true));
    }
  }

  /** Adds made outside an execution: inserted unclaimed; a job whose id or key the run holds already is that job. */
  async #insertAdds(records: readonly StoreRecord<JC>[]): Promise<void> {
    const rows: CommitRow[] = [];
    let nextId = 0;
    for (const record of records) {
      if (record.type !== 'add') throw new Error(`${this.#owner}: only added jobs can be written outside an execution of a shared run (got a ${record.type} record)`);
      rows.push(commitRow(record.job, rows.length, record.job.failed === true || this.#terminal.has(record.job.state), false, 0));
      nextId = Math.max(nextId, record.nextId ?? 0);
    }
    if (rows.length === 0) return;
    await this.#retrying(async () => {
      await this.#insertRows(rows, false);
      if (nextId > 0) await this.#query(`UPDATE ${this.#s}.runs SET next_id = greatest(next_id, $2) WHERE name = $1`, [this.#runName, nextId]);
    });
  }

  async #insertRows(rows: readonly CommitRow[], ordered: boolean): Promise<void> {
    await this.#query(
      `WITH i AS (
         INSERT INTO ${this.#s}.jobs (run, id, ord, state, failed, settled, parent_id, key, priority, jc, errors, history, updated_at, kick_count, due_at, key_scope)
         SELECT $1, x.id, ${ordered ? 'x.n' : `nextval('${this.#s}.job_ord')`}, x.state, x.failed, x.settled, x.parent_id, x.key, x.priority, coalesce(x.jc, 'null'), x.errors, x.history, x.updated_at, x.kick_count, x.due_at, x.key_scope
         FROM json_to_recordset($2::json) AS x(${COMMIT_COLUMNS}) ORDER BY x.n
         ON CONFLICT DO NOTHING RETURNING 1
       ) SELECT pg_notify($3, 'added') FROM (SELECT count(*) FROM i) c`,
      [this.#runName, JSON.stringify(rows), this.#channel],
    );
  }

  // ---- connections and errors ----

  async #query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    const client = await this.#checkout();
    let broken: Error | undefined;
    try {
      return await client.query<R>(text, values);
    } catch (error) {
      if (isConnectionError(error)) broken = error as Error;
      throw error;
    } finally {
      client.release(broken);
    }
  }

  #checkout(): Promise<pg.PoolClient> {
    const pool = this.#pool;
    if (pool === undefined) return Promise.reject(new Error(`${this.#owner}: the store is closed`));
    return checkoutClient(pool, this.#address, this.#options.connectTimeoutMs);
  }


  /** Runs `op`; when the connection breaks, waits for the server (up to reconnectTimeoutMs) and runs it again. */
  async #retrying<T>(op: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await op();
      } catch (error) {
        if (isRefused(error)) throw this.#refusal(error);
        if (!isBreak(error)) throw error;
        await this.#afterBreak(error as Error);
      }
    }
  }

  /** A connection broke: waits, with a growing pause, until the server answers again; gives up after reconnectTimeoutMs. */
  async #afterBreak(cause: Error): Promise<void> {
    this.#unsure = true;
    const started = Date.now();
    for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(2 * pause, LONGEST_PAUSE_MS)) {
      if (this.#closed) throw new Error(`${this.#owner}: the store is closed`);
      try {
        await this.#query('SELECT 1', []);
        return;
      } catch (error) {
        if (Date.now() - started + pause > this.#options.reconnectTimeoutMs) {
          this.#lost ??= this.#gaveUp(error, cause);
          throw this.#lost;
        }
        await sleep(pause);
      }
    }
  }

  /** Whether the write named `writeId` committed before its connection broke (the process's row names its last one). */
  async #committed(writeId: string): Promise<boolean> {
    const row = await this.#retrying(() => this.#query<{ last_write: string | null }>(`SELECT last_write FROM ${this.#s}.processes WHERE id = $1`, [this.id]));
    return row.rows[0]?.last_write === writeId;
  }

  #gaveUp(error: unknown, cause?: Error): PgStoreError {
    const why = error instanceof Error ? error.message : renderValue(error);
    const gaveUp = new PgStoreError(
      'connection',
      `${this.#owner}: the connection to PostgreSQL at ${this.#address.host}:${this.#address.port} broke${cause ? ` (${cause.message})` : ''} and could not be made again within ${this.#options.reconnectTimeoutMs} ms (reconnectTimeoutMs): ${why}; this process writes nothing more, and the others take over its jobs when its lease ends`,
      { cause: error },
    );
    GAVE_UP.add(gaveUp);
    return gaveUp;
  }

  #leaseLost(): PgStoreError {
    const lost = new PgStoreError(
      'fenced',
      `${this.#owner}: this process's lease on run "${this.#runName}" (schema "${this.#options.schema}") ran out (it paused, or lost its connection, for longer than leaseMs = ${this.#options.leaseMs} ms): other processes may have taken over its jobs, so it writes nothing more and its late results are refused. Start it again to rejoin the run`,
    );
    this.#lost ??= lost;
    return lost;
  }

  #refusal(error: unknown): PgStoreError {
    const reason = error instanceof Error ? error.message : '';
    if (reason === 'lease') return this.#leaseLost();
    if (reason === 'exclusive') return this.#heldExclusively();
    const lost = new PgStoreError(
      'fenced',
      `${this.#owner}: a job this process was running on run "${this.#runName}" belongs to another process now (its lease ran out meanwhile): the batch was refused whole, nothing of it applied, and this process writes nothing more. Start it again to rejoin the run`,
    );
    this.#lost ??= lost;
    return lost;
  }

  /**
   * Whether to NOTIFY now: at most once per NOTIFY_EVERY_MS from this process. Each notification
   * costs every listening process a transaction to read it, and an idle process also looks for
   * work every 250 ms: a wake-up saves it at most that long.
   */
  #mayNotify(): boolean {
    const now = Date.now();
    if (now - this.#lastNotify < NOTIFY_EVERY_MS) return false;
    this.#lastNotify = now;
    return true;
  }

  /**
   * A write that left work for others committed without a notification (one was sent less than
   * NOTIFY_EVERY_MS before): one is sent once that time is up, so they learn of it at most that
   * late, not at their next look. One owed notification at a time covers every write before it.
   */
  #owe(): void {
    if (this.#owed !== undefined || this.#closed) return;
    this.#owed = setTimeout(() => {
      this.#owed = undefined;
      if (this.#closed || this.#lost !== undefined || this.#pool === undefined) return;
      if (!this.#mayNotify()) return this.#owe();
      this.#query('SELECT pg_notify($1, $2)', [this.#channel, 'owed']).catch(() => undefined);
    }, Math.max(1, this.#lastNotify + NOTIFY_EVERY_MS - Date.now()));
    this.#owed.unref();
  }

  /** An exclusive store (a redrive) took the run while this process's listener was reconnecting: it writes nothing more. */
  #heldExclusively(): PgStoreError {
    const lost = new PgStoreError(
      'fenced',
      `${this.#owner}: run "${this.#runName}" (schema "${this.#options.schema}") is held by an exclusive store (a redrive, or a PgStore with exclusive: true) that took it while this process was reconnecting: this process writes nothing more. Start it again once that store is closed`,
    );
    this.#lost ??= lost;
    return lost;
  }

  /**
   * A renewal sent at `sent` succeeded: the lease lasts at least until `sent + leaseMs` by this
   * process's clock (the server counts from later). The heartbeat stops this process once that
   * time passes without another, before any other process can take its work over.
   */
  #renewed(sent: number): void {
    if (sent > this.#renewedAt) this.#renewedAt = sent;
  }

  #badData(problem: string): PgStoreError {
    return new PgStoreError(
      'bad-data',
      `${this.#owner}: run "${this.#runName}" (schema "${this.#options.schema}", database "${this.#address.database}"): ${problem}; nothing was read or changed: fix the row (or delete the run) and load again`,
    );
  }

  #described(what: string, error: unknown): unknown {
    if (!(error instanceof pg.DatabaseError)) return error;
    const code = (error as { code?: unknown }).code;
    if (code === '22P05') return new Error(`${this.#owner}: ${what} failed: PostgreSQL's jsonb cannot store the character U+0000 (found in a job context or an error): ${error.message}`, { cause: error });
    return new Error(`${this.#owner}: ${what} failed: ${error.message}${typeof code === 'string' ? ` (SQLSTATE ${code})` : ''}`, { cause: error });
  }

  #checkOpen(what: string): void {
    if (this.#closed) throw new Error(`${this.#owner}: ${what} after close`);
    if (this.#lost) throw this.#lost;
  }

  #checkLive(): void {
    this.#checkOpen('a claim');
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The condition a join state's job meets to be claimed (`j` the job): none of its children is
 * unsettled, or, with a failState, one of them failed (settled and failed are in the key of
 * jobs_children: each test is one index probe per waiting job). The failed test is a scalar
 * subquery (true or null), so the planner runs it per job rather than hashing every failed row.
 */
function joinReady(s: string, join: JoinOptions): string {
  const unsettled = `NOT EXISTS (SELECT 1 FROM ${s}.jobs c WHERE c.run = j.run AND c.parent_id = j.id AND NOT c.settled)`;
  if (join.failState === undefined) return `\n               AND ${unsettled}`;
  return `\n               AND (${unsettled} OR (SELECT true FROM ${s}.jobs f WHERE f.run = j.run AND f.parent_id = j.id AND f.settled AND f.failed LIMIT 1))`;
}

/** `n` of a child's id `<parent>-><n>`, or Infinity for an id of another shape (such children come last, in the run's order). */
function childNumber(parent: string, id: string): number {
  if (!id.startsWith(`${parent}->`)) return Infinity;
  const digits = id.slice(parent.length + 2);
  const n = /^\d+$/.test(digits) ? Number(digits) : NaN;
  return Number.isSafeInteger(n) ? n : Infinity;
}

function compareOrd(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** `n` of a kicked job's id `<parent>-><n>`. */
function kickNumber(id: string): number {
  const at = id.lastIndexOf('->');
  const n = Number(id.slice(at + 2));
  return Number.isSafeInteger(n) ? n : 0;
}

function commitRow(job: Job<unknown>, n: number, settled: boolean, keep: boolean, kickCount: number): CommitRow {
  return {
    n,
    id: job.id,
    state: job.state,
    failed: job.failed === true,
    settled,
    parent_id: job.parentId ?? null,
    key: job.key ?? null,
    priority: job.priority ?? null,
    jc: job.jc === undefined ? null : job.jc,
    errors: job.errors,
    history: job.history,
    updated_at: job.updatedAt,
    kick_count: kickCount,
    keep,
    due_at: job.dueAt ?? null,
    key_scope: job.keyScope ?? null,
  };
}

/** The errors a process gave up with after waiting for the server: never a reason to wait again. */
const GAVE_UP = new WeakSet<object>();

/** A connection that broke, or could not be made (the server is restarting): worth waiting for. */
function isBreak(error: unknown): boolean {
  if (GAVE_UP.has(error as object)) return false;
  return isConnectionError(error) || (error instanceof PgStoreError && (error.reason === 'unreachable' || error.reason === 'connection'));
}

function isRefused(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === REFUSED;
}

