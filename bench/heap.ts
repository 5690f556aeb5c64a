// Heap measurement helper: a full, repeated garbage collection followed by a heapUsed reading, so
// that "bytes per job" figures count only what is still reachable. Needs `node --expose-gc`
// (bench/index.ts re-executes itself with it).

/** Collects garbage until the heap stops shrinking (weak references and finalisers need passes). */
export function fullGc(): void {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error('bench: global.gc is not exposed; run with node --expose-gc');
  let last = Infinity;
  for (let i = 0; i < 10; i++) {
    gc();
    const used = process.memoryUsage().heapUsed;
    if (used >= last - 1024) return;
    last = used;
  }
}

/** heapUsed in bytes after a full gc. */
export function heapAfterGc(): number {
  fullGc();
  return process.memoryUsage().heapUsed;
}
