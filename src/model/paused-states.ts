/**
 * Where a store keeps the run's paused states, beside the run itself, so that another process can
 * pause a state of a running run (`jorb pause`, the dashboard's action) and a restart finds it still
 * paused. A paused state starts no attempt: the attempts running there finish, its jobs wait, and
 * the exec is not complete until it is resumed. The JSONL store keeps them in a file beside the
 * run's (`path + '.paused'`), PostgreSQL in a table; a store without this method keeps pauses in
 * the processor only ({@link Processor.pause}).
 *
 * @example
 * ```ts
 * const paused = new JsonlStore('runs/crawl.jsonl').pausedStates();
 * await paused.set('fetch', true);
 * console.log([...(await paused.read())]); // ['fetch']
 * ```
 * @public
 */
export interface PausedStates {
  /** The states paused now. */
  read(): Promise<ReadonlySet<string>>;
  /** Pauses (`true`) or resumes (`false`) a state; a processor running the run sees it within a second. */
  set(state: string, paused: boolean): Promise<void>;
  /** Calls `onChange` when the paused states may have changed (another process set them); returns what stops it. */
  watch(onChange: () => void): () => void;
}
