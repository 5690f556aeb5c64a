// Child process of the restart workload (bench/restart.ts):
//   node --expose-gc --import tsx bench/restart-write-child.ts <run file>
// writes the run's files with writeRunFiles and exits without closing the store, as a crash
// leaves them. In a process of its own, so the store's open log handle dies with the process
// rather than being closed by the bench's garbage collector (which Node warns about).
import { writeRunFiles } from './restart.js';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: restart-write-child.ts <run file>');
const start = performance.now();
await writeRunFiles(path);
console.log(JSON.stringify({ seconds: (performance.now() - start) / 1000 }));
process.exit(0);
