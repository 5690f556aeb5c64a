// What the docs show is generated from the code; these fail when it is stale.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { quickstartSvg, README, readmeWithDiagram, SVG } from '../scripts/docs.js';

describe('generated docs', () => {
  it('README.md embeds the current Mermaid diagram of the quickstart (run `npm run docs` when this fails)', () => {
    const readme = readFileSync(README, 'utf8');
    expect(readme).toContain('```mermaid\n---\ntitle: "crawl"\n---\nflowchart LR');
    expect(readme, 'README.md is stale: run `npm run docs` and commit the result').toBe(readmeWithDiagram(readme));
  });

  it('docs/quickstart.svg is the current rendering of the quickstart (run `npm run docs` when this fails)', async () => {
    const svg = readFileSync(SVG, 'utf8');
    expect(svg).toContain('<svg');
    // Graphviz writes '-' in text as the entity &#45;.
    for (const state of ['fetch', 'parse', 'done', 'fetch-failed']) expect(svg).toContain(`>${state.replaceAll('-', '&#45;')}</text>`);
    expect(svg, 'docs/quickstart.svg is stale: run `npm run docs` and commit the result').toBe(await quickstartSvg());
  });
});
