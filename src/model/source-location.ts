/**
 * Where a state was declared in source: file path, 1-based line and column. Lint findings and
 * `jorb check` point here, so CI annotations land on the `.state(...)` call.
 *
 * @example
 * ```ts
 * const { file, line, column } = crawl.graph.state('fetch')?.source ?? { file: '?', line: 0, column: 0 };
 * ```
 * @public
 */
export interface SourceLocation {
  /** Absolute path of the file. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
}
