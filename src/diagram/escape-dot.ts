import { displayText, replaceUnshowable } from './display-text.js';

/**
 * An `&` that Graphviz 2.x writes into SVG as it is, taking it for the start of an entity: `&name;`,
 * `&#123;`, `&#x1F;`, even `&;` — which leaves the SVG malformed when the name is an ID. Labels are
 * not affected (their `&` is always escaped); newer Graphviz escapes both.
 */
const ENTITY_LIKE_AMPERSAND = /&(?=(?:#[xX][0-9a-fA-F]*|#[0-9]*|[A-Za-z]*);)/g;

/**
 * A name as a quoted DOT ID: `"` and `\` escaped with a backslash, so `parse -> "done"` stays one
 * ID and keywords such as `node` or `subgraph` are plain names. Characters Graphviz cannot hold (a
 * NUL ends its strings) or write into XML — and an `&` that old Graphviz would write as an entity
 * — become `\uXXXX`: unambiguous, since every backslash of the name is doubled, so distinct names
 * always make distinct IDs. (DOT keeps a doubled backslash in an ID as it is: Graphviz's tooltip
 * for `a\b` reads `a\\b`; labels read right.)
 *
 * @example
 * ```ts
 * dotId('say "hi"'); // '"say \\"hi\\""'
 * ```
 */
export function dotId(name: string): string {
  const escaped = name.replace(/["\\]/g, (c) => `\\${c}`).replace(ENTITY_LIKE_AMPERSAND, '\\u0026');
  return `"${replaceUnshowable(escaped, (cp) => `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`)}"`;
}

/**
 * Lines of text as a quoted DOT label (an escString): each line's `\` doubled (so `\N` or `\n` in
 * a name is not read as an escape), `"` escaped, `&` written `&amp;` (Graphviz decodes HTML
 * entities in labels, so `&amp;` would otherwise show as `&`), unshowable characters shown as
 * {@link displayText} does, and the lines joined with `\n` (centred line breaks).
 *
 * @example
 * ```ts
 * dotLabel(['fetch', 'concurrency 8']); // '"fetch\\nconcurrency 8"'
 * ```
 */
export function dotLabel(lines: readonly string[]): string {
  return `"${lines.map((line) => displayText(line).replace(/["\\]/g, (c) => `\\${c}`).replace(/&/g, '&amp;')).join('\\n')}"`;
}
