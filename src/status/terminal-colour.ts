// Colour for the terminal display: whether to use it (NO_COLOR, FORCE_COLOR, a terminal) and the
// few styles it uses.

/**
 * The environment variables the display reads (`NO_COLOR`, `FORCE_COLOR`, `CI`).
 *
 * @example
 * ```ts
 * progressBars({ env: { NO_COLOR: '1' } });
 * ```
 * @public
 */
export type DisplayEnv = Readonly<Record<string, string | undefined>>;

/**
 * Whether to colour: never when `NO_COLOR` is set and not empty (no-color.org: it wins over
 * everything); else when `FORCE_COLOR` is set, unless it is `0` or `false` (an empty one forces,
 * as in supports-color); else only on an interactive terminal.
 */
export function colourWanted(env: DisplayEnv, interactive: boolean): boolean {
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  const force = env['FORCE_COLOR'];
  if (force !== undefined) return force !== '0' && force !== 'false';
  return interactive;
}

/** Whether the environment is CI: `CI` set to anything but empty, `0` or `false`. */
export function inCi(env: DisplayEnv): boolean {
  const ci = env['CI'];
  return ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false';
}

/** The styles of the display: each wraps text in SGR codes, or returns it as it is without colour. */
export interface Paint {
  readonly bold: (text: string) => string;
  readonly dim: (text: string) => string;
  readonly red: (text: string) => string;
  readonly green: (text: string) => string;
  readonly yellow: (text: string) => string;
  readonly cyan: (text: string) => string;
}

const sgr = (open: number, close: number) => (text: string) => (text === '' ? text : `\x1b[${open}m${text}\x1b[${close}m`);
const plain = (text: string) => text;

/** The styles, coloured or plain. */
export function paint(colour: boolean): Paint {
  if (!colour) return { bold: plain, dim: plain, red: plain, green: plain, yellow: plain, cyan: plain };
  return { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39), cyan: sgr(36, 39) };
}
