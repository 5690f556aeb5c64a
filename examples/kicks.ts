/**
 * Kicks: a job spawns child jobs. Here a directory walk over an in-memory tree: every `dir` job
 * kicks a `dir` job per sub-directory and a `file` job per file; `file` jobs measure their file.
 * Child ids show the family tree: "0->1->0" is the first child of the second child of job "0".
 *
 * Run it with `npx tsx examples/kicks.ts`.
 */
import { pathToFileURL } from 'node:url';
import { Processor, workflow } from '../src/index.js';

export type Tree = { readonly [name: string]: Tree | number };
export type JC = { path: string; size?: number };

export const walk = workflow<{ root: Tree }, object, JC>('walk')
  // recursive: a dir kicks dirs; the tree bounds it.
  .state('dir', { concurrency: 4, recursive: true })
  .to('listed')
  .spawns('dir', 'file')
  .exec(({ ac, jc }) => {
    const here = lookup(ac.root, jc.path);
    if (typeof here === 'number') throw new Error(`${jc.path} is a file, not a directory`);
    const kicks = Object.entries(here).map(([name, entry]) => ({
      state: typeof entry === 'number' ? ('file' as const) : ('dir' as const),
      jc: { path: `${jc.path}/${name}` },
    }));
    return { state: 'listed', jc, kicks };
  })
  .state('file', { concurrency: 8 })
  .to('measured')
  .exec(({ ac, jc }) => {
    const size = lookup(ac.root, jc.path);
    if (typeof size !== 'number') throw new Error(`${jc.path} is a directory, not a file`);
    return { state: 'measured', jc: { ...jc, size } };
  })
  .terminal('listed', 'measured')
  .build();

function lookup(root: Tree, path: string): Tree | number {
  let node: Tree | number = root;
  for (const part of path.split('/').filter(Boolean)) {
    if (typeof node === 'number' || !(part in node)) throw new Error(`no such path: ${path}`);
    node = node[part] as Tree | number;
  }
  return node;
}

/** Walks `root` and returns every file's size by path, and the jobs' ids by path. */
export async function runWalk(root: Tree): Promise<{ sizes: Record<string, number>; ids: Record<string, string> }> {
  const run = walk.newRun('walk', {}).add({ path: '' }, 'dir');
  await new Processor(walk, { root }).exec(run);
  const sizes: Record<string, number> = {};
  const ids: Record<string, string> = {};
  for (const job of run.jobs.values()) {
    ids[job.jc.path || '/'] = job.id;
    if (job.jc.size !== undefined) sizes[job.jc.path] = job.jc.size;
  }
  return { sizes, ids };
}

export const sampleTree: Tree = {
  src: { 'index.ts': 1200, engine: { 'run.ts': 3400, 'processor.ts': 5100 } },
  docs: { 'README.md': 800 },
  'package.json': 600,
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { sizes, ids } = await runWalk(sampleTree);
  for (const [path, id] of Object.entries(ids)) console.log(`${id.padEnd(12)} ${path}${sizes[path] !== undefined ? `  ${sizes[path]} bytes` : ''}`);
  console.log(`total: ${Object.values(sizes).reduce((a, b) => a + b, 0)} bytes in ${Object.keys(sizes).length} files`);
}
