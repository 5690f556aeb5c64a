import type { JorbEvent } from './jorb-event.js';
import type { Logger } from './logger.js';
import { levelPasses, type LogOptions } from './log-options.js';

/**
 * A {@link Logger} that writes each event as one line of JSON (`level`, `type`, `at`, `state`,
 * `message`, then the fields), for a log collector.
 *
 * @example
 * ```ts
 * const status = progressBars({ quiet: true, logger: jsonLogger({ stream: process.stdout }) });
 * // {"level":"info","type":"state-drained","at":1767225606200,"state":"fetch","message":"fetch drained","elapsedMs":6200}
 * ```
 * @public
 */
export function jsonLogger(options: LogOptions = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const least = options.level ?? 'info';
  return {
    log(event: JorbEvent): void {
      if (!levelPasses(event.level, least)) return;
      const { fields, ...head } = event;
      stream.write(`${JSON.stringify({ ...head, ...fields, ...head })}\n`);
    },
  };
}
