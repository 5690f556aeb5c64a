// The dashboard's one door to the shared ledger (#20): the figures the terminal display and
// /metrics show, from src/ledger.
import { ledgerFromRun } from '../ledger/ledger-from-run.js';
import { metricsText } from '../ledger/metrics-text.js';
import type { RunLedger } from '../ledger/run-ledger.js';
import type { Run } from '../model/run.js';
import type { Workflow } from '../model/workflow.js';

/** The ledger of a run read from its file or database (time in state from the jobs' histories). */
export function runLedger(workflow: Workflow<unknown, unknown, unknown, string>, run: Run<unknown, unknown>): RunLedger {
  return ledgerFromRun(workflow, run);
}

/** The ledger as Prometheus text, every series labelled with the run's name. */
export function ledgerMetrics(ledger: RunLedger, runName: string): string {
  return metricsText(ledger, { runName });
}
