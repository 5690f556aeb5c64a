/**
 * asyncjob's SQL summary job (github.com/Azure/go-asyncjob) as a jorb-ts workflow: get a
 * connection, check the user may read, query two tables in parallel, summarise once both answered,
 * and send a notification.
 *
 *   connect ──▶ authorize ──▶ summarize ──▶ notify ──▶ done | incomplete
 *                   │  ┊ kicks     ▲  a join: waits, holding no slot, until both queries settled
 *                   │  ┊           ┊
 *                   │  └┄┄▶ query ──▶ queried      one child job per table, run side by side
 *                   └──▶ denied
 *
 * What asyncjob writes as a graph of steps (StepAfterBoth) is here a job whose children are the
 * parallel steps: `authorize` kicks one `query` job per table, the parent waits in `summarize`
 * (declared `{ join: … }`), and its exec gets the children, settled, in the order they were kicked —
 * typed: `c.jc` is a JC. A query that fails for good sends the parent straight to `notify` with the
 * failure (`join: { failState: 'notify' }`), without running `summarize`.
 *
 * The services (a warehouse, an auth service, a mailer) are simulated in-process, with a few ms of
 * latency. The live connection stays in the app context; the job context keeps only its id, since
 * a job context is JSON that a store can keep.
 *
 * Run it with `npx tsx examples/sql-summary.ts` (`--help` lists the flags; `--break refunds` shows a
 * failed query).
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Processor, workflow, type ChildResult } from '../src/index.js';

/** One table query: which table, for which day. */
export interface Query {
  readonly table: string;
  readonly day: string;
}

/** What one table query found: its rows and the sum of their amounts, in cents. */
export interface TableResult {
  readonly table: string;
  readonly rows: number;
  readonly cents: number;
}

/** The summary of a day: both tables and the net amount (orders minus refunds), in cents. */
export interface Summary {
  readonly day: string;
  readonly orders: TableResult;
  readonly refunds: TableResult;
  readonly netCents: number;
}

/**
 * The job context: one "wide table" for the summary job and its query children. The request is
 * `server`, `user`, `day` and `notify`; the states fill in the rest.
 */
export type JC = {
  server: string;
  user: string;
  day: string;
  /** Where the notification goes. */
  notify: string;
  /** The id of the connection `connect` opened (the connection itself lives in the app context). */
  connection?: string;
  /** A query job's own query. */
  query?: Query;
  /** What a query job found. */
  result?: TableResult;
  summary?: Summary;
  /** The id of the notification sent. */
  notice?: string;
};

/** One thing a simulated service did, `ms` after the services were made. */
export interface ServiceEvent {
  readonly ms: number;
  readonly text: string;
}

/** A mail the mailer sent. */
export interface Mail {
  readonly id: string;
  readonly to: string;
  readonly subject: string;
  readonly body: string;
}

/** The rows of the simulated warehouse: amounts in cents, by table and day. */
const ROWS: Readonly<Record<string, Readonly<Record<string, readonly number[]>>>> = {
  orders: { '2026-05-01': [12_000, 7_550, 4_200, 31_000, 1_825], '2026-05-02': [9_900, 2_500] },
  refunds: { '2026-05-01': [4_200, 1_825], '2026-05-02': [] },
};

/** The simulated services, each call a few ms of real latency, each logged in `events`. */
export class Services {
  readonly events: ServiceEvent[] = [];
  readonly mail: Mail[] = [];
  readonly #start = performance.now();
  readonly #connections = new Map<string, string>();
  readonly #broken: ReadonlySet<string>;
  readonly #readers: ReadonlySet<string>;
  /** Latency of a query, by table (ms): the first table answers last, so the join's order is not the finishing order. */
  readonly #queryMs: Readonly<Record<string, number>> = { orders: 30, refunds: 5 };

  constructor(options: { readonly brokenTables?: readonly string[]; readonly readers?: readonly string[] } = {}) {
    this.#broken = new Set(options.brokenTables ?? []);
    this.#readers = new Set(options.readers ?? ['ana']);
  }

  /** Opens a connection to `server` and returns its id. */
  async connect(server: string, signal: AbortSignal): Promise<string> {
    await wait(3, signal);
    const id = `conn-${this.#connections.size + 1}`;
    this.#connections.set(id, server);
    this.#log(`connect ${server}: ${id}`);
    return id;
  }

  /** Whether `user` may read the server's tables. */
  async mayRead(user: string, signal: AbortSignal): Promise<boolean> {
    await wait(2, signal);
    const granted = this.#readers.has(user);
    this.#log(`auth ${user}: ${granted ? 'read granted' : 'denied'}`);
    return granted;
  }

  /** Runs one query on an open connection. */
  async query(connection: string, query: Query, signal: AbortSignal): Promise<TableResult> {
    const server = this.#connections.get(connection);
    if (server === undefined) throw new Error(`no open connection ${connection}`);
    this.#log(`query ${query.table} started`);
    await wait(this.#queryMs[query.table] ?? 10, signal);
    if (this.#broken.has(query.table)) {
      this.#log(`query ${query.table} failed`);
      throw new Error(`relation "${query.table}" is locked`);
    }
    const rows = ROWS[query.table]?.[query.day] ?? [];
    this.#log(`query ${query.table}: ${rows.length} rows`);
    return { table: query.table, rows: rows.length, cents: rows.reduce((sum, cents) => sum + cents, 0) };
  }

  /** Sends a mail and returns its id. */
  async send(to: string, subject: string, body: string, signal: AbortSignal): Promise<string> {
    await wait(2, signal);
    const id = `mail-${this.mail.length + 1}`;
    this.mail.push({ id, to, subject, body });
    this.#log(`mail to ${to}: ${subject}`);
    return id;
  }

  /** Notes a step that calls no service (the summary), so it shows among the events. */
  note(text: string): void {
    this.#log(text);
  }

  #log(text: string): void {
    this.events.push({ ms: Math.round(performance.now() - this.#start), text });
  }
}

export type AC = { services: Services };

export const sqlSummary = workflow<AC, object, JC>('sql-summary')
  .state('connect', { retry: { attempts: 3, backoff: { initialMs: 10 } } })
  .to('authorize')
  .exec(async ({ ac, jc, signal }) => ({ state: 'authorize', jc: { ...jc, connection: await ac.services.connect(jc.server, signal) } }))
  .state('authorize')
  .to('summarize', 'denied')
  .spawns('query')
  .exec(async ({ ac, jc, signal, kick }) => {
    if (!(await ac.services.mayRead(jc.user, signal))) return { state: 'denied', jc, error: `${jc.user} may not read ${jc.server}` };
    // Both queries at once, as children; the parent waits for them in summarize.
    const kicks = ['orders', 'refunds'].map((table) => kick({ state: 'query', jc: { ...jc, query: { table, day: jc.day } } }));
    return { state: 'summarize', jc, kicks };
  })
  // A failed query is retried once; after that the child stops, marked failed.
  .state('query', { concurrency: 4, retry: { attempts: 2, backoff: { initialMs: 5 } } })
  .to('queried')
  .exec(async ({ ac, jc, signal }) => {
    if (jc.connection === undefined || jc.query === undefined) throw new Error('a query job needs a connection and a query');
    return { state: 'queried', jc: { ...jc, result: await ac.services.query(jc.connection, jc.query, signal) } };
  })
  // The join: runs once both children settled; a child that failed sends the job to notify at once.
  .state('summarize', { join: { failState: 'notify' } })
  .to('notify')
  .exec(({ ac, jc, children }) => {
    const [orders, refunds] = children.map((child) => resultOf(child)); // kick order: orders, then refunds
    if (orders === undefined || refunds === undefined) throw new Error(`expected 2 query children, got ${children.length}`);
    const summary: Summary = { day: jc.day, orders, refunds, netCents: orders.cents - refunds.cents };
    ac.services.note(`summarize: net ${dollars(summary.netCents)}`);
    return { state: 'notify', jc: { ...jc, summary } };
  })
  .state('notify', { retry: { attempts: 3, backoff: { initialMs: 10 } } })
  .to('done', 'incomplete')
  .exec(async ({ ac, jc, job, signal }) => {
    const { summary } = jc;
    if (summary === undefined) {
      // Routed here by the join's failState: the error it recorded names the failed child.
      const why = job.errors['summarize']?.at(-1) ?? 'no summary';
      const notice = await ac.services.send(jc.notify, `Sales ${jc.day}: no summary`, why, signal);
      return { state: 'incomplete', jc: { ...jc, notice } };
    }
    const body = [
      `orders:  ${summary.orders.rows} rows, ${dollars(summary.orders.cents)}`,
      `refunds: ${summary.refunds.rows} rows, ${dollars(summary.refunds.cents)}`,
      `net:     ${dollars(summary.netCents)}`,
    ].join('\n');
    const notice = await ac.services.send(jc.notify, `Sales ${jc.day}: net ${dollars(summary.netCents)}`, body, signal);
    return { state: 'done', jc: { ...jc, notice } };
  })
  .terminal('queried', 'done', 'incomplete', 'denied')
  .build();

/** A query child's result; it must have one, since the join runs only when no child failed. */
function resultOf(child: ChildResult<JC>): TableResult {
  if (child.jc.result === undefined) throw new Error(`query ${child.id} settled in ${child.state} without a result`);
  return child.jc.result;
}

export function dollars(cents: number): string {
  return `${cents < 0 ? '-' : ''}$${(Math.abs(cents) / 100).toFixed(2)}`;
}

export interface SqlSummaryOptions {
  readonly server?: string;
  readonly user?: string;
  readonly day?: string;
  readonly notify?: string;
  /** Tables whose queries fail (for good: every attempt), to see the join's failState. */
  readonly brokenTables?: readonly string[];
}

export interface SqlSummaryResult {
  readonly outcome: 'complete' | 'aborted';
  /** The state the summary job ended in: done, incomplete or denied. */
  readonly state: string;
  readonly summary: Summary | undefined;
  /** The summary job's recorded errors, by state. */
  readonly errors: Readonly<Record<string, readonly string[]>>;
  /** The query jobs: id, table, final state, whether they failed, and their errors. */
  readonly queries: readonly { readonly id: string; readonly table: string; readonly state: string; readonly failed: boolean; readonly errors: readonly string[] }[];
  readonly mail: readonly Mail[];
  readonly events: readonly ServiceEvent[];
  readonly transitions: number;
}

/** Runs one summary job (the request from `options`) to the end and returns what happened. */
export async function runSqlSummary(options: SqlSummaryOptions = {}): Promise<SqlSummaryResult> {
  const services = new Services({ brokenTables: options.brokenTables ?? [] });
  const request: JC = { server: options.server ?? 'sales-db', user: options.user ?? 'ana', day: options.day ?? '2026-05-01', notify: options.notify ?? 'ops@example.com' };
  const run = sqlSummary.newRun('sql-summary', {}).add(request, 'connect', { id: 'summary' });
  const result = await new Processor(sqlSummary, { services }).exec(run);
  const job = run.jobs.get('summary');
  if (job === undefined) throw new Error('the summary job is gone');
  const queries = [...run.jobs.values()]
    .filter((j) => j.parentId === job.id)
    .map((j) => ({ id: j.id, table: j.jc.query?.table ?? '?', state: j.state, failed: j.failed === true, errors: j.errors['query'] ?? [] }));
  return { outcome: result.outcome, state: job.state, summary: job.jc.summary, errors: job.errors, queries, mail: services.mail, events: services.events, transitions: result.transitions };
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function print(r: SqlSummaryResult): void {
  for (const e of r.events) console.log(`  +${String(e.ms).padStart(3)} ms  ${e.text}`);
  console.log();
  console.log(`The summary job ended in "${r.state}" after ${r.transitions} transitions.`);
  for (const q of r.queries) console.log(`  query ${q.id} (${q.table}): ${q.state}${q.failed ? ', failed' : ''}${q.errors.length > 0 ? `, errors: ${q.errors.join('; ')}` : ''}`);
  if (r.summary) {
    const { orders, refunds, netCents } = r.summary;
    console.log(`  summary of ${r.summary.day}: orders ${orders.rows} rows ${dollars(orders.cents)}, refunds ${refunds.rows} rows ${dollars(refunds.cents)}, net ${dollars(netCents)}`);
  }
  for (const [state, errors] of Object.entries(r.errors)) console.log(`  error in ${state}: ${errors.join('; ')}`);
  for (const m of r.mail) console.log(`  sent ${m.id} to ${m.to}: "${m.subject}"`);
}

const HELP = `npx tsx examples/sql-summary.ts [options]: summarise a day of sales from two tables queried in parallel.

  --day <yyyy-mm-dd>   the day (default 2026-05-01; the warehouse also has 2026-05-02)
  --user <name>        who asks (default ana, who may read; anyone else is denied)
  --break <table>      make that table's queries fail (orders or refunds): the join's failState
  --help               this text`;

async function main(argv: readonly string[]): Promise<void> {
  let values: { day: string; user: string; break?: string; help: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: { day: { type: 'string', default: '2026-05-01' }, user: { type: 'string', default: 'ana' }, break: { type: 'string' }, help: { type: 'boolean', default: false } },
    }));
  } catch (error) {
    console.error(`sql-summary: ${error instanceof Error ? error.message : String(error)} (--help lists the flags)`);
    process.exitCode = 2;
    return;
  }
  if (values.help) return void console.log(HELP);
  console.log(`Summarising ${values.day} on sales-db for ${values.user}: connect → authorize → 2 queries in parallel → summarize → notify\n`);
  print(await runSqlSummary({ day: values.day, user: values.user, brokenTables: values.break === undefined ? [] : [values.break] }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(process.argv.slice(2));
