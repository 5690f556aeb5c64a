import { relative } from 'node:path';
import type { LintFinding } from '../lint/lint-finding.js';
import type { DefinitionProblem } from './definition-problems.js';
import type { TypeDiagnostic } from './type-check.js';

/** How findings are printed: `text` (file:line:col, read by most CI problem matchers) or GitHub workflow commands. */
export type AnnotationFormat = 'text' | 'github';

/** One line per finding (continuation lines of long compiler messages indented below it). */
export function formatTypeDiagnostic(d: TypeDiagnostic, format: AnnotationFormat): string {
  const [first = '', ...rest] = d.message.split('\n');
  if (format === 'github') return `::error file=${d.file},line=${d.line},col=${d.column},title=TS${d.code}::${escapeGithub(d.message)}`;
  const where = d.file ? `${d.file}:${d.line}:${d.column}: ` : '';
  return [`${where}error TS${d.code}: ${first}`, ...rest.map((l) => `    ${l.trim()}`)].join('\n');
}

export function formatLintFinding(f: LintFinding, format: AnnotationFormat): string {
  const text = `${f.workflow}:${f.state}: ${f.message}`;
  const file = f.source ? relative(process.cwd(), f.source.file) : undefined;
  if (format === 'github') {
    const where = f.source && file ? `file=${file},line=${f.source.line},col=${f.source.column},` : '';
    return `::error ${where}title=jorb lint ${f.rule}::${escapeGithub(text)}`;
  }
  const where = f.source && file ? `${file}:${f.source.line}:${f.source.column}: ` : '';
  return `${where}error jorb-lint(${f.rule}): ${text}`;
}

/** A problem `.build()` reported, at its state's declaration: `file:line:col: error jorb-build: workflow: problem`. */
export function formatDefinitionProblem(p: DefinitionProblem, format: AnnotationFormat): string {
  const text = `${p.workflow}: ${p.message}`;
  const file = p.source ? relative(process.cwd(), p.source.file) : undefined;
  if (format === 'github') {
    const where = p.source && file ? `file=${file},line=${p.source.line},col=${p.source.column},` : '';
    return `::error ${where}title=jorb build::${escapeGithub(text)}`;
  }
  const where = p.source && file ? `${file}:${p.source.line}:${p.source.column}: ` : '';
  return `${where}error jorb-build: ${text}`;
}

function escapeGithub(text: string): string {
  return text.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}
