// `jorb serve` on a run in a real PostgreSQL (a URL and --run): the page's state, /metrics, and
// the dashboard following the run as another store changes it (read again every second).
import { afterAll, describe, expect, it } from 'vitest';
import { Processor } from '../src/index.js';
import { PgStore } from '../src/postgres/index.js';
import { usePostgresServer } from './support/postgres-server.js';
import { type ServeProcess, startServe } from './support/serve-process.js';
import { crawl, type ServeJc } from './support/serve-workflow.js';

const server = usePostgresServer();
let serving: ServeProcess | undefined;

afterAll(async () => {
  await serving?.stop();
});

async function addAndRun(name: string, from: number, to: number): Promise<void> {
  const store = new PgStore<object, ServeJc>({ exclusive: true, connectionString: server().url(), run: name });
  const run = (await store.load(crawl)) ?? crawl.newRun(name, {});
  for (let n = from; n < to; n++) run.add({ n, url: `https://example.test/${n}` }, 'fetch', { key: `https://example.test/${n}` });
  await new Processor(crawl, {}, { store }).exec(run);
  await store.close();
}

interface State {
  readonly jobs: number;
  readonly states: readonly { readonly state: string; readonly failed: number; readonly completed: number }[];
}

describe('jorb serve on a run in PostgreSQL', () => {
  it('serves the run, its metrics, and follows it as another process changes it', async () => {
    await addAndRun('pg-serve', 0, 40);
    serving = await startServe([server().url(), '--run', 'pg-serve', '--workflow', 'test/support/serve-workflow.ts']);
    const state = async () => (await (await fetch(`${serving?.url ?? ''}api/state`)).json()) as State;
    const first = await state();
    expect(first.jobs).toBe(41); // job n = 1 kicked one
    expect(first.states.find((s) => s.state === 'fetch')?.failed).toBe(4);
    expect(first.states.find((s) => s.state === 'done')?.completed).toBe(37);
    const metrics = await fetch(`${serving.url}metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^jorb_\w+\{[^}]*run="pg-serve"[^}]*\} /m);

    await addAndRun('pg-serve', 40, 60);
    await expect.poll(async () => (await state()).jobs, { timeout: 10_000, interval: 250 }).toBe(62); // and n = 51 one more
    expect((await state()).states.find((s) => s.state === 'done')?.completed).toBe(56);
  }, 60_000);
});
