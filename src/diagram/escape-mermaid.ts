import { displayText } from './display-text.js';

/**
 * Characters written as Mermaid entity codes (`#quot;`, `#35;`…) in a label. A `"` would end the
 * string; `#` would start an entity code; `%` could open a `%%{init}%%` directive, which Mermaid
 * strips from anywhere in the text; `:` could complete Mermaid's `style…:…#…;` rewrite of a line;
 * `<`, `>` and `&` would be read as HTML; a backquote could open a markdown string.
 */
const SPECIAL = /["#%&:<>`]/g;

/** Named codes where Mermaid has them, for readable output; the others by number. */
const NAMED: Readonly<Record<string, string>> = { '"': 'quot', '&': 'amp', '<': 'lt', '>': 'gt' };

/**
 * Text as it goes inside a quoted Mermaid label: display text (see {@link displayText}) with each
 * special character as an entity code, and leading and trailing whitespace as numeric codes so
 * Mermaid does not trim it. Mermaid turns the codes back into the characters when it renders.
 *
 * @example
 * ```ts
 * mermaidText('say "hi" #1'); // 'say #quot;hi#quot; #35;1'
 * ```
 */
export function mermaidText(text: string): string {
  const escaped = displayText(text).replace(SPECIAL, (c) => `#${NAMED[c] ?? c.charCodeAt(0)};`);
  return escaped.replace(/^\s+|\s+$/gu, (spaces) => [...spaces].map((c) => `#${c.codePointAt(0) ?? 32};`).join(''));
}

/**
 * Lines of text as a quoted Mermaid label, joined with `<br>`.
 *
 * @example
 * ```ts
 * mermaidLabel(['fetch', 'concurrency 8']); // '"fetch<br>concurrency 8"'
 * ```
 */
export function mermaidLabel(lines: readonly string[]): string {
  return `"${lines.map(mermaidText).join('<br>')}"`;
}

/**
 * A title as a YAML double-quoted scalar for a Mermaid front-matter block: JSON's escaping (a
 * subset of YAML's), plus `\u` codes for what Mermaid would otherwise act on before reading the
 * YAML (`#`, `%`, `<`, `>`) and for line and paragraph separators.
 *
 * @example
 * ```ts
 * mermaidTitle('crawl #2'); // '"crawl \\u00232"'
 * ```
 */
export function mermaidTitle(title: string): string {
  return JSON.stringify(displayText(title)).replace(/[#%<>\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`);
}
