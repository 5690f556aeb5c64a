import type { JorbEvent } from './jorb-event.js';

/**
 * Receives the structured events of a run ({@link JorbEvent}). Plug in `consoleLogger()`,
 * `jsonLogger()`, or your own (pino, winston…: `{ log: (e) => pino[e.level](e.fields, e.message) }`).
 * A logger that throws is ignored for that event.
 *
 * @example
 * ```ts
 * const events: JorbEvent[] = [];
 * const logger: Logger = { log: (event) => events.push(event) };
 * ```
 * @public
 */
export interface Logger {
  /** Receives one event. */
  log(event: JorbEvent): void;
}
