// The log writer (internal): synced writes in this thread while the disk is fast, in the thread
// pool once it is not, and the same bytes at the same places either way.
import { mkdtempSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LogWriter } from '../src/store/log-writer.js';

describe('LogWriter', () => {
  it('writes in this thread while writes are fast, moves to the thread pool once they average over 1 ms, and writes the same bytes either way', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'jorb-log-writer-')), 'log');
    const handle = await open(file, 'w+');
    let now = 0;
    let writeMs = 0.1;
    const writer = new LogWriter(() => (now += writeMs / 2)); // two readings per write
    let at = 0;
    const write = async (text: string) => {
      await writer.write(handle, Buffer.from(text), at);
      at += text.length;
    };
    for (let i = 0; i < 20; i++) await write(`fast ${i}\n`);
    expect(writer.inThread).toBe(true);
    writeMs = 5; // a slow disk: one slow write is not enough to move (a first write into new space often is)
    await write('slow 0\n');
    expect(writer.inThread).toBe(true);
    for (let i = 1; i < 10 && writer.inThread; i++) await write(`slow ${i}\n`);
    expect(writer.inThread).toBe(false);
    await write('pooled\n');
    await handle.close();
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.slice(0, 21)).toEqual([...Array.from({ length: 20 }, (_, i) => `fast ${i}`), 'slow 0']);
    expect(lines.at(-2)).toBe('pooled');
  });
});
