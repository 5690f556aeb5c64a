import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import type { Workflow } from '../model/workflow.js';
import { CliError } from './cli-error.js';

/** A workflow found in a module, with the name it is exported under. */
export interface LoadedWorkflow {
  readonly exportName: string;
  readonly workflow: Workflow<unknown, unknown, unknown>;
}

/** Splits `path/to/module.ts#exportName` into its parts. */
export function parseModuleRef(ref: string): { file: string; exportName: string | undefined } {
  const hash = ref.lastIndexOf('#');
  if (hash <= 0) return { file: resolve(ref), exportName: undefined };
  return { file: resolve(ref.slice(0, hash)), exportName: ref.slice(hash + 1) || undefined };
}

/**
 * Loads a TypeScript or JavaScript module (TypeScript through tsx) and returns its workflows: the
 * named export, or every exported workflow. Throws a CliError saying what is missing.
 */
export async function loadWorkflows(ref: string): Promise<{ file: string; workflows: LoadedWorkflow[] }> {
  const { file, exportName } = parseModuleRef(ref);
  const shown = relative(process.cwd(), file);
  if (!existsSync(file)) throw new CliError(`${shown}: no such file`);
  let exports: Record<string, unknown>;
  try {
    exports = (await tsImport(pathToFileURL(file).href, import.meta.url)) as Record<string, unknown>;
  } catch (error) {
    throw new CliError(`${shown}: could not load the module: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
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

function isWorkflow(value: unknown): value is Workflow<unknown, unknown, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as Partial<Workflow<unknown, unknown, unknown>>;
  return typeof candidate.newRun === 'function' && Array.isArray(candidate.graph?.states) && Array.isArray(candidate.graph?.edges);
}
