import type { StateStatus, StatusListener } from './state-status.js';

/**
 * Options of {@link progressBars}.
 *
 * @example
 * ```ts
 * progressBars({ stream: process.stdout, width: 30 });
 * ```
 * @public
 */
export interface ProgressBarsOptions {
  /** Where to draw. @defaultValue `process.stderr` */
  readonly stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Width of each bar, in characters. @defaultValue 24 */
  readonly width?: number;
  /** On a non-terminal stream (a log file, CI), print at most one block per this many ms. @defaultValue 1000 */
  readonly intervalMs?: number;
}

/**
 * A status listener that draws one bar per state: the share of all jobs that sit in the state, as
 * executing (`█`), waiting (`░`) or finished (`▓`), with the counts beside it. On a terminal it
 * redraws in place; elsewhere it prints a block at most once per `intervalMs`, and always the last.
 *
 * @example
 * ```ts
 * const processor = new Processor(crawl, ac, { status: progressBars() });
 * ```
 * @public
 */
export function progressBars(options: ProgressBarsOptions = {}): StatusListener {
  const stream = options.stream ?? process.stderr;
  const width = options.width ?? 24;
  const intervalMs = options.intervalMs ?? 1000;
  const tty = stream.isTTY === true;
  let drawnLines = 0;
  let lastPrint = 0;
  return (statuses) => {
    const finished = statuses.every((s) => s.waiting === 0 && s.executing === 0);
    const now = Date.now();
    if (!tty && !finished && now - lastPrint < intervalMs) return;
    lastPrint = now;
    const lines = renderStatuses(statuses, width);
    const rewind = tty && drawnLines > 0 ? `\x1b[${drawnLines}F\x1b[J` : '';
    stream.write(`${rewind}${lines.join('\n')}\n`);
    drawnLines = finished ? 0 : lines.length;
  };
}

/**
 * The lines {@link progressBars} draws for one status update.
 *
 * @example
 * ```ts
 * console.log(renderStatuses(statuses, 20).join('\n'));
 * ```
 * @public
 */
export function renderStatuses(statuses: readonly StateStatus[], width = 24): string[] {
  const total = statuses.reduce((sum, s) => sum + s.waiting + s.executing + s.completed + s.failed, 0);
  const nameWidth = Math.max(...statuses.map((s) => s.state.length), 5);
  return statuses.map((s) => {
    const cells = (n: number) => (total === 0 ? 0 : Math.round((n / total) * width));
    const executing = cells(s.executing);
    const waiting = Math.min(width - executing, cells(s.waiting));
    const finished = Math.min(width - executing - waiting, cells(s.completed + s.failed));
    const bar = '█'.repeat(executing) + '░'.repeat(waiting) + '▓'.repeat(finished) + ' '.repeat(width - executing - waiting - finished);
    const counts = s.terminal
      ? `${s.completed} done`
      : `${s.waiting} waiting, ${s.executing} executing${s.failed > 0 ? `, ${s.failed} failed` : ''}`;
    return `${s.state.padEnd(nameWidth)} |${bar}| ${counts}`;
  });
}
