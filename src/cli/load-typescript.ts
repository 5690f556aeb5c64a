import type * as TS from 'typescript';
import { CliError } from './cli-error.js';

/** The typescript package, or undefined when it is not installed (a JavaScript-only project). */
export async function optionalTypeScript(): Promise<typeof TS | undefined> {
  try {
    const mod = (await import('typescript')) as unknown as { default: typeof TS };
    return mod.default;
  } catch {
    return undefined;
  }
}

/** The typescript package, which `jorb check` needs. */
export async function requireTypeScript(): Promise<typeof TS> {
  const ts = await optionalTypeScript();
  if (!ts) throw new CliError('jorb check needs the typescript package: npm install --save-dev typescript');
  return ts;
}
