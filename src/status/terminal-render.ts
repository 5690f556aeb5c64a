// What the terminal display draws: the table a terminal repaints, and the lines a log gets.
import type { Paint } from './terminal-colour.js';
import type { RunFigures, StateFigures } from './terminal-figures.js';

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** A count with thousands separators: `12,345`. */
export function count(n: number): string {
  return integer.format(n);
}

/** A duration a person reads: `310 ms`, `4.2 s`, `3 min 5 s`, `2 h 10 min`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 59_950) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  const minutes = Math.round(ms / 60_000);
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** A rate per second: `4.2/s` under 10, `412/s`, `1,234/s`. */
export function rate(perSecond: number): string {
  return perSecond < 10 ? `${perSecond.toFixed(1)}/s` : `${count(perSecond)}/s`;
}

/** One run of text in one style; a line is a list of them, so it can be cut to the terminal's width. */
interface Segment {
  readonly text: string;
  readonly style?: (text: string) => string;
}

/** Joins segments, cut to `columns` visible characters (code points) when given. */
function fit(segments: readonly Segment[], columns: number | undefined): string {
  let left = columns ?? Infinity;
  let out = '';
  for (const { text, style } of segments) {
    if (left <= 0) break;
    const chars = [...text];
    const shown = chars.length > left ? chars.slice(0, left).join('') : text;
    left -= Math.min(chars.length, left);
    out += style === undefined ? shown : style(shown);
  }
  return out.trimEnd();
}

const width = (text: string) => [...text].length;

/** The table's columns: header, alignment. */
const COLUMNS = [
  { title: 'state', right: false, always: true },
  { title: '', right: false, always: true }, // the bar
  { title: 'done/total', right: true, always: true },
  { title: 'in flight', right: true, always: true },
  { title: 'waiting', right: false, always: true },
  { title: 'rate', right: true, always: false },
  { title: 'p95', right: true, always: false },
  { title: 'ETA', right: true, always: false },
  { title: 'errors', right: true, always: true },
  { title: '', right: false, always: false }, // notes
] as const;

/** How the table is drawn; `widths` is kept between frames so columns do not jump about. */
export interface TableLayout {
  readonly barWidth: number;
  readonly paint: Paint;
  /** Cut every line to this many characters (a terminal's width less one), if given. */
  readonly columns?: number;
  /** The widest cell seen so far per column; grown in place. A column without a value yet is not drawn (rate, p95, ETA, notes); once drawn it stays. */
  readonly widths: number[];
}

function bar(s: StateFigures, jobs: number, barWidth: number, p: Paint): Segment[] {
  const cells = (n: number) => (jobs === 0 ? 0 : Math.round((n / jobs) * barWidth));
  const executing = Math.min(barWidth, cells(s.inFlight));
  const waiting = Math.min(barWidth - executing, cells(s.waiting + s.committing));
  const finished = Math.min(barWidth - executing - waiting, cells((s.terminal ? (s.done ?? 0) : 0) + s.failed));
  return [
    { text: '|' },
    { text: '█'.repeat(executing), style: p.green },
    { text: '░'.repeat(waiting), style: p.dim },
    { text: '▓'.repeat(finished) },
    { text: `${' '.repeat(barWidth - executing - waiting - finished)}|` },
  ];
}

function waitingCell(s: StateFigures): string {
  if (s.terminal) return '';
  const parts = [s.delayed > 0 ? `${count(s.delayed)} delayed` : '', s.joining > 0 ? `${count(s.joining)} joining` : ''].filter((p) => p !== '');
  return parts.length === 0 ? count(s.waiting) : `${count(s.waiting)} (${parts.join(', ')})`;
}

/** `31 waiting (3 delayed, 2 joining)`. */
function waitingWords(s: StateFigures): string {
  const cell = waitingCell(s);
  const open = cell.indexOf(' (');
  return open === -1 ? `${cell} waiting` : `${cell.slice(0, open)} waiting${cell.slice(open)}`;
}

function cellsOf(s: StateFigures, figures: RunFigures): string[] {
  const done = s.done === undefined ? '' : s.total === undefined ? count(s.done) : `${count(s.done)}/${count(s.total)}`;
  const inFlight = s.terminal ? '' : s.limit === undefined ? count(s.inFlight) : `${count(s.inFlight)}/${count(s.limit)}`;
  const eta = s.terminal || s.etaMs === undefined ? '' : s.etaMs === 0 ? '' : duration(s.etaMs);
  const notes = [
    s.paused === true ? 'paused' : '',
    s.committing > 0 ? `${count(s.committing)} committing` : '',
    s.failed > 0 && s.errors !== s.failed ? `${count(s.failed)} failed` : '',
    figures.bottleneck?.state === s.state ? `◀ ${figures.bottleneck.kind}` : '',
  ].filter((n) => n !== '');
  return [
    s.state,
    '', // the bar, drawn apart
    done,
    inFlight,
    waitingCell(s),
    s.ratePerSecond === undefined ? '' : rate(s.ratePerSecond),
    s.p95Ms === undefined ? '' : duration(s.p95Ms),
    eta,
    s.terminal && s.errors === 0 ? '' : count(s.errors),
    notes.join(', '),
  ];
}

/** The header line: elapsed, jobs settled, throughput, ETA, bottleneck. */
export function headerOf(figures: RunFigures, p: Paint): Segment[] {
  const parts: Segment[] = [{ text: 'jorb', style: p.bold }, { text: ` ${duration(figures.elapsedMs)}` }, { text: ` · ${count(figures.settled)}/${count(figures.jobs)} jobs settled` }];
  if (figures.settledPerSecond !== undefined) parts.push({ text: ` · ${rate(figures.settledPerSecond).replace('/s', ' jobs/s')}` });
  if (figures.transitionsPerSecond !== undefined) parts.push({ text: ` · ${rate(figures.transitionsPerSecond).replace('/s', ' transitions/s')}` });
  if (figures.etaMs !== undefined && figures.etaMs > 0) parts.push({ text: ` · ETA ${duration(figures.etaMs)}` });
  if (figures.errors > 0) parts.push({ text: ' · ' }, { text: `${count(figures.errors)} errors`, style: p.red });
  if (figures.bottleneck !== undefined) {
    const b = figures.bottleneck;
    parts.push({ text: ' · bottleneck: ' }, { text: b.state === undefined ? b.kind : `${b.state} (${b.kind})`, style: p.yellow });
  }
  return parts;
}

/** The lines a terminal shows: the header, the column titles, a row per state. */
export function renderTable(figures: RunFigures, layout: TableLayout): string[] {
  const p = layout.paint;
  const rows = figures.states.map((s) => cellsOf(s, figures));
  const titles = COLUMNS.map((c) => c.title);
  for (const row of rows) row.forEach((cell, i) => (layout.widths[i] = Math.max(layout.widths[i] ?? 0, width(cell))));
  COLUMNS.forEach((c, i) => {
    if (c.always || (layout.widths[i] ?? 0) > 0) layout.widths[i] = Math.max(layout.widths[i] ?? 0, width(c.title));
  });
  layout.widths[1] = layout.barWidth + 2;
  const line = (row: readonly string[], styleOf: (i: number) => ((text: string) => string) | undefined, barOf?: () => Segment[]): Segment[] => {
    const out: Segment[] = [];
    row.forEach((cell, i) => {
      const w = layout.widths[i] ?? 0;
      if (w === 0) return; // a column with nothing in it yet
      if (i > 0) out.push({ text: i === 1 ? ' ' : '  ' });
      if (i === 1) {
        out.push(...(barOf?.() ?? [{ text: ' '.repeat(w) }]));
        return;
      }
      const pad = ' '.repeat(Math.max(0, w - width(cell)));
      const column = COLUMNS[i];
      const style = styleOf(i);
      if (column?.right === true) out.push({ text: pad }, { text: cell, ...(style ? { style } : {}) });
      else out.push({ text: cell, ...(style ? { style } : {}) }, { text: pad });
    });
    return out;
  };
  const header = fit(headerOf(figures, p), layout.columns);
  const titleLine = fit(line(titles, () => p.dim), layout.columns);
  const stateLines = figures.states.map((s, r) =>
    fit(
      line(
        rows[r] as string[],
        (i) => (i === 0 && figures.bottleneck?.state === s.state ? p.yellow : i === 8 && s.errors > 0 ? p.red : i === 9 ? p.yellow : undefined),
        () => bar(s, figures.jobs, layout.barWidth, p),
      ),
      layout.columns,
    ),
  );
  return [header, titleLine, ...stateLines];
}

/** The width of a table line without its bar, for fitting the bar into a terminal. */
export function tableWidthWithoutBar(layout: Pick<TableLayout, 'widths'>): number {
  return layout.widths.reduce((sum, w, i) => sum + (i === 1 || w === 0 ? 0 : w) + (i === 0 || w === 0 ? 0 : i === 1 ? 1 : 2), 0);
}

/** The piped progress line's message: settled, rate, ETA, then each state with work in it. */
export function progressMessage(figures: RunFigures): string {
  const head = [`${count(figures.settled)}/${count(figures.jobs)} jobs settled`];
  if (figures.settledPerSecond !== undefined) head.push(rate(figures.settledPerSecond).replace('/s', ' jobs/s'));
  if (figures.transitionsPerSecond !== undefined) head.push(rate(figures.transitionsPerSecond).replace('/s', ' transitions/s'));
  if (figures.etaMs !== undefined && figures.etaMs > 0) head.push(`ETA ${duration(figures.etaMs)}`);
  const busy = figures.states
    .filter((s) => !s.terminal && s.waiting + s.inFlight + s.committing > 0)
    .map((s) => `${s.state}${s.paused === true ? ' (paused)' : ''} ${waitingWords(s)}, ${s.limit === undefined ? count(s.inFlight) : `${count(s.inFlight)}/${count(s.limit)}`} in flight${s.p95Ms === undefined ? '' : `, p95 ${duration(s.p95Ms)}`}`);
  const tail = [figures.errors > 0 ? `${count(figures.errors)} errors` : '', figures.bottleneck === undefined ? '' : `bottleneck ${figures.bottleneck.state === undefined ? figures.bottleneck.kind : `${figures.bottleneck.state} (${figures.bottleneck.kind})`}`].filter((t) => t !== '');
  return [head.join(', '), ...busy, ...tail].join('; ');
}

/** The final summary's message: how it ended, where the jobs are, the mean rate and the errors. */
export function summaryMessage(figures: RunFigures, outcome: 'complete' | 'aborted'): string {
  const where = [
    ...figures.states.filter((s) => s.terminal && (s.done ?? 0) > 0).map((s) => `${count(s.done ?? 0)} ${s.state}`),
    ...figures.states.filter((s) => !s.terminal && s.failed > 0).map((s) => `${count(s.failed)} failed in ${s.state}`),
  ];
  const left = figures.jobs - figures.settled;
  const mean = figures.elapsedMs > 0 ? (figures.settled * 1000) / figures.elapsedMs : undefined;
  const parts = [
    `${outcome === 'complete' ? 'done in' : 'stopped after'} ${duration(figures.elapsedMs)}: ${count(figures.jobs)} jobs${where.length > 0 ? ` (${where.join(', ')})` : ''}${left > 0 ? `, ${count(left)} left` : ''}`,
    mean === undefined ? '' : rate(mean).replace('/s', ' jobs/s'),
    `${count(figures.errors)} errors`,
  ];
  return parts.filter((p) => p !== '').join(', ');
}
