// Every public export carries TSDoc with an @example (api-extractor checks that docs exist; this
// checks they show how to use the thing).
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const indexFile = fileURLToPath(new URL('../src/index.ts', import.meta.url));

function exportsWithoutExample(): { missing: string[]; total: number } {
  const program = ts.createProgram([indexFile], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, strict: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(indexFile);
  if (!source) throw new Error('src/index.ts not found');
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error('src/index.ts is not a module');
  const missing: string[] = [];
  const all = checker.getExportsOfModule(moduleSymbol);
  for (const exported of all) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const hasExample = (symbol.declarations ?? []).some((d) => ts.getJSDocTags(d).some((tag) => tag.tagName.text === 'example'));
    if (!hasExample) missing.push(exported.name);
  }
  return { missing, total: all.length };
}

describe('the public API', () => {
  it('documents every export with an example', () => {
    const { missing, total } = exportsWithoutExample();
    expect(total).toBeGreaterThan(30);
    expect(missing).toEqual([]);
  });
});
