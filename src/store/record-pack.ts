import type { StoreRecord } from '../model/store-record.js';

/**
 * Checked log records in a form that crosses to another thread cheaply: a structured clone of a
 * million parsed records costs the receiving thread more than parsing them itself, but numbers in
 * typed arrays (transferred, not copied), state names as places in a table and every job context
 * in one JSON text cost it a tenth of that. A plain transition (no error, failed mark, kicks or due time)
 * goes in that form when its job context survives JSON.stringify and JSON.parse as it is (all but
 * -0 and numbers too big for a double do, see survivesJson); any other record goes as its line,
 * which the receiver parses again.
 */
export interface RecordPack {
  readonly count: number;
  /** Per record: 1 for a plain transition in the fields below, 0 for one given by its line in `lines`. */
  readonly plain: Uint8Array;
  readonly seq: Float64Array;
  /** The record's 1-based line in the log. */
  readonly line: Float64Array;
  /** Plain transitions: `at`, and `from` and `to` as places in the state table (see `states`). */
  readonly at: Float64Array;
  readonly from: Uint32Array;
  readonly to: Uint32Array;
  /** Plain transitions' ids, in order. */
  readonly ids: readonly string[];
  /** Plain transitions' job contexts, in order, as one JSON array. */
  readonly jcs: string;
  /** The other records' lines, in order. */
  readonly lines: readonly string[];
  /** State names new to the table with this pack (the table is appended to, pack after pack). */
  readonly states: readonly string[];
  /** Warnings to give after the record at each index (`at` = how many of this pack's records come before). */
  readonly warnings: readonly { readonly at: number; readonly message: string }[];
}

/** Gathers records into packs (on the thread that reads the log). */
export class RecordPacker {
  #count = 0;
  #plain = new Uint8Array(1024);
  #seq = new Float64Array(1024);
  #line = new Float64Array(1024);
  #at = new Float64Array(1024);
  #from = new Uint32Array(1024);
  #to = new Uint32Array(1024);
  #ids: string[] = [];
  #jcs: string[] = [];
  #lines: string[] = [];
  #newStates: string[] = [];
  #warnings: { at: number; message: string }[] = [];
  readonly #table = new Map<string, number>();
  /** Where the records of closed batches end: {@link RecordPacker.close}. */
  #closed = { count: 0, ids: 0, lines: 0 };
  #jcBytes = 0;

  get count(): number {
    return this.#count;
  }

  add(record: StoreRecord<unknown> & { seq: number }, text: string, line: number): void {
    const i = this.#count;
    if (i === this.#seq.length) this.#grow();
    this.#count++;
    this.#seq[i] = record.seq;
    this.#line[i] = line;
    const jc = record.type === 'transition' && record.error === undefined && record.failed === undefined && record.kicks === undefined && record.dueAt === undefined ? packedJc(record.jc) : undefined;
    if (jc !== undefined && record.type === 'transition') {
      this.#plain[i] = 1;
      this.#at[i] = record.at;
      this.#from[i] = this.#place(record.from);
      this.#to[i] = this.#place(record.to);
      this.#ids.push(record.id);
      this.#jcs.push(jc);
      this.#jcBytes += jc.length;
      return;
    }
    this.#plain[i] = 0;
    this.#lines.push(text);
  }

  /** The length of the job contexts packed so far (they are joined into one string when taken). */
  get jcBytes(): number {
    return this.#jcBytes;
  }

  /** The records added so far belong to closed batches. */
  close(): void {
    this.#closed = { count: this.#count, ids: this.#ids.length, lines: this.#lines.length };
  }

  /** Drops the records added since the last {@link RecordPacker.close} (a torn batch, or one a problem stopped). */
  dropOpen(): void {
    this.#count = this.#closed.count;
    this.#ids.length = this.#closed.ids;
    this.#jcs.length = this.#closed.ids;
    this.#lines.length = this.#closed.lines;
  }

  /** A warning that comes after the records of the closed batches so far (before those of the open one: it is about its batch line). */
  warn(message: string): void {
    this.#warnings.push({ at: this.#closed.count, message });
  }

  /** The records and warnings so far (all of closed batches), with the buffers to transfer; the packer starts empty. */
  take(): { pack: RecordPack; transfer: ArrayBuffer[] } {
    this.dropOpen();
    const n = this.#count;
    const plain = this.#plain.slice(0, n);
    const seq = this.#seq.slice(0, n);
    const line = this.#line.slice(0, n);
    const at = this.#at.slice(0, n);
    const from = this.#from.slice(0, n);
    const to = this.#to.slice(0, n);
    const pack: RecordPack = { count: n, plain, seq, line, at, from, to, ids: this.#ids, jcs: `[${this.#jcs.join(',')}]`, lines: this.#lines, states: this.#newStates, warnings: this.#warnings };
    this.#count = 0;
    this.#jcBytes = 0;
    this.#ids = [];
    this.#jcs = [];
    this.#lines = [];
    this.#newStates = [];
    this.#warnings = [];
    this.#closed = { count: 0, ids: 0, lines: 0 };
    return { pack, transfer: [plain.buffer, seq.buffer, line.buffer, at.buffer, from.buffer, to.buffer] };
  }

  #place(state: string): number {
    let place = this.#table.get(state);
    if (place === undefined) {
      place = this.#table.size;
      this.#table.set(state, place);
      this.#newStates.push(state);
    }
    return place;
  }

  #grow(): void {
    const size = this.#seq.length * 2;
    const grown = <T extends Uint8Array | Uint32Array | Float64Array>(from: T, make: (n: number) => T): T => {
      const to = make(size);
      to.set(from);
      return to;
    };
    this.#plain = grown(this.#plain, (n) => new Uint8Array(n));
    this.#seq = grown(this.#seq, (n) => new Float64Array(n));
    this.#line = grown(this.#line, (n) => new Float64Array(n));
    this.#at = grown(this.#at, (n) => new Float64Array(n));
    this.#from = grown(this.#from, (n) => new Uint32Array(n));
    this.#to = grown(this.#to, (n) => new Uint32Array(n));
  }
}

/**
 * Whether JSON.parse(JSON.stringify(value)) gives `value` again, for a value JSON.parse made: every
 * value does (key order, duplicate keys, `__proto__` keys and lone surrogates included) but -0 (it
 * becomes 0) and an infinity (a number too big for a double, such as 1e400; it becomes null).
 */
/**
 * A job context as packed JSON text, or `undefined` when it goes with its line instead: it would not
 * survive the round trip (see survivesJson), it is too deep for the recursion of checking or
 * stringifying it (a hand-made log; the main thread's parse takes it), or it is large (packs are
 * joined into one string, which has a length limit: a large context is its own string as a line).
 */
function packedJc(value: unknown): string | undefined {
  try {
    if (!survivesJson(value)) return undefined;
    const text = JSON.stringify(value);
    return text.length <= LARGEST_PACKED_JC ? text : undefined;
  } catch {
    return undefined;
  }
}

/** The longest job context packed (as JSON text); a longer one goes as its line. */
const LARGEST_PACKED_JC = 64 << 10;

function survivesJson(value: unknown): boolean {
  if (typeof value === 'number') return value !== 0 ? Number.isFinite(value) : 1 / value > 0;
  if (typeof value !== 'object') return value !== undefined;
  if (value === null) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (!survivesJson(item)) return false;
    return true;
  }
  for (const key in value) if (!survivesJson((value as Record<string, unknown>)[key])) return false;
  return true;
}

/** Reads packs back into records (on the thread that applies them), keeping the state table across packs. */
export class RecordUnpacker {
  readonly #states: string[] = [];

  /**
   * Calls `each` with every record of the pack in order, and `warn` with each warning where it
   * falls among them.
   */
  unpack<JC>(pack: RecordPack, each: (record: StoreRecord<JC> & { seq?: number }, seq: number, line: number) => void, warn: (message: string) => void): void {
    for (const state of pack.states) this.#states.push(state);
    const states = this.#states;
    const jcs = JSON.parse(pack.jcs) as JC[];
    let w = 0;
    let plain = 0;
    let other = 0;
    for (let i = 0; i < pack.count; i++) {
      for (; w < pack.warnings.length && (pack.warnings[w] as { at: number }).at <= i; w++) warn((pack.warnings[w] as { message: string }).message);
      const seq = pack.seq[i] as number;
      if (pack.plain[i] === 1) {
        const record: StoreRecord<JC> = { type: 'transition', id: pack.ids[plain] as string, from: states[pack.from[i] as number] as string, to: states[pack.to[i] as number] as string, jc: jcs[plain] as JC, at: pack.at[i] as number };
        plain++;
        each(record, seq, pack.line[i] as number);
      } else {
        each(JSON.parse(pack.lines[other++] as string) as StoreRecord<JC>, seq, pack.line[i] as number);
      }
    }
    for (; w < pack.warnings.length; w++) warn((pack.warnings[w] as { message: string }).message);
  }
}
