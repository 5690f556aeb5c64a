#!/usr/bin/env node
// The `jorb` command. In a checkout of the repository it runs the TypeScript source through tsx
// (so a stale dist/ never answers); an installed package has no src/ and runs the compiled dist/.
// main() exits the process with the command's exit code when it is done.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
const cli = existsSync(source)
  ? await (await import('tsx/esm/api')).tsImport(source.href, import.meta.url)
  : await import(new URL('../dist/src/cli/main.js', import.meta.url).href);
await cli.main(process.argv.slice(2));
