// The store conformance suite (test/support/store-conformance.ts) run against every store we have:
// the MemoryStore, the JsonlStore, and a MapStore written against the public API only.
import { logData, logDataBytes, logText } from './support/log-data.js';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonlStore, MemoryStore, RunError, StoreCorruptError, workflow } from '../src/index.js';
import type { Store } from '../src/index.js';
import { MapStore, type MapEntry } from './support/map-store.js';
import { describeStoreConformance, type StoreHarness } from './support/store-conformance.js';
import { useTempDir } from './support/temp-dir.js';

// ---------------------------------------------------------------------------------------------
// MemoryStore: a store is its own place. A crash drops the run and the processor, not the memory.

describeStoreConformance<{ store: MemoryStore<unknown, unknown> }>('MemoryStore', {
  place: () => ({ store: new MemoryStore() }),
  open: <OC, JC>(place: { store: MemoryStore<unknown, unknown> }) => place.store as unknown as Store<OC, JC>,
  crash: () => undefined,
});

// ---------------------------------------------------------------------------------------------
// JsonlStore: a place is a path in a fresh directory.

const tempDir = useTempDir();
let places = 0;
/**
 * Every store opened, kept reachable: a crashed store (or one a case leaves open) would otherwise
 * have its files closed by the garbage collector at a random moment, with a warning.
 */
const opened: Store<unknown, unknown>[] = [];
function keep<OC, JC>(store: JsonlStore<OC, JC>): JsonlStore<OC, JC> {
  opened.push(store);
  return store;
}
const quiet = { onWarning: () => undefined };

const logLines = (path: string) => logText(`${path}.log`).split(/(?<=\n)/);
const logKinds: Record<string, (path: string) => void> = {
  'a log line in the middle that is not JSON': (path) => writeFileSync(`${path}.log`, logLines(path).map((line, i) => (i === 1 ? '{"seq":2,"type":\n' : line)).join('')),
  'a log record naming a job the run lacks': (path) =>
    writeFileSync(`${path}.log`, logLines(path).map((line, i) => (i === 0 ? '{"seq":1,"type":"transition","id":"nobody","from":"a","to":"b","jc":null,"at":1}\n' : line)).join('')),
};
const snapshotKinds: Record<string, (path: string) => void> = {
  'a snapshot that is not JSON': (path) => writeFileSync(path, '\u0000garbage{{\n'),
  'a snapshot that is not a run': (path) => writeFileSync(path, '{"hello":"world"}\n'),
  'an empty snapshot': (path) => writeFileSync(path, ''),
  'a log whose snapshot is gone': (path) => rmSync(path),
};
const damages = { ...logKinds, ...snapshotKinds };

function statOrUndefined(path: string) {
  return existsSync(path) ? statSync(path, { bigint: true }) : undefined;
}

const jsonl: StoreHarness<string> = {
  place: () => join(tempDir(), `place-${places++}`, 'run.jsonl'),
  open: (path) => keep(new JsonlStore(path, quiet)),
  crash: (path) => {
    rmSync(`${path}.lock`, { force: true }); // what the OS does for a dead process
  },
  independentStores: true,
  compacting: { open: (path) => keep(new JsonlStore(path, { ...quiet, compactAfterBytes: 1 })) },
  tornTail: {
    tear: (path) => {
      const log = logData(`${path}.log`);
      if (log.length === 0) throw new Error(`${path}.log is empty: nothing to tear`);
      const start = log.lastIndexOf(10, log.length - 2) + 1;
      truncateSync(`${path}.log`, start + Math.max(1, Math.floor((log.length - start) / 2)));
    },
  },
  badData: {
    kinds: Object.keys(damages),
    damage: (path, kind) => damages[kind]?.(path),
    raw: (path) => {
      const dir = dirname(path);
      const files = readdirSync(dir).filter((name) => name !== `${basename(path)}.lock`).sort();
      return Object.fromEntries(files.map((name) => [name, readFileSync(join(dir, name)).toString('base64')]));
    },
    expectClearError: (path, kind, error) => {
      expect(error).toBeInstanceOf(StoreCorruptError);
      const corrupt = error as StoreCorruptError;
      expect(corrupt.file).toBe(kind in logKinds || kind === 'a log whose snapshot is gone' ? `${path}.log` : path);
      expect(corrupt.message.startsWith(`${corrupt.file}`)).toBe(true);
      expect(corrupt.problem.length).toBeGreaterThan(10);
    },
  },
  writes: {
    mark: (path) => ({ snapshot: statOrUndefined(path), log: BigInt(logDataBytes(`${path}.log`)) }),
    bytesSince: (path, mark) => {
      const then = mark as { snapshot: ReturnType<typeof statOrUndefined>; log: bigint };
      const snapshot = statOrUndefined(path);
      const rewritten = snapshot !== undefined && (then.snapshot === undefined || snapshot.ino !== then.snapshot.ino || snapshot.mtimeNs !== then.snapshot.mtimeNs || snapshot.size !== then.snapshot.size);
      const log = BigInt(logDataBytes(`${path}.log`));
      return Number((rewritten ? snapshot.size : 0n) + (log >= then.log ? log - then.log : log));
    },
  },
};

describeStoreConformance('JsonlStore', jsonl);

describe('JsonlStore: the conformance harness', () => {
  it('its compacting store really compacts: the log is emptied into the snapshot once it outgrows it', async () => {
    const path = jsonl.place() as string;
    const store = new JsonlStore<object, { n: number }>(path, { ...quiet, compactAfterBytes: 1 });
    const wf = workflow<object, object, { n: number }>('c').state('a').to('b').exec(({ jc }) => ({ state: 'b', jc })).terminal('b').build();
    const run = wf.newRun('r', {}).add({ n: 1 }, 'a');
    await store.checkpoint(run);
    const snapshotBefore = statSync(path).ino;
    const at = 1_700_000_000_000;
    const logSizes: number[] = [];
    for (let i = 0; i < 8; i++) {
      await store.append([{ type: 'move', id: '0', from: 'a', to: 'a', at, note: `move ${i} ${'x'.repeat(40)}` }]);
      logSizes.push(logDataBytes(`${path}.log`));
    }
    expect(statSync(path).ino).not.toBe(snapshotBefore); // the snapshot was written anew
    expect(logSizes.some((size, i) => i > 0 && size < (logSizes[i - 1] as number)), `log sizes ${logSizes.join(', ')}`).toBe(true); // and the log emptied
    await store.close();
  });
});

// ---------------------------------------------------------------------------------------------
// MapStore: a place is a key in a map every store shares, as processes share a database.

const map = new Map<string, MapEntry>();
let keys = 0;
const entry = (key: string) => {
  const found = map.get(key);
  if (!found) throw new Error(`nothing under ${key}`);
  return found;
};
const mapDamages: Record<string, (e: MapEntry) => void> = {
  'a snapshot that is not JSON': (e) => (e.snapshot = '{"format":"jorb-run",'),
  'a snapshot that is not a run': (e) => (e.snapshot = '{"hello":"world"}'),
  'a record that is not JSON': (e) => (e.records[1] = 'garbage'),
  'a record naming a job the run lacks': (e) => (e.records[0] = '{"type":"transition","id":"nobody","from":"a","to":"b","jc":null,"at":1}'),
};

describeStoreConformance<string>('MapStore (public API only)', {
  place: () => `run-${keys++}`,
  open: (key) => new MapStore(map, key),
  crash: () => undefined,
  independentStores: true,
  badData: {
    kinds: Object.keys(mapDamages),
    damage: (key, kind) => mapDamages[kind]?.(entry(key)),
    raw: (key) => structuredClone(map.get(key)),
    expectClearError: (key, _kind, error) => {
      expect(error).toBeInstanceOf(RunError);
      expect((error as Error).message.startsWith(`MapStore("${key}"): `)).toBe(true);
    },
  },
  writes: {
    mark: (key) => ({ entry: map.get(key), records: map.get(key)?.records.length ?? 0 }),
    bytesSince: (key, mark) => {
      const then = mark as { entry: MapEntry | undefined; records: number };
      const now = entry(key);
      const rewritten = now !== then.entry; // writing whole makes a new entry
      const appended = now.records.slice(rewritten ? 0 : then.records);
      return (rewritten ? now.snapshot.length : 0) + appended.reduce((sum, r) => sum + r.length, 0);
    },
  },
});
