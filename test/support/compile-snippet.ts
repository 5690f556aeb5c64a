// Compiles a snippet of user code in-process with the TypeScript compiler API, the way a user's
// strict project would, and reports what the user would read. The snippet is a virtual file,
// test/__snippet__.ts, served from memory; it imports the library from '../src/index.js'.
//
// Speed: lib, @types/node and the library's own source files are parsed (and bound) once per
// process and reused by every later program, which is also given the previous one as its
// oldProgram; only the snippet is new each time.
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The repository root, with forward slashes, as the compiler spells paths. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\\/g, '/').replace(/\/$/, '');

/** Where the snippet lives, as far as the compiler knows: next to the tests, importing `../src/index.js`. */
export const SNIPPET_FILE = `${REPO_ROOT}/test/__snippet__.ts`;

/** The options of a strict user project (those of this repository's tsconfig that change checking). */
export const SNIPPET_OPTIONS: ts.CompilerOptions = Object.freeze({
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2023.d.ts'],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  types: ['node'],
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  skipLibCheck: true,
  noEmit: true,
});

/** One diagnostic of the snippet, as a user reads it. */
export interface SnippetDiagnostic {
  /** 1-based line in the snippet. */
  readonly line: number;
  /** 1-based column in the snippet. */
  readonly column: number;
  /** The TSnnnn code. */
  readonly code: number;
  /** The message with its chain, flattened with '\n' (each level indented by two spaces). */
  readonly message: string;
  /** As `tsc --pretty false` prints it: `__snippet__.ts:12:5 - error TS2345: …`. */
  readonly text: string;
  /** The related information editors show under the message (`file:line:col - message`). */
  readonly related: readonly string[];
  /** Offsets of the span the diagnostic covers (what an editor underlines). */
  readonly start: number;
  readonly end: number;
}

const sourceFiles = new Map<string, ts.SourceFile>();
let previous: ts.Program | undefined;

function snippetHost(source: string): ts.CompilerHost {
  const host = ts.createCompilerHost(SNIPPET_OPTIONS, true);
  const isSnippet = (fileName: string) => fileName === SNIPPET_FILE;
  const getSourceFile = host.getSourceFile.bind(host);
  return {
    ...host,
    fileExists: (fileName) => isSnippet(fileName) || host.fileExists(fileName),
    readFile: (fileName) => (isSnippet(fileName) ? source : host.readFile(fileName)),
    getSourceFile(fileName, languageVersionOrOptions, onError, shouldCreate) {
      if (isSnippet(fileName)) return ts.createSourceFile(fileName, source, languageVersionOrOptions, true, ts.ScriptKind.TS);
      const cached = sourceFiles.get(fileName);
      if (cached) return cached;
      const file = getSourceFile(fileName, languageVersionOrOptions, onError, shouldCreate);
      if (file) sourceFiles.set(fileName, file);
      return file;
    },
  };
}

/**
 * Type-checks `source` as test/__snippet__.ts and returns its diagnostics (syntactic and semantic,
 * of the snippet only), in order.
 *
 * @example
 * ```ts
 * compileSnippet(`import { workflow } from '../src/index.js';\nworkflow('w').build();`); // []
 * ```
 */
export function compileSnippet(source: string): readonly SnippetDiagnostic[] {
  const program = ts.createProgram([SNIPPET_FILE], SNIPPET_OPTIONS, snippetHost(source), previous);
  previous = program;
  const file = program.getSourceFile(SNIPPET_FILE);
  if (!file) throw new Error(`the compiler did not load ${SNIPPET_FILE}`);
  const diagnostics = [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)];
  return diagnostics.map((d) => toSnippetDiagnostic(d, file)).sort((a, b) => a.start - b.start);
}

/** A diagnostic of the snippet file in the shape tests and docs print. */
export function toSnippetDiagnostic(d: ts.Diagnostic, file: ts.SourceFile): SnippetDiagnostic {
  const { line, character } = file.getLineAndCharacterOfPosition(d.start ?? 0);
  const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
  const category = ts.DiagnosticCategory[d.category].toLowerCase();
  const text = `${where(file, d.start ?? 0)} - ${category} TS${d.code}: ${message}`;
  const related = (d.relatedInformation ?? []).map((r) => {
    const note = ts.flattenDiagnosticMessageText(r.messageText, '\n');
    return r.file ? `${where(r.file, r.start ?? 0)} - ${note}` : note;
  });
  const start = d.start ?? 0;
  return { line: line + 1, column: character + 1, code: d.code, message, text, related, start, end: start + (d.length ?? 0) };
}

/** `file:line:col`, the snippet as `__snippet__.ts`, other files relative to the repository. */
function where(file: ts.SourceFile, position: number): string {
  const { line, character } = file.getLineAndCharacterOfPosition(position);
  const name = file.fileName === SNIPPET_FILE ? '__snippet__.ts' : file.fileName.replace(`${REPO_ROOT}/`, '');
  return `${name}:${line + 1}:${character + 1}`;
}

/**
 * The offset of the `occurrence`-th (0-based) `marker` in `source`, plus `delta`; throws when
 * absent so a test never asks the language service about the wrong place.
 */
export function offsetOf(source: string, marker: string, delta = 0, occurrence = 0): number {
  let at = -1;
  for (let i = 0; i <= occurrence; i++) {
    at = source.indexOf(marker, at + 1);
    if (at < 0) throw new Error(`marker ${JSON.stringify(marker)} (occurrence ${occurrence}) not in the snippet`);
  }
  return at + delta;
}

/** The 1-based line of the first `marker` in `source`. */
export function lineOf(source: string, marker: string): number {
  return source.slice(0, offsetOf(source, marker)).split('\n').length;
}

/** A language service over the snippet, as an editor would run it: set the text, then ask. */
export interface SnippetService {
  readonly service: ts.LanguageService;
  readonly fileName: string;
  /** Replaces the snippet's text (a new version, as an editor sends on each keystroke). */
  setSource(source: string): void;
}

/**
 * A language service whose only root is the snippet, served from memory, with the same options
 * as {@link compileSnippet}; library files are read from disk and kept by the service.
 */
export function snippetLanguageService(initial = ''): SnippetService {
  let source = initial;
  let version = 0;
  const host: ts.LanguageServiceHost = {
    getCompilationSettings: () => SNIPPET_OPTIONS,
    getScriptFileNames: () => [SNIPPET_FILE],
    getScriptVersion: (fileName) => (fileName === SNIPPET_FILE ? String(version) : '0'),
    getScriptSnapshot(fileName) {
      if (fileName === SNIPPET_FILE) return ts.ScriptSnapshot.fromString(source);
      const text = ts.sys.readFile(fileName);
      return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
    },
    getCurrentDirectory: () => REPO_ROOT,
    getDefaultLibFileName: (options) => ts.getDefaultLibFilePath(options),
    fileExists: (fileName) => fileName === SNIPPET_FILE || ts.sys.fileExists(fileName),
    readFile: (fileName) => (fileName === SNIPPET_FILE ? source : ts.sys.readFile(fileName)),
    readDirectory: ts.sys.readDirectory.bind(ts.sys),
    directoryExists: ts.sys.directoryExists.bind(ts.sys),
    getDirectories: ts.sys.getDirectories.bind(ts.sys),
    realpath: (path) => ts.sys.realpath?.(path) ?? path,
    useCaseSensitiveFileNames: () => ts.sys.useCaseSensitiveFileNames,
  };
  const service = ts.createLanguageService(host, ts.createDocumentRegistry());
  return {
    service,
    fileName: SNIPPET_FILE,
    setSource(next) {
      source = next;
      version++;
    },
  };
}
