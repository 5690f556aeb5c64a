// The store conformance suite (test/support/store-conformance.ts) run against PgStore on a real
// PostgreSQL, started for this file; its bad-data cases damage the rows in SQL, as a hand edit
// would, in every way the column types let through.
import { expect } from 'vitest';
import { PgStoreError } from '../src/postgres/index.js';
import { pgHarness } from './support/pg-harness.js';
import { usePostgresServer } from './support/postgres-server.js';
import { describeStoreConformance } from './support/store-conformance.js';

const server = usePostgresServer();

/** Each kind: the SQL that damages the run `$1`, the job it names (none for the run's row), and words of the problem. */
const damages: Record<string, { sql: string; job?: string; problem: RegExp }> = {
  'a job whose state is empty': { sql: `UPDATE jorb.jobs SET state = '' WHERE run = $1 AND id = '0->0'`, job: '0->0', problem: /"state" must be a non-empty string, got ""/ },
  'a job whose history is not a list': { sql: `UPDATE jorb.jobs SET history = '{"state":"fetch"}' WHERE run = $1 AND id = '1'`, job: '1', problem: /"history" must be a JSON list of \{ state, at \} entries, got an object/ },
  'a job whose history is JSON null': { sql: `UPDATE jorb.jobs SET history = 'null' WHERE run = $1 AND id = '1'`, job: '1', problem: /"history" must be a JSON list .*, got null/ },
  'a history entry without a time': { sql: `UPDATE jorb.jobs SET history = '[{"state":"fetch"}]' WHERE run = $1 AND id = '0'`, job: '0', problem: /"history"\[0\] needs a string "state" and a number "at"/ },
  'a job whose errors are not lists of strings': { sql: `UPDATE jorb.jobs SET errors = '{"fetch":"HTTP 503"}' WHERE run = $1 AND id = '0'`, job: '0', problem: /"errors" must be a JSON object mapping state names to lists of strings/ },
  'a job whose priority is NaN': { sql: `UPDATE jorb.jobs SET priority = 'NaN' WHERE run = $1 AND id = '0->0'`, job: '0->0', problem: /"priority" must be a finite number or NULL, got NaN/ },
  'a job whose updated_at is Infinity': { sql: `UPDATE jorb.jobs SET updated_at = 'Infinity' WHERE run = $1 AND id = '1'`, job: '1', problem: /"updated_at" must be a finite number/ },
  'a job context with a number JavaScript cannot hold': { sql: `UPDATE jorb.jobs SET jc = '{"n":1e400}' WHERE run = $1 AND id = '2'`, job: '2', problem: /job context "jc" holds a number too large for JavaScript/ },
  'a job whose id is empty': { sql: `UPDATE jorb.jobs SET id = '' WHERE run = $1 AND id = '2'`, job: '', problem: /"id" must be a non-empty string, got ""/ },
  'a run whose next_id is negative': { sql: `UPDATE jorb.runs SET next_id = -1 WHERE name = $1`, problem: /its "next_id" \(the next default job id\) must be a whole number from 0 to 9007199254740991, got "-1"/ },
  'a run whose next_id is past what JavaScript counts exactly': { sql: `UPDATE jorb.runs SET next_id = 9007199254740993 WHERE name = $1`, problem: /"next_id".*got "9007199254740993"/ },
  'a run whose name is empty': { sql: `UPDATE jorb.runs SET run_name = '' WHERE name = $1`, problem: /its "run_name" must be a non-empty string, got ""/ },
};

const harness = pgHarness(server, 'conformance');

describeStoreConformance('PgStore', {
  ...harness,
  badData: {
    kinds: Object.keys(damages),
    damage: async (run, kind) => {
      const damage = damages[kind];
      if (damage === undefined) throw new Error(`no damage ${kind}`);
      await server().sql(damage.sql, [run]);
    },
    // Everything of the run but the lock (sessions are not rows): its row and its jobs' rows, whole.
    raw: async (run) => ({
      run: await server().sql('SELECT * FROM jorb.runs WHERE name = $1', [run]),
      jobs: await server().sql('SELECT *, xmin::text AS xmin FROM jorb.jobs WHERE run = $1 ORDER BY ord', [run]),
    }),
    expectClearError: (run, kind, error) => {
      const damage = damages[kind];
      expect(error).toBeInstanceOf(PgStoreError);
      const bad = error as PgStoreError;
      expect(bad.reason).toBe('bad-data');
      expect(bad.message.startsWith(`PgStore(run "${run}"): run "${run}" (schema "jorb", database "postgres"): `), bad.message).toBe(true);
      if (damage?.job !== undefined) expect(bad.message).toContain(`job ${JSON.stringify(damage.job)} (its row in "jorb".jobs) cannot be read: `);
      else expect(bad.message).toContain('its row in "jorb".runs cannot be read: ');
      expect(bad.message).toMatch(damage?.problem ?? /never/);
      expect(bad.message).toMatch(/; nothing was read or changed: fix the row \(or delete the run\) and load again$/);
    },
  },
});
