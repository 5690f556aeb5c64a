import pg from 'pg';
import type { PausedStates } from '../model/paused-states.js';
import { renderValue } from '../model/render-value.js';

/** How often a watching processor reads the paused states again (one small indexed read). */
const WATCH_INTERVAL_MS = 1_000;

/**
 * A run's paused states in PostgreSQL: rows of `<schema>.paused_states` (migration 5), read and
 * written on a connection of their own (made on first use, closed with the store), so that pausing
 * never waits behind the store's writes and works on a read-only store too (a pause is not a write
 * of the run). Every process of a shared run reads them each second and claims nothing in a paused state.
 */
export class PgPausedStates implements PausedStates {
  readonly #config: pg.PoolConfig;
  readonly #s: string;
  readonly #run: string;
  readonly #owner: string;
  #pool: pg.Pool | undefined;

  constructor(config: pg.PoolConfig, quotedSchema: string, run: string, owner: string) {
    this.#config = config;
    this.#s = quotedSchema;
    this.#run = run;
    this.#owner = owner;
  }

  async read(): Promise<ReadonlySet<string>> {
    const rows = await this.#query<{ state: string }>(`SELECT state FROM ${this.#s}.paused_states WHERE run = $1`, [this.#run]);
    return new Set(rows.map((r) => r.state));
  }

  async set(state: string, paused: boolean): Promise<void> {
    if (typeof state !== 'string' || state === '') throw new TypeError(`${this.#owner}: a paused state is a state's name, got ${renderValue(state)}`);
    if (paused) await this.#query(`INSERT INTO ${this.#s}.paused_states (run, state) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [this.#run, state]);
    else await this.#query(`DELETE FROM ${this.#s}.paused_states WHERE run = $1 AND state = $2`, [this.#run, state]);
  }

  watch(onChange: () => void): () => void {
    const timer = setInterval(onChange, WATCH_INTERVAL_MS);
    timer.unref();
    return () => clearInterval(timer);
  }

  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.end();
  }

  async #query<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<R[]> {
    if (this.#pool === undefined) {
      this.#pool = new pg.Pool({ ...this.#config, max: 1, idleTimeoutMillis: 10_000, allowExitOnIdle: true });
      this.#pool.on('error', () => undefined); // an idle connection that died: the next query makes a new one
    }
    try {
      return (await this.#pool.query<R>(sql, params)).rows;
    } catch (error) {
      if ((error as { code?: string }).code === '42P01') {
        throw new Error(`${this.#owner}: the schema has no paused_states table yet (it is older than jorb-ts's schema version 5): open the run once with a store that may write (a processor, or jorb redrive) to migrate it`);
      }
      throw new Error(`${this.#owner}: paused states: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
