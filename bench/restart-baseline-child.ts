// Child process of the restart workload's baseline (bench/restart.ts):
//   node --expose-gc --import tsx bench/restart-baseline-child.ts <run file>
// The least a restart must do: read the snapshot and then the log in large chunks (4 MiB, as
// JsonlStore reads them), split the lines and JSON.parse every one, nothing else (no checks, no
// run built, every parsed value dropped). Prints one JSON line: {seconds, cpu_seconds, lines, bytes}.
import { open } from 'node:fs/promises';

const CHUNK = 4 << 20;

export interface BaselineReport {
  readonly seconds: number;
  readonly cpu_seconds: number;
  readonly lines: number;
  readonly bytes: number;
}

/** Parses every line of a file; returns the lines and bytes read. */
async function parseLines(path: string): Promise<{ lines: number; bytes: number; objects: number }> {
  const handle = await open(path, 'r');
  let lines = 0;
  let bytes = 0;
  let objects = 0;
  try {
    let carry: Buffer = Buffer.alloc(0);
    for (;;) {
      const buffer = Buffer.allocUnsafe(CHUNK);
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) break;
      bytes += bytesRead;
      const data = carry.length > 0 ? Buffer.concat([carry, buffer.subarray(0, bytesRead)]) : buffer.subarray(0, bytesRead);
      let start = 0;
      for (let nl = data.indexOf(10); nl !== -1; nl = data.indexOf(10, start)) {
        const value: unknown = JSON.parse(data.toString('utf8', start, nl));
        if (typeof value === 'object') objects++; // a use of the value, so no parse is dead code
        lines++;
        start = nl + 1;
      }
      carry = data.subarray(start);
    }
    if (carry.length > 0) {
      JSON.parse(carry.toString('utf8'));
      lines++;
    }
  } finally {
    await handle.close();
  }
  return { lines, bytes, objects };
}

const path = process.argv[2];
if (path === undefined) throw new Error('usage: restart-baseline-child.ts <run file>');
const start = performance.now();
const cpuStart = process.cpuUsage();
const snapshot = await parseLines(path);
const log = await parseLines(`${path}.log`);
const seconds = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuStart);
if (snapshot.objects + log.objects !== snapshot.lines + log.lines) throw new Error('restart-baseline-child: a line is not a JSON object');
const report: BaselineReport = { seconds, cpu_seconds: (cpu.user + cpu.system) / 1e6, lines: snapshot.lines + log.lines, bytes: snapshot.bytes + log.bytes };
console.log(JSON.stringify(report));
