import type { JorbEvent } from './jorb-event.js';
import type { Logger } from './logger.js';
import { levelPasses, type LogOptions } from './log-options.js';

/**
 * A {@link Logger} that writes one line a person reads per event, such as
 * `jorb warn: fetch error rate up to 25 %` followed by the figures. No colour, no escape codes.
 *
 * @example
 * ```ts
 * const status = progressBars({ logger: consoleLogger() }); // drains and error-rate jumps on stderr
 * ```
 * @public
 */
export function consoleLogger(options: LogOptions = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const least = options.level ?? 'info';
  return {
    log(event: JorbEvent): void {
      if (levelPasses(event.level, least)) stream.write(`jorb ${event.level}: ${event.message}\n`);
    },
  };
}
