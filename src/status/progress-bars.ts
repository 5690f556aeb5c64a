import type { RunLedger } from '../ledger/run-ledger.js';
import type { JorbEvent } from '../log/jorb-event.js';
import type { Logger } from '../log/logger.js';
import { type Clock, systemClock } from '../model/clock.js';
import type { StateStatus } from './state-status.js';
import { colourWanted, type DisplayEnv, inCi, paint } from './terminal-colour.js';
import { allSettled, FigureKeeper, type RunFigures } from './terminal-figures.js';
import { count, duration, progressMessage, renderTable, summaryMessage, tableWidthWithoutBar, type TableLayout } from './terminal-render.js';

/**
 * Where {@link progressBars} draws: any stream with `write` (`process.stdout`, `process.stderr`);
 * on a terminal (`isTTY`) it repaints in place, cut to `columns` when the stream has them.
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
  /** True on a terminal: the display is repainted in place (unless `CI` is set). */
  readonly isTTY?: boolean;
  /** The terminal's width: lines are cut to fit, and the bars shrink to fit (without `width`). */
  readonly columns?: number;
}

/**
 * Options of {@link progressBars}.
 *
 * @example
 * ```ts
 * progressBars({ stream: process.stdout, intervalMs: 10_000, logger: jsonLogger() });
 * ```
 * @public
 */
export interface ProgressBarsOptions {
  /** Where to draw. @defaultValue `process.stderr` */
  readonly stream?: ProgressOutput;
  /** Width of each bar, in characters. @defaultValue 24, less to fit a terminal's `columns` */
  readonly width?: number;
  /**
   * Off a terminal (a pipe, a log file, CI): one progress line per this many ms, and a line for
   * each state drained or whose error rate jumped. On a terminal, how often those are checked (for
   * the `logger`). @defaultValue 5000
   */
  readonly intervalMs?: number;
  /** Only the final summary line: no repainted table, no progress lines. @defaultValue false */
  readonly quiet?: boolean;
  /** Receives the display's events (`progress`, `state-drained`, `error-rate`, `summary`) as structured events. */
  readonly logger?: Logger;
  /** Whether to colour. @defaultValue on a terminal outside CI; never with `NO_COLOR`; always with `FORCE_COLOR` (not `0`) */
  readonly color?: boolean;
  /** The clock of the frames, the intervals and the figures. @defaultValue `systemClock` */
  readonly clock?: Clock;
  /** The environment read for `CI`, `NO_COLOR` and `FORCE_COLOR`. @defaultValue `process.env` */
  readonly env?: DisplayEnv;
}

/**
 * A status listener that draws the run (see {@link progressBars}), a way to print above it, and a
 * way to end it.
 *
 * @example
 * ```ts
 * const status = progressBars();
 * const result = await new Processor(crawl, ac, { status }).exec(run, { signal });
 * status.done(result); // the summary line, also when the run was stopped
 * ```
 * @public
 */
export interface ProgressBars {
  /** A status update, and the run's ledger when the engine gives one (read only when drawing). */
  (statuses: readonly StateStatus[], ledger?: () => RunLedger): void;
  /**
   * Prints a line above the display: on a terminal the table is erased, the line printed, and the
   * table drawn again under it; elsewhere the line is simply written. Use it instead of
   * `console.log` while a run draws, or the repaint overwrites what you print.
   */
  log(line: string): void;
  /**
   * Ends the display: the last frame (or table) and the summary line, now. Without it they come
   * when an update shows nothing left to do; call it for a stopped run (`outcome: 'aborted'`). A
   * second call, or one after the run settled, does nothing.
   */
  done(result?: { readonly outcome?: 'complete' | 'aborted' }): void;
}

/** The fastest a terminal is repainted: 10 frames a second. */
const FRAME_MS = 100;
/** How often a terminal's frame is drawn again when nothing changed (elapsed time, decaying rates). */
const REFRESH_MS = 1000;
/** An error-rate jump: at least this share of the jobs out in one interval failed… */
const ERROR_SHARE = 0.1;
/** …at least this many errors, and at least twice the share of the interval before. */
const ERROR_MIN = 3;
/** With nothing to compare (the first interval with jobs out), a jump is a share of at least a half. */
const ERROR_FIRST = 0.5;

/**
 * The terminal display of a run. Per state: done / total, in flight / limit, waiting (delayed and
 * joining when there are), rate, p95 service time, ETA and errors, beside a bar of the share of all
 * jobs in it; above them a header with the time, jobs settled, throughput, ETA and the bottleneck
 * (rates, p95 and the bottleneck come from the engine's ledger; without one, rates and ETA are
 * taken from the counts over time).
 *
 * On a terminal it repaints in place, at most 10 frames a second. Piped, or with `CI` set, it
 * writes no cursor codes: a progress line every `intervalMs`, a line when a state drains or its
 * error rate jumps, and the table at the end. Both end with a summary line. Colour only on a
 * terminal or with `FORCE_COLOR`, never with `NO_COLOR`; `quiet` prints the summary line only.
 *
 * @example
 * ```ts
 * const processor = new Processor(crawl, ac, { status: progressBars() });
 * ```
 * @public
 */
export function progressBars(options: ProgressBarsOptions = {}): ProgressBars {
  const stream = options.stream ?? process.stderr;
  const env = options.env ?? process.env;
  const clock = options.clock ?? systemClock;
  const intervalMs = options.intervalMs ?? 5000;
  const quiet = options.quiet === true;
  const logger = options.logger;
  const interactive = stream.isTTY === true && !inCi(env);
  const p = paint(options.color ?? colourWanted(env, interactive));
  const repaint = interactive && !quiet;
  const keeper = new FigureKeeper();
  const widths: number[] = [];

  let last: readonly StateStatus[] | undefined;
  let lastLedger: (() => RunLedger) | undefined;
  let finished = false;
  // a terminal's frame
  let drawnLines = 0;
  let frame: string[] = [];
  let lastFrameAt: number | undefined;
  let frameTimer: unknown;
  // the periodic tick
  let tickTimer: unknown;
  let nextPeriodicAt = 0;
  // drains and error rates
  const present = new Map<string, number>();
  const drainedAt = new Map<string, number>();
  const errorMark = new Map<string, { errors: number; out: number; outs: number; share: number }>();

  const emit = (event: Omit<JorbEvent, 'at'> & { at?: number }) => {
    if (logger === undefined) return;
    try {
      logger.log({ ...event, at: event.at ?? clock.now() });
    } catch {
      // a logger that throws loses that event, not the run
    }
  };
  const line = (text: string) => {
    if (repaint && drawnLines > 0) drawFrame(`${rewind()}${text}\x1b[K\n`, clock.now(), false);
    else stream.write(`${text}\n`);
  };
  const stamp = (elapsedMs: number) => `${p.bold('jorb')} ${duration(elapsedMs)}:`;

  const figuresNow = (now: number): RunFigures => keeper.figures(last ?? [], now, lastLedger);

  const layoutFor = (figures: RunFigures): TableLayout => {
    const columns = interactive && stream.columns !== undefined && stream.columns > 0 ? stream.columns - 1 : undefined;
    let barWidth = options.width ?? 24;
    if (options.width === undefined && columns !== undefined) {
      renderTable(figures, { barWidth, paint: p, widths }); // grows the widths of this frame's cells
      barWidth = Math.max(6, Math.min(24, columns - tableWidthWithoutBar({ widths })));
    }
    return { barWidth, paint: p, widths, ...(columns !== undefined ? { columns } : {}) };
  };

  const rewind = () => (drawnLines > 0 ? `\x1b[${drawnLines}F` : '');
  function drawFrame(prefix: string, now: number, refigure = true): void {
    if (refigure) {
      const figures = figuresNow(now);
      frame = renderTable(figures, layoutFor(figures));
    }
    const erase = drawnLines > 0 || prefix !== '' ? '\x1b[K' : '';
    stream.write(`${prefix}${frame.map((l) => `${l}${erase}\n`).join('')}${drawnLines > frame.length ? '\x1b[J' : ''}`);
    drawnLines = frame.length;
    lastFrameAt = now;
  }
  const scheduleFrame = (now: number) => {
    if (frameTimer !== undefined) return; // coalesced: the pending frame draws the latest update
    const wait = lastFrameAt === undefined ? 0 : lastFrameAt + FRAME_MS - now;
    if (wait <= 0) return drawFrame(rewind(), now);
    frameTimer = clock.setTimeout(() => {
      frameTimer = undefined;
      if (!finished) drawFrame(rewind(), clock.now());
    }, wait);
    unref(frameTimer);
  };

  const reportDrains = (force: boolean) => {
    for (const [state, at] of drainedAt) {
      if ((present.get(state) ?? 0) > 0 && !force) continue;
      drainedAt.delete(state);
      const elapsedMs = keeper.elapsedAt(at);
      const message = `${state} drained at ${duration(elapsedMs)}`;
      if (!repaint && !quiet) line(`${stamp(elapsedMs)} ${message}`);
      emit({ level: 'info', type: 'state-drained', at, state, message, fields: { elapsedMs } });
    }
  };
  const reportErrorRates = (figures: RunFigures) => {
    for (const s of figures.states) {
      if (s.terminal) continue;
      const out = s.done ?? figures.settled;
      const mark = errorMark.get(s.state) ?? { errors: 0, out: 0, outs: 0, share: 0 };
      const errors = s.errors - mark.errors;
      const outs = out - mark.out;
      const share = outs > 0 ? Math.min(1, errors / outs) : 0;
      errorMark.set(s.state, { errors: s.errors, out, outs, share });
      // A jump: against the interval before when it had jobs out, else (the first figures) only a high share.
      const baseline = mark.outs > 0;
      if (errors < ERROR_MIN || share < ERROR_SHARE || share < (baseline ? 2 * mark.share : ERROR_FIRST)) continue;
      const pct = (x: number) => `${Math.round(x * 100)} %`;
      const message = `${s.state} error rate up to ${pct(share)} in the last ${duration(intervalMs)} (${count(errors)} errors, ${count(outs)} jobs out${baseline ? `; was ${pct(mark.share)}` : ''})`;
      if (!repaint && !quiet) line(`${stamp(figures.elapsedMs)} ${p.red(message)}`);
      emit({ level: 'warn', type: 'error-rate', state: s.state, message, fields: { elapsedMs: figures.elapsedMs, share, errors, out: outs, previousShare: mark.share } });
    }
  };
  const periodic = (now: number) => {
    const figures = figuresNow(now);
    reportDrains(false);
    reportErrorRates(figures);
    const message = progressMessage(figures);
    if (!repaint && !quiet) line(`${stamp(figures.elapsedMs)} ${message}`);
    emit({ level: 'debug', type: 'progress', message, fields: fieldsOf(figures) });
  };
  const tick = () => {
    tickTimer = undefined;
    if (finished) return;
    const now = clock.now();
    if (now >= nextPeriodicAt) {
      nextPeriodicAt = now + intervalMs;
      periodic(now);
    }
    if (repaint) scheduleFrame(now);
    armTick(now);
  };
  const armTick = (now: number) => {
    if (tickTimer !== undefined || finished) return;
    const next = repaint ? Math.min(nextPeriodicAt, (lastFrameAt ?? now) + REFRESH_MS) : nextPeriodicAt;
    tickTimer = clock.setTimeout(tick, Math.max(0, next - now));
    unref(tickTimer);
  };

  const finish = (outcome: 'complete' | 'aborted') => {
    if (finished || last === undefined) return;
    finished = true;
    for (const timer of [frameTimer, tickTimer]) if (timer !== undefined) clock.clearTimeout(timer);
    frameTimer = tickTimer = undefined;
    const now = clock.now();
    reportDrains(true);
    const figures = figuresNow(now);
    if (repaint) drawFrame(rewind(), now);
    else if (!quiet) stream.write(`${renderTable(figures, { barWidth: options.width ?? 24, paint: p, widths }).join('\n')}\n`);
    drawnLines = 0; // the last frame stays; what follows is written under it
    const message = summaryMessage(figures, outcome);
    stream.write(`${p.bold('jorb')} ${message}\n`);
    emit({ level: 'info', type: 'summary', message, fields: { ...fieldsOf(figures), outcome } });
  };

  const listener = (statuses: readonly StateStatus[], ledger?: () => RunLedger) => {
    const now = clock.now();
    const settled = allSettled(statuses);
    if (finished && !settled) {
      // a new execution on the same display: start again
      finished = false;
      keeper.restart();
      lastFrameAt = undefined;
      errorMark.clear();
    }
    const first = last === undefined || (lastFrameAt === undefined && nextPeriodicAt === 0);
    last = statuses;
    lastLedger = ledger;
    if (finished) return;
    keeper.sample(statuses, now);
    for (const s of statuses) {
      if (s.terminal) continue;
      const n = s.waiting + s.executing + s.committing;
      if (n === 0 && (present.get(s.state) ?? 0) > 0 && !drainedAt.has(s.state)) drainedAt.set(s.state, now);
      if (n > 0) drainedAt.delete(s.state);
      present.set(s.state, n);
    }
    if (settled) return finish('complete');
    if (first && !repaint) {
      nextPeriodicAt = now + intervalMs;
      if (!quiet) periodic(now); // a first line: the run has begun
    } else if (first) nextPeriodicAt = now + intervalMs;
    if (repaint) scheduleFrame(now);
    armTick(now);
  };
  const log = (text: string) => line(text);
  const done = (result?: { readonly outcome?: 'complete' | 'aborted' }) => finish(result?.outcome ?? (last !== undefined && allSettled(last) ? 'complete' : 'aborted'));
  return Object.assign(listener, { log, done });
}

/** The figures of an event, as fields. */
function fieldsOf(f: RunFigures): Record<string, number | string> {
  return {
    elapsedMs: f.elapsedMs,
    jobs: f.jobs,
    settled: f.settled,
    errors: f.errors,
    ...(f.settledPerSecond !== undefined ? { settledPerSecond: f.settledPerSecond } : {}),
    ...(f.transitionsPerSecond !== undefined ? { transitionsPerSecond: f.transitionsPerSecond } : {}),
    ...(f.etaMs !== undefined ? { etaMs: f.etaMs } : {}),
    ...(f.bottleneck !== undefined ? { bottleneck: f.bottleneck.kind, ...(f.bottleneck.state !== undefined ? { bottleneckState: f.bottleneck.state } : {}) } : {}),
  };
}

/** Lets a real timer not keep the process alive (a fake clock's handle has no `unref`). */
function unref(handle: unknown): void {
  if (typeof handle === 'object' && handle !== null && 'unref' in handle && typeof handle.unref === 'function') (handle as { unref(): void }).unref();
}

/**
 * The compact lines of one status update, a line per state (the look of `progressBars` before its
 * table): a bar of the share of all jobs in the state, as executing (`█`), waiting or committing
 * (`░`) or finished (`▓`), and the counts beside it.
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
