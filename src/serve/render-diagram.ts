import { spawn } from 'node:child_process';
import { renderSvg } from '../diagram/render-svg.js';

/**
 * DOT to SVG for the dashboard: with the system's Graphviz (`dot -Tsvg`, in a child process) when
 * it is installed, else with the WebAssembly Graphviz of {@link renderSvg}. The child keeps
 * Graphviz's memory out of the server, which holds the whole run (on a run of a million jobs the
 * WebAssembly module is about 20 MiB of the server's RSS).
 */
export async function renderDiagram(dot: string): Promise<string> {
  try {
    return await systemDot(dot);
  } catch {
    return renderSvg(dot);
  }
}

function systemDot(dot: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('dot', ['-Tsvg'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out).toString('utf8')) : reject(new Error(`dot exited with ${code}: ${Buffer.concat(err).toString('utf8')}`))));
    child.stdin.on('error', () => undefined);
    child.stdin.end(dot);
  });
}
