import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import type { SourceLocation } from '../model/source-location.js';
import type { Workflow } from '../model/workflow.js';
import { CliError } from './cli-error.js';
import { definitionProblems } from './definition-problems.js';
import { checkInputFile, shownPath } from './input-file.js';
import { ModuleImportError } from './module-import-error.js';
import { userFrame } from './stack-frame.js';

/** A workflow found in a module, with the name it is exported under. */
export interface LoadedWorkflow {
  readonly exportName: string;
  readonly workflow: Workflow<unknown, unknown, unknown>;
}

/** The environment variable that sets how long importing a module may take, in milliseconds. */
export const IMPORT_TIMEOUT_VARIABLE = 'JORB_IMPORT_TIMEOUT_MS';
const DEFAULT_IMPORT_TIMEOUT_MS = 30_000;

/** Splits `path/to/module.ts#exportName` into its parts. */
export function parseModuleRef(ref: string): { file: string; exportName: string | undefined } {
  const hash = ref.lastIndexOf('#');
  if (hash <= 0) return { file: resolve(ref), exportName: undefined };
  return { file: resolve(ref.slice(0, hash)), exportName: ref.slice(hash + 1) || undefined };
}

/**
 * Loads a TypeScript or JavaScript module (TypeScript through tsx) and returns its workflows: the
 * named export, or every exported workflow. Importing runs the module's top-level code: it is
 * given {@link IMPORT_TIMEOUT_VARIABLE} milliseconds to finish. Throws a DefinitionProblemsError
 * when a workflow's `.build()` threw, a CliError for anything else.
 */
export async function loadWorkflows(ref: string): Promise<{ file: string; workflows: LoadedWorkflow[] }> {
  const { file, exportName } = parseModuleRef(ref);
  const shown = shownPath(file);
  checkInputFile(file, 'module');
  const exports = await importModule(file, shown);
  if (exportName !== undefined) {
    if (!(exportName in exports)) throw new CliError(`${shown}: the module has no export "${exportName}" (it exports ${Object.keys(exports).join(', ') || 'nothing'})`);
    const value = exports[exportName];
    if (!isWorkflow(value)) throw new CliError(`${shown}: the export "${exportName}" is not a built workflow (call .build() on the builder)`);
    return { file, workflows: [{ exportName, workflow: value }] };
  }
  const workflows = Object.entries(exports).flatMap(([name, value]) => (isWorkflow(value) ? [{ exportName: name, workflow: value }] : []));
  if (workflows.length === 0) throw new CliError(`${shown}: the module exports no built workflow`);
  return { file, workflows };
}

const imported: string[] = [];

/** The modules this process has imported (their code may still be running beside the CLI's). */
export function importedModules(): readonly string[] {
  return imported;
}

async function importModule(file: string, shown: string): Promise<Record<string, unknown>> {
  const ms = importTimeoutMs();
  imported.push(shown);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new CliError(timeoutMessage(shown, ms))), ms);
  });
  try {
    return (await Promise.race([tsImport(pathToFileURL(file).href, import.meta.url), timedOut])) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw (await definitionProblems(file, error)) ?? new ModuleImportError(loadErrorMessage(file, shown, error));
  } finally {
    clearTimeout(timer);
  }
}

function importTimeoutMs(): number {
  const raw = process.env[IMPORT_TIMEOUT_VARIABLE];
  if (raw === undefined || raw.trim() === '') return DEFAULT_IMPORT_TIMEOUT_MS;
  const ms = Number(raw);
  if (!Number.isFinite(ms) || ms <= 0) throw new CliError(`${IMPORT_TIMEOUT_VARIABLE}=${raw}: expected a number of milliseconds above 0`);
  return ms;
}

function timeoutMessage(shown: string, ms: number): string {
  const limit = ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
  return (
    `${shown}: importing the module did not finish within ${limit}: its top-level code is still running ` +
    `(a main that starts when imported, or a top-level await that never settles). Guard the main with ` +
    `\`if (import.meta.url === pathToFileURL(process.argv[1]).href)\`; ${IMPORT_TIMEOUT_VARIABLE} sets the limit`
  );
}

// esbuild's "Transform failed with 1 error:" is followed by `/abs/file.ts:1:17: ERROR: Unexpected ";"`.
const LOCATED_DETAIL = /^(.+?):(\d+):(\d+): (?:ERROR: )?(.+)$/;

/**
 * What went wrong importing a module, as one line that starts at the line that threw (or the
 * syntax error) when it is known: `file:line:col: could not load the module: TypeError: …`.
 */
function loadErrorMessage(file: string, shown: string, error: unknown): string {
  const name = error instanceof Error && error.name !== 'Error' ? `${error.name}: ` : '';
  const lines = (error instanceof Error ? error.message : String(error)).split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  const [first = '', ...rest] = lines;
  if (first.endsWith(':') && rest.length > 0) {
    const located = LOCATED_DETAIL.exec(rest[0] ?? '');
    if (located && isAbsolute(located[1] as string) && rest.length === 1) {
      // esbuild counts columns from 0
      const source = { file: located[1] as string, line: Number(located[2]), column: Number(located[3]) + 1 };
      return `${at(source, file, shown)}: could not load the module: ${located[4] as string}`;
    }
    return `${at(userFrame(error), file, shown)}: could not load the module: ${name}${first} ${rest.join('; ')}`;
  }
  return `${at(userFrame(error), file, shown)}: could not load the module: ${name}${first}`;
}

/** The module's name, or the place in it that threw; a place in another file is added after the module's name. */
function at(source: SourceLocation | undefined, file: string, shown: string): string {
  if (!source) return shown;
  const place = `${shownPath(source.file)}:${source.line}:${source.column}`;
  return source.file === file ? place : `${shown} (at ${place})`;
}

function isWorkflow(value: unknown): value is Workflow<unknown, unknown, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as Partial<Workflow<unknown, unknown, unknown>>;
  return typeof candidate.newRun === 'function' && Array.isArray(candidate.graph?.states) && Array.isArray(candidate.graph?.edges);
}
