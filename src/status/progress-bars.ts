import type { StateStatus, StatusListener } from './state-status.js';

/**
 * Where {@link progressBars} draws: any stream with `write` (`process.stdout`, `process.stderr`);
 * on a terminal (`isTTY`) it redraws in place.
 *
 * @example
 * ```ts
 * const lines: string[] = [];
 * const output: ProgressOutput = { write: (text) => lines.push(text) };
 * ```
 * @public
 */
export interface ProgressOutput {
  /** Writes text as it is. */
  write(text: string): unknown;
  /** True on a terminal: the bars are redrawn in place. */
  readonly isTTY?: boolean;
}

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
  readonly stream?: ProgressOutput;
  /** Width of each bar, in characters. @defaultValue 24 */
  readonly width?: number;
  /** On a non-terminal stream (a log file, CI), print at most one block per this many ms. @defaultValue 1000 */
  readonly intervalMs?: number;
}

/**
 * A status listener that draws progress bars, and a way to print above them.
 *
 * @example
 * ```ts
 * const status = progressBars();
 * const processor = new Processor(crawl, ac, { status });
 * status.log('Stopping…'); // appears above the bars, which are drawn again below it
 * ```
 * @public
 */
export interface ProgressBars extends StatusListener {
  /**
   * Prints a line above the bars: on a terminal the bars are erased, the line printed, and the
   * bars drawn again under it; elsewhere the line is simply written. Use it instead of
   * `console.log` while a run draws, or the bars overwrite what you print.
   */
  log(line: string): void;
}

/**
 * A status listener that draws one bar per state: the share of all jobs that sit in the state, as
 * executing (`█`), waiting or committing (`░`) or finished (`▓`), with the counts beside it (and
 * an adaptive concurrency's limit now: `8 executing (limit 8)`). On a
 * terminal it redraws in place; elsewhere it prints a block at most once per `intervalMs`, and
 * always the last. `log(line)` prints above the bars.
 *
 * @example
 * ```ts
 * const processor = new Processor(crawl, ac, { status: progressBars() });
 * ```
 * @public
 */
export function progressBars(options: ProgressBarsOptions = {}): ProgressBars {
  const stream = options.stream ?? process.stderr;
  const width = options.width ?? 24;
  const intervalMs = options.intervalMs ?? 1000;
  const tty = stream.isTTY === true;
  let drawnLines = 0;
  let lastPrint = 0;
  let last: readonly StateStatus[] | undefined;
  const rewind = () => (tty && drawnLines > 0 ? `\x1b[${drawnLines}F\x1b[J` : '');
  const draw = (statuses: readonly StateStatus[], prefix: string) => {
    const finished = statuses.every((s) => s.waiting === 0 && s.executing === 0 && s.committing === 0);
    const lines = renderStatuses(statuses, width);
    stream.write(`${prefix}${lines.join('\n')}\n`);
    drawnLines = finished ? 0 : lines.length;
  };
  const listener = (statuses: readonly StateStatus[]) => {
    last = statuses;
    const finished = statuses.every((s) => s.waiting === 0 && s.executing === 0 && s.committing === 0);
    const now = Date.now();
    if (!tty && !finished && now - lastPrint < intervalMs) return;
    lastPrint = now;
    draw(statuses, rewind());
  };
  const log = (line: string) => {
    if (!tty || last === undefined || drawnLines === 0) {
      stream.write(`${line}\n`);
      return;
    }
    draw(last, `${rewind()}${line}\n`);
  };
  return Object.assign(listener, { log });
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
  const total = statuses.reduce((sum, s) => sum + s.waiting + s.executing + s.committing + s.completed + s.failed, 0);
  const nameWidth = Math.max(...statuses.map((s) => s.state.length), 5);
  return statuses.map((s) => {
    const cells = (n: number) => (total === 0 ? 0 : Math.round((n / total) * width));
    const executing = cells(s.executing);
    const waiting = Math.min(width - executing, cells(s.waiting + s.committing));
    const finished = Math.min(width - executing - waiting, cells(s.completed + s.failed));
    const bar = '█'.repeat(executing) + '░'.repeat(waiting) + '▓'.repeat(finished) + ' '.repeat(width - executing - waiting - finished);
    const committing = s.committing > 0 ? `, ${s.committing} committing` : '';
    const limit = s.limit === undefined ? '' : ` (limit ${s.limit})`;
    const counts = s.terminal ? `${s.completed} done` : `${s.waiting} waiting, ${s.executing} executing${limit}${committing}${s.failed > 0 ? `, ${s.failed} failed` : ''}`;
    return `${s.state.padEnd(nameWidth)} |${bar}| ${counts}`;
  });
}
