/** The longest rendering, in characters; longer ones are cut and end in `…`. */
const MAX_LENGTH = 80;
/** Containers deeper than this show as `{…}` or `[…]`. */
const MAX_DEPTH = 2;
/** Entries of one container shown before `…`. */
const MAX_ENTRIES = 6;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * Any value as an error message shows it after "got": strings quoted (`"10"`), numbers as written
 * (`NaN`, `-0`, `Infinity`), `10n`, `Symbol(id)`, `undefined`, `function fetchPage`, plain objects
 * and arrays by kind and content (`an object { now: 5 }`, `an array [1, 2]`), other objects by
 * class (`Date(2024-05-01T00:00:00.000Z)`, `Map(2)`, `RangeError: boom`, `Api { url: "…" }`).
 * Nested containers stop at depth 2, a circular reference shows as `[Circular]`, and a rendering
 * longer than 80 characters is cut and ends in `…`. Never throws, whatever the value (a revoked
 * proxy, a throwing getter).
 *
 * @example
 * ```ts
 * throw new TypeError(`fixedRate: burst must be a whole number from 1 up, got ${renderValue(burst)}`);
 * renderValue('10');           // '"10"'
 * renderValue({ burst: '5' }); // 'an object { burst: "5" }'
 * ```
 */
export function renderValue(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? quote(value, MAX_LENGTH - 2) : topLevel(value);
  } catch {
    text = 'a value that cannot be shown';
  }
  return cut(text, MAX_LENGTH);
}

function topLevel(value: unknown): string {
  if (typeof value !== 'object' || value === null) return render(value, 0, []);
  if (Array.isArray(value)) return `an array ${render(value, 0, [])}`;
  return isPlain(value) ? `an object ${render(value, 0, [])}` : render(value, 0, []);
}

function render(value: unknown, depth: number, seen: readonly object[]): string {
  switch (typeof value) {
    case 'string':
      return quote(value, MAX_LENGTH / 2);
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      return value.toString();
    case 'function':
      return value.name ? `function ${value.name}` : 'an anonymous function';
    case 'object':
      return value === null ? 'null' : renderObject(value, depth, seen);
    default:
      return String(value);
  }
}

function renderObject(value: object, depth: number, seen: readonly object[]): string {
  if (seen.includes(value)) return '[Circular]';
  if (value instanceof Error) return value.message ? `${value.name}: ${value.message}` : value.name;
  if (value instanceof Date) return `Date(${Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString()})`;
  if (value instanceof RegExp) return String(value);
  if (value instanceof Map || value instanceof Set) return `${value instanceof Map ? 'Map' : 'Set'}(${value.size})`;
  const inner = [...seen, value];
  if (Array.isArray(value)) {
    if (depth >= MAX_DEPTH) return '[…]';
    const items = value.slice(0, MAX_ENTRIES).map((item: unknown) => render(item, depth + 1, inner));
    if (value.length > MAX_ENTRIES) items.push('…');
    return `[${items.join(', ')}]`;
  }
  const prefix = isPlain(value) ? '' : `${className(value)} `;
  if (depth >= MAX_DEPTH) return `${prefix}{…}`;
  const keys = Object.keys(value);
  if (keys.length === 0) return `${prefix}{}`;
  const entries = keys.slice(0, MAX_ENTRIES).map((key) => `${IDENTIFIER.test(key) ? key : quote(key, MAX_LENGTH / 2)}: ${property(value, key, depth, inner)}`);
  if (keys.length > MAX_ENTRIES) entries.push('…');
  return `${prefix}{ ${entries.join(', ')} }`;
}

function property(value: object, key: string, depth: number, seen: readonly object[]): string {
  try {
    return render((value as Record<string, unknown>)[key], depth + 1, seen);
  } catch {
    return '[unreadable]';
  }
}

function isPlain(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}

function className(value: object): string {
  const constructor = (Object.getPrototypeOf(value) as { constructor?: unknown } | null)?.constructor;
  return typeof constructor === 'function' && constructor.name ? constructor.name : 'Object';
}

/** A string as JSON quotes it, its content cut to `max` characters with `…`. */
function quote(text: string, max: number): string {
  return JSON.stringify(cut(text, max));
}

/** `text` cut to `max` characters (code points, never half of one), the last one `…`. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
