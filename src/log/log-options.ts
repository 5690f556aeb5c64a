import type { JorbEventLevel } from './jorb-event.js';

/**
 * Options of {@link consoleLogger} and {@link jsonLogger}.
 *
 * @example
 * ```ts
 * jsonLogger({ stream: process.stdout, level: 'debug' });
 * ```
 * @public
 */
export interface LogOptions {
  /** Where the lines go. @defaultValue `process.stderr` */
  readonly stream?: { write(text: string): unknown };
  /** The least level written: `debug` writes every periodic figure too. @defaultValue `'info'` */
  readonly level?: JorbEventLevel;
}

const RANK: Readonly<Record<JorbEventLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Whether an event of `level` passes a logger set to `least`. */
export function levelPasses(level: JorbEventLevel, least: JorbEventLevel): boolean {
  return RANK[level] >= RANK[least];
}
