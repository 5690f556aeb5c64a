/**
 * Characters a diagram cannot show as themselves: C0 and C1 controls and DEL (a newline would
 * split a label, a NUL ends a Graphviz string), Unicode noncharacters and unpaired surrogates
 * (neither is valid in the UTF-8 and XML that renderers write).
 */
const UNSHOWABLE = /[\p{Cc}\p{Cs}\p{Noncharacter_Code_Point}]/gu;

/**
 * Replaces each character of `text` that a diagram cannot show as itself (a control character, a
 * noncharacter, an unpaired surrogate) by `replace(codePoint)`.
 *
 * @example
 * ```ts
 * replaceUnshowable('a\tb', (cp) => `\\u${cp.toString(16)}`); // 'a\\u9b'
 * ```
 */
export function replaceUnshowable(text: string, replace: (codePoint: number) => string): string {
  return text.replace(UNSHOWABLE, (ch) => replace(ch.codePointAt(0) ?? 0xfffd));
}

/**
 * A state or workflow name as a diagram shows it: one line of printable text. C0 controls and DEL
 * become their Unicode control pictures (a newline shows as `␊`, a tab as `␉`); C1 controls,
 * noncharacters and unpaired surrogates show as `⟨U+0085⟩`. Every other character, quotes and
 * backslashes included, is kept (each format escapes them its own way).
 *
 * @example
 * ```ts
 * displayText('line one\nline two'); // 'line one␊line two'
 * ```
 */
export function displayText(text: string): string {
  return replaceUnshowable(text, (cp) => {
    if (cp < 0x20) return String.fromCodePoint(0x2400 + cp);
    if (cp === 0x7f) return '\u2421';
    return `⟨U+${cp.toString(16).toUpperCase().padStart(4, '0')}⟩`;
  });
}
