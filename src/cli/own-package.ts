import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The jorb-ts package this CLI is part of: its folder and version (from its package.json). */
export interface OwnPackage {
  readonly root: string;
  readonly version: string;
}

// src/cli in a checkout (run through tsx), dist/src/cli in an installed package.
const CANDIDATES = ['../../package.json', '../../../package.json'];

let found: OwnPackage | undefined;

/** Reads the package.json above this file whose name is jorb-ts. */
export function ownPackage(): OwnPackage {
  if (found) return found;
  for (const candidate of CANDIDATES) {
    const url = new URL(candidate, import.meta.url);
    try {
      const pkg = JSON.parse(readFileSync(url, 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'jorb-ts' && typeof pkg.version === 'string') return (found = { root: dirname(fileURLToPath(url)), version: pkg.version });
    } catch {
      // not this one
    }
  }
  return (found = { root: dirname(dirname(fileURLToPath(import.meta.url))), version: 'unknown' });
}
