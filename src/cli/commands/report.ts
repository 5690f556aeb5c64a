import { resolve } from 'node:path';
import { formatReport, reportRun } from '../../report/run-report.js';
import { openRunFile } from '../load-run-file.js';

/** `jorb report`: a run's summary, as text or JSON. */
export async function report(file: string, options: { json?: boolean }, out: (line: string) => void): Promise<void> {
  const { store, run } = await openRunFile(resolve(file), 'read');
  await store.close();
  const summary = reportRun(run);
  out(options.json ? JSON.stringify(summary, null, 2) : formatReport(summary));
}
