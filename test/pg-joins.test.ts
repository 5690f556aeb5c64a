// Joins, delays and keys held only while their job is unsettled (issue #19), in PostgreSQL: the
// shared store's work source (claims and commits, called here as the engine calls them), the
// exclusive store's rows, keyed(prefix), and the migration from version 3 to 4.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { type Job, type KickRecord, Processor, Run, type StoreRecord, type TransitionRecord, workflow } from '../src/index.js';
import type { CommitChoices, WorkSource, WorkState } from '../src/model/work-source.js';
import { internalsOf } from '../src/model/run.js';
import { PG_SCHEMA_VERSION, PgStore } from '../src/postgres/index.js';
import { migrate } from '../src/postgres/pg-schema.js';
import { usePostgresServer } from './support/postgres-server.js';

const server = usePostgresServer();

interface JC {
  readonly n: number;
}

/** a: where jobs start; c: children; join / joinf: join states (joinf with a failState); w, v: plain states; done: terminal. */
const STATES: readonly WorkState[] = [
  { name: 'a', terminal: false, concurrency: 4 },
  { name: 'c', terminal: false, concurrency: 20 },
  { name: 'join', terminal: false, concurrency: 4, join: {} },
  { name: 'joinf', terminal: false, concurrency: 4, join: { failState: 'partial' } },
  { name: 'w', terminal: false, concurrency: 4 },
  { name: 'v', terminal: false, concurrency: 4 },
  { name: 'partial', terminal: true, concurrency: 0 },
  { name: 'done', terminal: true, concurrency: 0 },
];

/** A process of a shared run, driven by hand: a store, its run and its work source. */
interface Member {
  readonly store: PgStore<object, JC>;
  readonly run: Run<object, JC>;
  readonly source: WorkSource<JC>;
  /** Claims up to `jobs` of `state`'s waiting jobs; the claimed jobs become this process's (as the engine holds them). */
  claim(state: string, jobs?: number): ReturnType<WorkSource<JC>['claim']>;
  /** Commits the records; keeps nothing unless told; returns the ids the commit found taken. */
  commit(records: readonly StoreRecord<JC>[], keep?: CommitChoices['keep']): Promise<string[]>;
}

/** Opens a shared store on `name`: the first one writes the run (with `seed`'s jobs), later ones load it. */
async function member(name: string, seed?: (run: Run<object, JC>) => void): Promise<Member> {
  const store = new PgStore<object, JC>({ connectionString: server().url(), run: name, leaseMs: 5_000 });
  let run = await store.load();
  if (run === undefined) {
    run = new Run<object, JC>(name, {});
    seed?.(run);
    await store.checkpoint(run, 'start');
  }
  const source = store.workSource(STATES) as WorkSource<JC>;
  const own = internalsOf<JC>(run);
  const held = run;
  return {
    store,
    run: held,
    source,
    claim: async (state, jobs = 64) => {
      const claimed = await source.claim({ state, jobs, busy: 0, running: 0, cap: 4 });
      for (const job of claimed.jobs) own.jobs.set(job.id, job as never);
      return claimed;
    },
    commit: async (records, keep = () => false) => {
      const existed: string[] = [];
      await source.commit(records, { keep, existed: (id) => existed.push(id) });
      return existed;
    },
  };
}

function move(job: Job<JC>, to: string, extra: Partial<TransitionRecord<JC>> = {}): TransitionRecord<JC> {
  return { type: 'transition', id: job.id, from: job.state, to, jc: job.jc, at: Date.now(), ...extra };
}

function kick(id: string, state: string, extra: Partial<KickRecord<JC>> = {}): KickRecord<JC> {
  return { id, state, jc: { n: 0 }, ...extra };
}

async function row(name: string, id: string): Promise<Record<string, unknown> | undefined> {
  const found = await server().sql('SELECT id, state, settled, failed, due_at, key, key_scope, lease_owner FROM jorb.jobs WHERE run = $1 AND id = $2', [name, id]);
  return found[0];
}

async function close(...members: Member[]): Promise<void> {
  for (const m of members) await m.store.close();
}

describe('delays in a shared run', () => {
  it('a claim takes only jobs that are due, and says when the next one is; once due it is claimed, and its due time is gone', async () => {
    const now = Date.now();
    const m = await member('delay-claim', (run) => {
      run.add({ n: 1 }, 'w', { id: 'now' });
      run.add({ n: 2 }, 'w', { id: 'soon', delayMs: 300 });
      run.add({ n: 3 }, 'w', { id: 'later', delayMs: 60_000 });
    });
    const soon = Number((await row('delay-claim', 'soon'))?.['due_at']);
    expect(soon).toBeGreaterThanOrEqual(now + 300);
    const first = await m.claim('w');
    expect(first.jobs.map((j) => j.id)).toEqual(['now']);
    expect(first.nextDueAt).toBe(soon);
    expect(await m.source.unsettled()).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, soon - Date.now() + 5)));
    const second = await m.claim('w');
    expect(second.jobs.map((j) => j.id)).toEqual(['soon']);
    expect(second.jobs[0]?.dueAt).toBeUndefined();
    expect(second.nextDueAt).toBe(Number((await row('delay-claim', 'later'))?.['due_at']));
    expect((await row('delay-claim', 'soon'))?.['due_at']).toBeNull();
    expect((await m.claim('w')).jobs).toEqual([]);
    await close(m);
  });

  it('a transition with a dueAt waits in its new state until then (kept or not); one without clears an earlier due time', async () => {
    const m = await member('delay-move', (run) => {
      run.add({ n: 1 }, 'w', { id: 'x' });
      run.add({ n: 2 }, 'w', { id: 'y' });
    });
    const [x, y] = (await m.claim('w')).jobs as [Job<JC>, Job<JC>];
    const due = Date.now() + 250;
    const kept: [string, string, number | undefined][] = [];
    // x moves on delayed and is let go of; y moves on delayed and stays with this process (the engine waits it out).
    await m.commit([move(x, 'v', { dueAt: due }), move(y, 'v', { dueAt: due })], (id, state, dueAt) => {
      kept.push([id, state, dueAt]);
      return id === 'y';
    });
    expect(kept).toEqual([
      ['x', 'v', due],
      ['y', 'v', due],
    ]);
    expect(await row('delay-move', 'x')).toMatchObject({ state: 'v', due_at: due, lease_owner: null });
    const early = await m.claim('v');
    expect(early.jobs).toEqual([]);
    expect(early.nextDueAt).toBe(due); // x's: y is this process's
    // y's next transition has no dueAt: its row's due time is cleared.
    const yNow = internalsOf<JC>(m.run).jobs.get('y') as Job<JC>;
    await m.commit([{ ...move({ ...yNow, state: 'v' }, 'w') }]);
    expect(await row('delay-move', 'y')).toMatchObject({ state: 'w', due_at: null });
    expect((await m.claim('w')).jobs.map((j) => j.id)).toEqual(['y']);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now() + 5)));
    const late = await m.claim('v');
    expect(late.jobs.map((j) => j.id)).toEqual(['x']);
    expect(late.nextDueAt).toBeUndefined();
    await close(m);
  });

  it('kicks with a delay are written with their due time and claimed once due', async () => {
    const m = await member('delay-kick', (run) => run.add({ n: 1 }, 'a', { id: 'p' }));
    const [p] = (await m.claim('a')).jobs as [Job<JC>];
    const due = Date.now() + 200;
    await m.commit([move(p, 'done', { kicks: [kick('p->0', 'w', { dueAt: due }), kick('p->1', 'w')] })]);
    const first = await m.claim('w');
    expect(first.jobs.map((j) => j.id)).toEqual(['p->1']);
    expect(first.nextDueAt).toBe(due);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now() + 5)));
    expect((await m.claim('w')).jobs.map((j) => j.id)).toEqual(['p->0']);
    await close(m);
  });
});

describe('joins in a shared run', () => {
  it('a parent in a join state is not claimed until every child settled (in any process), then comes with its children in kick order', async () => {
    const name = 'join-wait';
    const a = await member(name, (run) => run.add({ n: 1 }, 'a', { id: 'p' }));
    const b = await member(name);
    const [p] = (await a.claim('a')).jobs as [Job<JC>];
    // Twelve children, kicked in reverse (so the run's order is not kick order): 'p->2' comes before 'p->10' all the same.
    const kicks = Array.from({ length: 12 }, (_, i) => kick(`p->${11 - i}`, 'c', { jc: { n: 11 - i } }));
    await a.commit([move(p, 'join', { kicks })]);
    expect(await row(name, 'p')).toMatchObject({ state: 'join', lease_owner: null });
    expect((await a.claim('join')).jobs).toEqual([]);
    expect((await b.claim('join')).jobs).toEqual([]);
    // b runs the children: all but one settle; the parent still waits.
    const children = (await b.claim('c')).jobs;
    expect(children).toHaveLength(12);
    const last = children.find((c) => c.id === 'p->7') as Job<JC>;
    await b.commit(children.filter((c) => c !== last).map((c) => move(c, 'done', { jc: { n: c.jc.n * 10 } })));
    expect((await a.claim('join')).jobs).toEqual([]);
    // The last child settles in b: a is woken (a notification), and the parent is claimable.
    let woken = 0;
    const off = a.source.onWake(() => woken++);
    await b.commit([move(last, 'done', { jc: { n: 70 } })]);
    const deadline = Date.now() + 2_000;
    while (woken === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    off();
    expect(woken).toBeGreaterThan(0);
    const claimed = await a.claim('join');
    expect(claimed.jobs.map((j) => j.id)).toEqual(['p']);
    const got = claimed.children?.get('p') ?? [];
    expect(got.map((c) => c.id)).toEqual(Array.from({ length: 12 }, (_, i) => `p->${i}`));
    expect(got.map((c) => [c.state, c.jc.n, c.parentId])).toEqual(Array.from({ length: 12 }, (_, i) => ['done', i * 10, 'p']));
    expect(claimed.children?.size).toBe(1);
    await close(a, b);
  });

  it('a parent with no children passes its join at once; a plain state claims give no children', async () => {
    const m = await member('join-none', (run) => {
      run.add({ n: 1 }, 'join', { id: 'lonely' });
      run.add({ n: 2 }, 'w', { id: 'plain' });
    });
    const claimed = await m.claim('join');
    expect(claimed.jobs.map((j) => j.id)).toEqual(['lonely']);
    expect(claimed.children?.get('lonely')).toEqual([]);
    const plain = await m.claim('w');
    expect(plain.jobs.map((j) => j.id)).toEqual(['plain']);
    expect(plain.children).toBeUndefined();
    await close(m);
  });

  it("with a failState, the parent is claimable as soon as one child failed, with every child as it is; without one it waits for all", async () => {
    const name = 'join-fail';
    const m = await member(name, (run) => {
      run.add({ n: 1 }, 'a', { id: 'f' });
      run.add({ n: 2 }, 'a', { id: 'g' });
    });
    const [f, g] = (await m.claim('a')).jobs as [Job<JC>, Job<JC>];
    await m.commit([
      move(f, 'joinf', { kicks: [kick('f->0', 'c'), kick('f->1', 'c'), kick('f->2', 'c')] }),
      move(g, 'join', { kicks: [kick('g->0', 'c'), kick('g->1', 'c')] }),
    ]);
    const children = (await m.claim('c')).jobs;
    const byId = new Map(children.map((c) => [c.id, c]));
    // f->1 and g->0 fail (they stay in c, marked failed): settled, but failed.
    await m.commit([move(byId.get('f->1') as Job<JC>, 'c', { failed: true, error: 'boom' }), move(byId.get('g->0') as Job<JC>, 'c', { failed: true, error: 'boom' })]);
    expect(await row(name, 'f->1')).toMatchObject({ failed: true, settled: true });
    const failed = await m.claim('joinf');
    expect(failed.jobs.map((j) => j.id)).toEqual(['f']);
    expect(failed.children?.get('f')?.map((c) => [c.id, c.failed === true])).toEqual([
      ['f->0', false],
      ['f->1', true],
      ['f->2', false],
    ]);
    // g (no failState) still waits for g->1.
    expect((await m.claim('join')).jobs).toEqual([]);
    await m.commit([move(byId.get('g->1') as Job<JC>, 'done')]);
    const joined = await m.claim('join');
    expect(joined.jobs.map((j) => j.id)).toEqual(['g']);
    expect(joined.children?.get('g')?.map((c) => [c.id, c.state, c.failed === true])).toEqual([
      ['g->0', 'c', true],
      ['g->1', 'done', false],
    ]);
    await close(m);
  });
});

describe("keys held while their job is unsettled ('unsettled' scope), in a shared run", () => {
  it('a kick whose scoped key an unsettled job holds is dropped; once that job settled, the same key makes a new job', async () => {
    const name = 'scoped-kick';
    const m = await member(name, (run) => {
      run.add({ n: 1 }, 'a', { id: 's' });
      run.add({ n: 2 }, 'w', { id: 'holder', key: 'sync:1', keyScope: 'unsettled' });
      run.add({ n: 3 }, 'w', { id: 'forever', key: 'once' });
    });
    expect(await row(name, 'holder')).toMatchObject({ key: 'sync:1', key_scope: 'unsettled' });
    const [s] = (await m.claim('a')).jobs as [Job<JC>];
    // A kick with the held key, and one with a run-scoped key: both dropped.
    const dropped = await m.commit([move(s, 'a', { kicks: [kick('s->0', 'w', { key: 'sync:1', keyScope: 'unsettled' }), kick('s->1', 'w', { key: 'once', keyScope: 'unsettled' })] })], () => true);
    expect(dropped.sort()).toEqual(['s->0', 's->1']);
    const held = (await m.claim('w')).jobs;
    expect(held.map((j) => [j.id, j.key, j.keyScope])).toEqual([
      ['holder', 'sync:1', 'unsettled'],
      ['forever', 'once', undefined],
    ]);
    // Both holders settle; the scoped key is free again, the run-scoped one is not.
    await m.commit(held.map((j) => move(j, 'done')));
    const sNow = internalsOf<JC>(m.run).jobs.get('s') as Job<JC>;
    const again = await m.commit([move({ ...sNow, state: 'a' }, 'done', { kicks: [kick('s->2', 'w', { key: 'sync:1', keyScope: 'unsettled' }), kick('s->3', 'w', { key: 'once' })] })]);
    expect(again).toEqual(['s->3']);
    expect(await server().sql("SELECT id, settled FROM jorb.jobs WHERE run = $1 AND key = 'sync:1' ORDER BY ord", [name])).toEqual([
      { id: 'holder', settled: true },
      { id: 's->2', settled: false },
    ]);
    await close(m);
  });

  it('a job that settles and a kick with its key in the same batch: the key is free for the kick', async () => {
    const name = 'scoped-same-batch';
    const m = await member(name, (run) => {
      run.add({ n: 1 }, 'a', { id: 't', key: 'tick', keyScope: 'unsettled' });
    });
    const [t] = (await m.claim('a')).jobs as [Job<JC>];
    const dropped = await m.commit([move(t, 'done', { kicks: [kick('t->0', 'a', { key: 'tick', keyScope: 'unsettled' })] })]);
    expect(dropped).toEqual([]);
    expect((await server().sql<{ id: string }>("SELECT id FROM jorb.jobs WHERE run = $1 AND key = 'tick' AND NOT settled", [name])).map((r) => r.id)).toEqual(['t->0']);
    await close(m);
  });

  it('two processes kicking the same scoped key at the same moment make one job', async () => {
    const name = 'scoped-race';
    const a = await member(name, (run) => {
      for (let i = 0; i < 20; i++) run.add({ n: i }, 'a', { id: `s${i}` });
    });
    const b = await member(name);
    const mine = (await a.claim('a', 10)).jobs;
    const theirs = (await b.claim('a', 10)).jobs;
    expect(mine.length + theirs.length).toBe(20);
    // Each of the 20 parents kicks the keys k0..k4; all commits race.
    const batch = (jobs: readonly Job<JC>[]) => jobs.map((j) => move(j, 'done', { kicks: Array.from({ length: 5 }, (_, i) => kick(`${j.id}->${i}`, 'w', { key: `k${i}`, keyScope: 'unsettled' })) }));
    const results = await Promise.all([...mine.map((j) => a.commit(batch([j]))), ...theirs.map((j) => b.commit(batch([j])))]);
    expect(results.flat()).toHaveLength(20 * 5 - 5);
    expect(await server().sql("SELECT key, count(*)::int AS n FROM jorb.jobs WHERE run = $1 AND key IS NOT NULL GROUP BY key ORDER BY key", [name])).toEqual(
      Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, n: 1 })),
    );
    await close(a, b);
  });

  it('adds with a scoped key: dropped while it is held, a new job once its holder settled', async () => {
    const name = 'scoped-add';
    const m = await member(name, (run) => run.add({ n: 1 }, 'w', { id: 'first', key: 'daily', keyScope: 'unsettled' }));
    const added = (id: string): StoreRecord<JC> => ({
      type: 'add',
      job: { id, state: 'w', jc: { n: 2 }, key: 'daily', keyScope: 'unsettled', errors: {}, history: [{ state: 'w', at: Date.now() }], updatedAt: Date.now() },
    });
    await m.store.append([added('second')]);
    expect(await row(name, 'second')).toBeUndefined();
    const [first] = (await m.claim('w')).jobs as [Job<JC>];
    await m.commit([move(first, 'done')]);
    await m.store.append([added('third')]);
    expect(await row(name, 'third')).toMatchObject({ key: 'daily', key_scope: 'unsettled', settled: false });
    await close(m);
  });
});

describe('keyed(prefix)', () => {
  it("counts the run's jobs whose key starts with the prefix (LIKE's % and _ taken literally), with the greatest key and whether it settled", async () => {
    const name = 'keyed';
    const m = await member(name, (run) => {
      run.add({ n: 1 }, 'w', { id: 't1', key: 'tick:001', keyScope: 'unsettled' });
      run.add({ n: 2 }, 'w', { id: 't2', key: 'tick:002', keyScope: 'unsettled' });
      run.add({ n: 3 }, 'w', { id: 't10', key: 'tick:010', keyScope: 'unsettled' });
      run.add({ n: 4 }, 'w', { id: 'o', key: 'tock:999' });
      run.add({ n: 5 }, 'w', { id: 'u', key: 'tick_x' });
      run.add({ n: 6 }, 'w', { id: 'p', key: '50%:a' });
      run.add({ n: 7 }, 'w', { id: 'nokey' });
    });
    expect(await m.source.keyed('tick:')).toEqual({ count: 3, last: { key: 'tick:010', settled: false } });
    expect(await m.source.keyed('tick_')).toEqual({ count: 1, last: { key: 'tick_x', settled: false } });
    expect(await m.source.keyed('50%')).toEqual({ count: 1, last: { key: '50%:a', settled: false } });
    expect(await m.source.keyed('5%')).toEqual({ count: 0 });
    expect(await m.source.keyed('nothing')).toEqual({ count: 0 });
    expect((await m.source.keyed('')).count).toBe(6);
    const jobs = (await m.claim('w')).jobs;
    await m.commit(jobs.filter((j) => j.id === 't10').map((j) => move(j, 'done')));
    expect(await m.source.keyed('tick:')).toEqual({ count: 3, last: { key: 'tick:010', settled: true } });
    // The key is free again: a second job with it is counted, and the greatest key is unsettled while it is.
    await m.store.append([{ type: 'add', job: { id: 't10b', state: 'w', jc: { n: 8 }, key: 'tick:010', keyScope: 'unsettled', errors: {}, history: [], updatedAt: Date.now() } }]);
    expect(await m.source.keyed('tick:')).toEqual({ count: 4, last: { key: 'tick:010', settled: false } });
    await close(m);
  });
});

describe('the exclusive store', () => {
  it('writes and loads due times and key scopes; a job in a terminal state is written settled, so its scoped key is free again', async () => {
    const url = server().url();
    const wf = workflow<object, object, JC>('ex').state('w').to('done').exec(({ jc }) => ({ state: 'done', jc })).terminal('done').build();
    const store = new PgStore<object, JC>({ exclusive: true, connectionString: url, run: 'ex' });
    const due = Date.now() + 60_000.5;
    const run = wf.newRun('ex', {}).add({ n: 1 }, 'w', { id: 'k', key: 'slot', keyScope: 'unsettled' });
    await store.checkpoint(run);
    await store.append([
      { type: 'transition', id: 'k', from: 'w', to: 'done', jc: { n: 1 }, at: Date.now() },
      { type: 'add', job: { id: 'k2', state: 'w', jc: { n: 2 }, key: 'slot', keyScope: 'unsettled', dueAt: due, errors: {}, history: [{ state: 'w', at: 1 }], updatedAt: 1 } },
    ]);
    expect(await row('ex', 'k')).toMatchObject({ state: 'done', settled: true });
    expect(await row('ex', 'k2')).toMatchObject({ settled: false, due_at: due, key_scope: 'unsettled' });
    await store.close();
    const again = new PgStore<object, JC>({ exclusive: true, connectionString: url, run: 'ex' });
    const loaded = await again.load(wf);
    const k2 = loaded?.jobs.get('k2');
    expect(k2?.dueAt).toBe(due);
    expect(k2?.keyScope).toBe('unsettled');
    expect(loaded?.jobs.get('k')?.keyScope).toBe('unsettled');
    expect(loaded?.jobs.get('k')?.dueAt).toBeUndefined();
    await again.close();
  });

  it('rows a store wrote without knowing the terminal states are marked settled by the next store that knows them', async () => {
    const url = server().url();
    const wf = workflow<object, object, JC>('ex2').state('w').to('done').exec(({ jc }) => ({ state: 'done', jc })).terminal('done').build();
    const blind = new PgStore<object, JC>({ exclusive: true, connectionString: url, run: 'ex2' });
    const run = new Run<object, JC>('ex2', {}).add({ n: 1 }, 'w', { id: 'k', key: 'slot', keyScope: 'unsettled' });
    await blind.checkpoint(run);
    await blind.append([{ type: 'transition', id: 'k', from: 'w', to: 'done', jc: { n: 1 }, at: Date.now() }]);
    expect(await row('ex2', 'k')).toMatchObject({ state: 'done', settled: false });
    await blind.close();
    const knowing = new PgStore<object, JC>({ exclusive: true, connectionString: url, run: 'ex2' });
    await knowing.load(wf);
    await knowing.append([{ type: 'add', job: { id: 'k2', state: 'w', jc: { n: 2 }, key: 'slot', keyScope: 'unsettled', errors: {}, history: [], updatedAt: 1 } }]);
    expect(await row('ex2', 'k')).toMatchObject({ settled: true });
    expect(await row('ex2', 'k2')).toMatchObject({ settled: false, key: 'slot' });
    await knowing.close();
  });
});

describe('the migration from version 3 (to 4 and on)', () => {
  it('adds due_at and key_scope and rebuilds the indexes; rows written at version 3 load as they were, and a read-only store reads a version 3 schema unmigrated', async () => {
    expect(PG_SCHEMA_VERSION).toBe(5);
    const client = new pg.Client({ connectionString: server().url() });
    await client.connect();
    await migrate(client, 'old_v3', 'postgres', 3);
    await client.end();
    await server().sql(`INSERT INTO old_v3.runs (name, run_name, oc, next_id, next_ord) VALUES ('r', 'r', '{}', 2, 2)`);
    await server().sql(
      `INSERT INTO old_v3.jobs (run, id, ord, state, jc, history, updated_at, key, settled) VALUES ('r', '0', 0, 'w', '{"n":1}', '[{"state":"w","at":1}]', 1, 'a', false), ('r', '1', 1, 'done', '{"n":2}', '[{"state":"done","at":1}]', 1, 'b', true)`,
    );
    const reader = new PgStore<object, JC>({ readOnly: true, connectionString: server().url(), run: 'r', schema: 'old_v3' });
    expect([...((await reader.load())?.jobs.values() ?? [])].map((j) => [j.id, j.key, j.dueAt])).toEqual([
      ['0', 'a', undefined],
      ['1', 'b', undefined],
    ]);
    await reader.close();
    expect((await server().sql<{ version: number }>('SELECT max(version) AS version FROM old_v3.schema_version'))[0]?.version).toBe(3);
    const store = new PgStore<object, JC>({ exclusive: true, connectionString: server().url(), run: 'r', schema: 'old_v3' });
    const run = await store.load();
    expect([...(run?.jobs.values() ?? [])].map((j) => [j.id, j.state, j.key, j.keyScope, j.dueAt])).toEqual([
      ['0', 'w', 'a', undefined, undefined],
      ['1', 'done', 'b', undefined, undefined],
    ]);
    expect((await server().sql<{ version: number }>('SELECT version FROM old_v3.schema_version ORDER BY version')).map((v) => v.version)).toEqual([1, 2, 3, 4, 5]);
    const columns = await server().sql<{ column_name: string; data_type: string }>(
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'old_v3' AND table_name = 'jobs' AND column_name IN ('due_at', 'key_scope') ORDER BY column_name",
    );
    expect(columns).toEqual([
      { column_name: 'due_at', data_type: 'double precision' },
      { column_name: 'key_scope', data_type: 'text' },
    ]);
    const indexes = await server().sql<{ indexname: string; indexdef: string }>("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'old_v3' AND tablename = 'jobs' ORDER BY indexname");
    expect(indexes.map((i) => i.indexname)).toEqual(['jobs_children', 'jobs_due', 'jobs_pkey', 'jobs_run_key', 'jobs_run_ord', 'jobs_waiting']);
    expect(indexes.find((i) => i.indexname === 'jobs_run_key')?.indexdef).toMatch(/UNIQUE[\s\S]*CASE\s+WHEN \(\(key_scope IS NULL\) OR \(NOT settled\)\)/);
    // A run-scoped key written at version 3 is held as it was.
    await expect(server().sql(`INSERT INTO old_v3.jobs (run, id, ord, state, jc, updated_at, key, settled) VALUES ('r', '2', 2, 'w', '{}', 1, 'b', false)`)).rejects.toThrow(/jobs_run_key/);
    await store.close();
  });
});

describe('end to end: two processes on one shared run', () => {
  interface EJC {
    readonly n: number;
    readonly at?: number;
  }

  it('20 parents × 10 children across 2 processes: every parent’s join exec runs once, with its 10 children settled, in kick order', async () => {
    const name = 'e2e-join';
    const merged: { id: string; children: string[]; states: string[]; values: number[] }[] = [];
    const ran = new Map<string, number>();
    const wf = workflow<object, object, EJC>('e2e-join')
      .state('split', { concurrency: 4 })
      .to('merge')
      .spawns('work')
      .exec(({ jc }) => ({ state: 'merge', jc, kicks: Array.from({ length: 10 }, (_, i) => ({ state: 'work' as const, jc: { n: jc.n * 100 + i } })) }))
      .state('work', { concurrency: 6 })
      .to('worked')
      .exec(async ({ jc }) => {
        await new Promise((resolve) => setTimeout(resolve, 1 + (jc.n % 5)));
        return { state: 'worked', jc: { n: jc.n * 2 } };
      })
      .state('merge', { join: true, concurrency: 2 })
      .to('done')
      .exec(({ jc, job, children }) => {
        ran.set(job.id, (ran.get(job.id) ?? 0) + 1);
        merged.push({ id: job.id, children: children.map((c) => c.id), states: children.map((c) => `${c.state}${c.failed ? '!' : ''}`), values: children.map((c) => c.jc.n) });
        return { state: 'done', jc };
      })
      .terminal('worked', 'done')
      .build();
    const open = async () => {
      const store = new PgStore<object, EJC>({ connectionString: server().url(), run: name });
      let run = await store.load(wf);
      if (run === undefined) {
        run = wf.newRun(name, {});
        for (let i = 0; i < 20; i++) run.add({ n: i }, 'split', { id: `p${i}` });
      }
      return { store, run };
    };
    const [a, b] = await Promise.all([open(), open()]);
    const results = await Promise.all([new Processor(wf, {}, { store: a.store }).exec(a.run), new Processor(wf, {}, { store: b.store }).exec(b.run)]);
    for (const result of results) expect(result.outcome).toBe('complete');
    expect(results.map((r) => r.transitions).reduce((x, y) => x + y)).toBe(20 * 2 + 200);
    expect(results.every((r) => r.transitions > 0)).toBe(true);
    expect([...ran.values()].every((n) => n === 1)).toBe(true);
    expect(merged.map((m) => m.id).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `p${i}`).sort());
    for (const m of merged) {
      const i = Number(m.id.slice(1));
      expect(m.children).toEqual(Array.from({ length: 10 }, (_, k) => `${m.id}->${k}`));
      expect(m.states).toEqual(Array.from({ length: 10 }, () => 'worked'));
      expect(m.values).toEqual(Array.from({ length: 10 }, (_, k) => (i * 100 + k) * 2));
    }
    const left = await server().sql<{ n: string }>('SELECT count(*) AS n FROM jorb.jobs WHERE run = $1 AND (NOT settled OR lease_owner IS NOT NULL)', [name]);
    expect(Number(left[0]?.n)).toBe(0);
    await Promise.all([a.store.close(), b.store.close()]);
  }, 60_000);

  it('delayed jobs run no earlier than their due time, in whichever process', async () => {
    const name = 'e2e-delay';
    const due = new Map<string, number>();
    const started = new Map<string, number>();
    const wf = workflow<object, object, EJC>('e2e-delay')
      .state('start', { concurrency: 4 })
      .to('wait')
      .spawns('wait')
      .exec(({ jc, job }) => {
        const delayMs = 100 + (jc.n % 4) * 100;
        const now = Date.now();
        due.set(job.id, now + delayMs);
        due.set(`${job.id}->0`, now + 2 * delayMs);
        return { state: 'wait', jc: { n: jc.n }, delayMs, kicks: [{ state: 'wait' as const, jc: { n: jc.n + 1000 }, delayMs: 2 * delayMs }] };
      })
      .state('wait', { concurrency: 4 })
      .to('done')
      .exec(({ jc, job }) => {
        started.set(job.id, Date.now());
        return { state: 'done', jc };
      })
      .terminal('done')
      .build();
    const open = async () => {
      const store = new PgStore<object, EJC>({ connectionString: server().url(), run: name });
      let run = await store.load(wf);
      if (run === undefined) {
        run = wf.newRun(name, {});
        for (let i = 0; i < 12; i++) run.add({ n: i }, 'start', { id: `s${i}` });
        // Both processes may make the run (they merge): the job is one of theirs, due no earlier than either's clock said.
        const before = Date.now();
        run.add({ n: 99 }, 'wait', { id: 'added', delayMs: 300 });
        due.set('added', Math.min(due.get('added') ?? Infinity, before + 300));
      }
      return { store, run };
    };
    const [a, b] = await Promise.all([open(), open()]);
    const results = await Promise.all([new Processor(wf, {}, { store: a.store }).exec(a.run), new Processor(wf, {}, { store: b.store }).exec(b.run)]);
    for (const result of results) expect(result.outcome).toBe('complete');
    expect(started.size).toBe(12 * 2 + 1);
    for (const [id, at] of started) expect(at, id).toBeGreaterThanOrEqual((due.get(id) as number) - 1); // a due time is counted from the transition, a moment after the exec read the clock
    // ...and not much later: a claim comes when the next job falls due.
    const late = [...started].map(([id, at]) => at - (due.get(id) as number));
    expect(Math.max(...late)).toBeLessThan(1_500);
    await Promise.all([a.store.close(), b.store.close()]);
  }, 60_000);
});
