import type { LogState } from './jsonl-format.js';
import type { LogScan } from './log-scan.js';
import type { RecordPack } from './record-pack.js';

/** What the main thread asks of a log scan worker (log-scan-worker.ts). */
export interface ScanRequest {
  readonly logPath: string;
  readonly snapshotSeq: number;
  readonly state: LogState;
  readonly trustEdits: boolean;
  /** For tests of the fallback: the worker stops (as a crash would) after posting this many messages. */
  readonly stopAfterPosts?: number;
}

/**
 * One message of a log scan worker: records of closed batches (and warnings among them), to apply
 * in order, then at most one of how the scan ended: whole (`end`), at a problem of the log
 * (`corrupt`, a StoreCorruptError of the log at that line) or at an error reading it (`failure`,
 * its fields: an fs error's `code` among them).
 */
export interface ScanMessage {
  readonly pack: RecordPack;
  readonly end?: LogScan;
  readonly corrupt?: { readonly line: number; readonly problem: string };
  readonly failure?: Readonly<Record<string, unknown>> & { readonly name: string; readonly message: string };
}
