/**
 * How much a {@link JorbEvent} matters: `debug` (every periodic figure), `info` (a state drained,
 * the run's summary), `warn` (an error rate jumped), `error`.
 *
 * @example
 * ```ts
 * const level: JorbEventLevel = 'warn';
 * ```
 * @public
 */
export type JorbEventLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * What a {@link JorbEvent} reports: `progress` (the periodic figures of a run), `state-drained` (a
 * state's last job left it), `error-rate` (a state's share of failing attempts jumped), `summary`
 * (the run ended: its totals).
 *
 * @example
 * ```ts
 * const type: JorbEventType = 'state-drained';
 * ```
 * @public
 */
export type JorbEventType = 'progress' | 'state-drained' | 'error-rate' | 'summary';

/**
 * One structured event for a {@link Logger}: what happened, in a sentence and as fields a machine
 * reads. The library logs nothing unless it is given a logger.
 *
 * @example
 * ```ts
 * const event: JorbEvent = {
 *   level: 'info', type: 'state-drained', at: 1_767_225_600_000, state: 'fetch',
 *   message: 'fetch drained', fields: { elapsedMs: 6200, errors: 5 },
 * };
 * ```
 * @public
 */
export interface JorbEvent {
  /** How much it matters. */
  readonly level: JorbEventLevel;
  /** What happened. */
  readonly type: JorbEventType;
  /** When, by the display's clock (epoch ms, or a fake clock's ms). */
  readonly at: number;
  /** The state it is about, if one. */
  readonly state?: string;
  /** The sentence a person reads (the line a piped display prints, without its time prefix). */
  readonly message: string;
  /** The figures behind the message: numbers in base units (ms, per second, counts), no job ids. */
  readonly fields: Readonly<Record<string, number | string | boolean>>;
}
