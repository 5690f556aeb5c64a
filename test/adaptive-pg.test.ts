// adaptive() in a run shared through PostgreSQL: the limit caps the slots each process takes of
// the state (capacity = min(the claimed share, the limit)), so no process runs more at once than
// its limit says, and the two processes' limits each follow the service they share.
import { describe, expect, it } from 'vitest';
import { Processor, workflow } from '../src/index.js';
import { PgStore } from '../src/postgres/index.js';
import { adaptive } from '../src/policies/adaptive.js';
import type { AdaptiveConcurrency } from '../src/policies/adaptive.js';
import { usePostgresServer } from './support/postgres-server.js';

const server = usePostgresServer();

type JC = { n: number };

describe('adaptive() in a shared PostgreSQL run', () => {
  it('each process runs at most its limit at once, and the limits move with the shared service', async () => {
    // a service that queues beyond 6 calls in flight (both processes' calls together)
    let inService = 0;
    let overLimit = 0;
    let peak = 0;
    const call = async (limit: AdaptiveConcurrency, running: { n: number }) => {
      running.n++;
      if (running.n > limit.current()) overLimit++;
      peak = Math.max(peak, running.n);
      inService++;
      const ms = 20 * Math.max(1, (inService / 6) ** 2);
      await new Promise((resolve) => setTimeout(resolve, ms));
      inService--;
      running.n--;
    };
    const make = () => {
      const limit = adaptive({ initial: 2, max: 32 });
      const running = { n: 0 };
      const wf = workflow<object, object, JC>('adaptive-pg')
        .state('call', { concurrency: limit })
        .to('done')
        .exec(async ({ jc }) => {
          await call(limit, running);
          return { state: 'done', jc };
        })
        .terminal('done')
        .build();
      return { limit, wf };
    };
    const [a, b] = [make(), make()];
    const open = () => new PgStore<object, JC>({ connectionString: server().url(), run: 'adaptive' });
    const [s1, s2] = [open(), open()];
    const seed = () => {
      const run = a.wf.newRun('adaptive', {});
      for (let n = 0; n < 600; n++) run.add({ n }, 'call');
      return run;
    };
    const r1 = (await s1.load(a.wf)) ?? seed();
    const r2 = (await s2.load(b.wf)) ?? seed();
    const [x1, x2] = await Promise.all([new Processor(a.wf, {}, { store: s1 }).exec(r1), new Processor(b.wf, {}, { store: s2 }).exec(r2)]);
    await Promise.all([s1.close(), s2.close()]);
    expect([x1.outcome, x2.outcome]).toEqual(['complete', 'complete']);
    expect(x1.transitions + x2.transitions).toBe(600);
    expect(overLimit).toBe(0);
    expect(peak).toBeLessThanOrEqual(32);
    for (const { limit } of [a, b]) {
      const s = limit.snapshot();
      expect(s.decisions).toBeGreaterThan(1);
      expect(s.recent.some((d) => d.to > 2)).toBe(true); // it grew from 2: the claims gave it the slots
    }
  }, 60_000);
});
