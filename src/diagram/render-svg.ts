import { Graphviz } from '@hpcc-js/wasm-graphviz';

let loaded: Promise<Graphviz> | undefined;

/**
 * Renders DOT to SVG with Graphviz compiled to WebAssembly (shipped in an npm package), so no
 * system Graphviz is needed.
 *
 * @example
 * ```ts
 * await writeFile('docs/crawl.svg', await renderSvg(toDot(crawl)));
 * ```
 * @public
 */
export async function renderSvg(dot: string): Promise<string> {
  loaded ??= Graphviz.load();
  return (await loaded).dot(dot, 'svg');
}
