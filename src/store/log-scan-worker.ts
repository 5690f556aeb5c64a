// The worker thread of a parallel log read (see log-scan-thread.ts): scans the log with every
// check scanLog makes and posts the records of closed batches, packed, on the port it is given,
// with the warnings among them; its last message says how the scan ended. A notice goes to the
// parent after each post, so that the main thread can take packs when it is ready for them (it
// does not deserialize them while it reads the snapshot).
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { LogState } from './jsonl-format.js';
import { type LogScan, scanLog } from './log-scan.js';
import { RecordPacker } from './record-pack.js';
import type { ScanMessage, ScanRequest } from './log-scan-protocol.js';
import { StoreCorruptError } from './store-corrupt-error.js';

/** Records per message, at least: the packs are posted at the batch lines after this many, or after this much job context text. */
const POST_RECORDS = 16_384;
const POST_JC_BYTES = 8 << 20;
/** Larger reads than the main thread's: this thread's garbage is its own, and nothing it parses survives. */
const CHUNK_BYTES = 1 << 20;

const { logPath, snapshotSeq, state, trustEdits, stopAfterPosts, port } = workerData as ScanRequest & { port: MessagePort; state: LogState };
const packer = new RecordPacker();
let posts = 0;

function post(message: Omit<ScanMessage, 'pack'>): void {
  const { pack, transfer } = packer.take();
  port.postMessage({ ...message, pack } satisfies ScanMessage, transfer);
  parentPort?.postMessage('posted');
  if (++posts === stopAfterPosts) process.exit(1); // a test's crash (ends this thread only)
}

let outcome: LogScan | undefined;
try {
  outcome = await scanLog(
    logPath,
    { snapshotSeq, state, trustEdits, chunkBytes: CHUNK_BYTES, warn: (message) => packer.warn(message) },
    {
      record: (record, line) => packer.add(record, line.text, line.number),
      closed() {
        packer.close();
        if (packer.count >= POST_RECORDS || packer.jcBytes >= POST_JC_BYTES) post({});
      },
    },
  );
} catch (error) {
  if (error instanceof StoreCorruptError) post({ corrupt: { line: error.line, problem: error.problem } });
  else {
    const failure = error instanceof Error ? { ...(error as unknown as Record<string, unknown>), name: error.name, message: error.message } : { name: 'Error', message: String(error) };
    post({ failure });
  }
}
if (outcome !== undefined) post({ end: outcome });

