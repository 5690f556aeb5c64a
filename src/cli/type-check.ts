import { dirname, relative } from 'node:path';
import type * as TS from 'typescript';
import { CliError } from './cli-error.js';
import { requireTypeScript } from './load-typescript.js';

/** One compiler diagnostic, positioned. */
export interface TypeDiagnostic {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly code: number;
  readonly message: string;
}

const DEFAULT_OPTIONS = {
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  target: 'ES2022',
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
} as const;

/**
 * Type-checks a module and everything it imports (outside node_modules) with the nearest
 * tsconfig.json, or `project` when given, or strict defaults when there is none.
 */
export async function typeCheck(file: string, project?: string): Promise<TypeDiagnostic[]> {
  const ts = await requireTypeScript();
  const configPath = project ?? ts.findConfigFile(dirname(file), (f) => ts.sys.fileExists(f));
  const options = configPath ? readConfig(ts, configPath) : ts.convertCompilerOptionsFromJson(DEFAULT_OPTIONS, dirname(file)).options;
  const program = ts.createProgram({ rootNames: [file], options: { ...options, noEmit: true } });
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.category === ts.DiagnosticCategory.Error && !(d.file?.fileName.includes('/node_modules/') ?? false))
    .map((d) => toDiagnostic(ts, d));
}

function toDiagnostic(ts: typeof TS, d: TS.Diagnostic): TypeDiagnostic {
  const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
  if (!d.file || d.start === undefined) return { file: '', line: 0, column: 0, code: d.code, message };
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  return { file: relative(process.cwd(), d.file.fileName), line: line + 1, column: character + 1, code: d.code, message };
}

function readConfig(ts: typeof TS, configPath: string): TS.CompilerOptions {
  const host: TS.ParseConfigFileHost = { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined };
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, host);
  if (!parsed) throw new CliError(`${configPath}: could not read the TypeScript config`);
  const fatal = parsed.errors.find((e) => e.category === ts.DiagnosticCategory.Error && e.code !== 18003); // 18003: no inputs, fine here
  if (fatal) throw new CliError(`${configPath}: ${ts.flattenDiagnosticMessageText(fatal.messageText, ' ')}`);
  return parsed.options;
}
