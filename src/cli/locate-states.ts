import { readFileSync } from 'node:fs';
import type * as TS from 'typescript';
import type { SourceLocation } from '../model/source-location.js';

/**
 * Where states are declared, read from the source of the file that calls `.build()`: the
 * `.state('name')` and `.terminal('name')` calls of the builder chain that ends in the `.build()`
 * at `build`, else any such call in the file; in source order. What a workflow whose build threw can still tell:
 * the states' own recorded locations died with the builder.
 */
export function locateStates(ts: typeof TS, build: SourceLocation): (state: string) => readonly SourceLocation[] {
  let text: string;
  try {
    text = readFileSync(build.file, 'utf8');
  } catch {
    return () => [];
  }
  const sourceFile = ts.createSourceFile(build.file, text, ts.ScriptTarget.Latest, true);
  const inChain = new Map<string, SourceLocation[]>();
  const inFile = new Map<string, SourceLocation[]>();
  const where = (node: TS.Node): SourceLocation => {
    const { line, character } = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile));
    return { file: build.file, line: line + 1, column: character + 1 };
  };
  const note = (map: Map<string, SourceLocation[]>, call: TS.CallExpression) => {
    const method = methodOf(ts, call);
    if (method?.name !== 'state' && method?.name !== 'terminal') return;
    const names = method.name === 'state' ? call.arguments.slice(0, 1) : call.arguments;
    for (const arg of names) {
      if (!ts.isStringLiteralLike(arg)) continue;
      map.set(arg.text, [...(map.get(arg.text) ?? []), where(method.nameNode)]);
    }
  };
  const visit = (node: TS.Node) => {
    if (ts.isCallExpression(node)) {
      note(inFile, node);
      const method = methodOf(ts, node);
      if (method?.name === 'build') {
        const at = where(method.nameNode);
        if (at.line === build.line && at.column === build.column) {
          // Walk down the chain: a.state(…).to(…).exec(…).terminal(…).build()
          for (let link: TS.Expression = method.receiver; ts.isCallExpression(link); ) {
            note(inChain, link);
            const next = methodOf(ts, link);
            if (!next) break;
            link = next.receiver;
          }
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  // The chain is walked from its end: put its declarations back in source order.
  for (const list of inChain.values()) list.reverse();
  return (state) => inChain.get(state) ?? inFile.get(state) ?? [];
}

function methodOf(ts: typeof TS, call: TS.CallExpression): { name: string; nameNode: TS.Node; receiver: TS.Expression } | undefined {
  const callee = call.expression;
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  return { name: callee.name.text, nameNode: callee.name, receiver: callee.expression };
}
