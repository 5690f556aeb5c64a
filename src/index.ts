/**
 * jorb-ts: concentrated computing for TypeScript. Jobs walk through the named states of a typed
 * workflow, each state with its own concurrency and timeout, with child jobs, status updates and
 * stores that make a run restartable.
 *
 * @packageDocumentation
 */

export { workflow } from '../dsl/workflow.js';
export type { WorkflowBuilder, StateStep, TargetsStep, ExecStep } from '../dsl/types/workflow-builder.js';

export type { Workflow } from './model/workflow.js';
export type { WorkflowStates } from './model/workflow-states.js';
export { Run, bindRun, flushUnsavedRecords } from './model/run.js';
export type { AddOptions } from './model/run.js';
export { RunError } from './model/run-error.js';
export type { Job, HistoryEntry, KeyScope } from './model/job.js';
export type { Transition, Kick, ExecArgs, ExecFn, ChildResult } from './model/transition.js';
export { Processor } from './engine/processor.js';
export type { ProcessorOptions, ProcessorExecOptions, LedgerOptions } from './engine/processor.js';
export type { ProcessorExecResult } from './engine/processor-exec-result.js';
export { schedule, scheduleKey, ScheduleError } from './schedule/schedule.js';
export { inThreads } from './threads/in-threads.js';
export type { ThreadedExec, ThreadedExecArgs, ThreadExecTypeMissing } from './threads/in-threads.js';
export { closeThreadPools } from './threads/thread-pools.js';
export type { ThreadExecArgs, ThreadExecFn } from './threads/thread-exec.js';
export type { ThreadOptions } from './threads/thread-options.js';
export type { Schedule, ScheduleOptions, ScheduleTick } from './schedule/schedule.js';
export { UnknownStatesError } from './model/unknown-states-error.js';
export { redrive } from './model/redrive.js';
export type { RedriveOptions } from './model/redrive.js';

export type { Graph, StateNode, TerminalStateNode, WorkingStateNode, Edge, EdgeKind } from './model/graph.js';
export type { StateOptions, TimeoutOptions, RetryOptions, BackoffOptions, HedgeOptions, JoinOptions } from './model/state-options.js';
export { RateLimitError, isRateLimitError, findRateLimitError } from './policies/rate-limit-error.js';
export type { RateLimiter } from './model/rate-limiter.js';
export type { PausedStates } from './model/paused-states.js';
export type { AttemptEnd, AttemptObserver, AttemptStart, AttemptWatch } from './model/attempt-observer.js';
export { fixedRate } from './policies/fixed-rate.js';
export type { FixedRateOptions } from './policies/fixed-rate.js';
export { aimd } from './policies/aimd.js';
export { adaptive } from './policies/adaptive.js';
export type { AdaptiveOptions, AdaptiveConcurrency, AdaptiveDecision, AdaptiveReason, AdaptiveSnapshot } from './policies/adaptive.js';
export type { AimdOptions, AimdCubicOptions, AimdClassicOptions } from './policies/aimd-options.js';
export type { AimdLimiter, AimdSnapshot } from './policies/aimd-limiter.js';
export { systemClock } from './model/clock.js';
export type { Clock } from './model/clock.js';
export type { SourceLocation } from './model/source-location.js';
export { WorkflowDefinitionError } from './graph/workflow-definition-error.js';

export { toDot } from './diagram/to-dot.js';
export { toMermaid } from './diagram/to-mermaid.js';
export { renderSvg } from './diagram/render-svg.js';
export { diagramMetrics } from './diagram/diagram-metrics.js';
export type { StateMetrics, DiagramMetricsOptions } from './diagram/diagram-metrics.js';
export type { DiagramOptions } from './diagram/diagram-options.js';
export { stateHealth } from './diagram/health.js';
export type { StateHealth, HealthOptions } from './diagram/health.js';

export { reportRun, formatReport } from './report/run-report.js';
export type { RunReport } from './report/run-report.js';

export { lintWorkflow } from './lint/lint-workflow.js';
export type { LintOptions } from './lint/lint-workflow.js';
export type { LintFinding, LintRule } from './lint/lint-finding.js';

export type { Store } from './model/store.js';
export type { WorkSource, WorkState, ClaimRequest, Claimed, CommitChoices } from './model/work-source.js';
export type { StoreRecord, TransitionRecord, AddRecord, MoveRecord, KickRecord } from './model/store-record.js';
export { applyRecord } from './model/apply-record.js';
export { replay } from './model/replay.js';
export { MemoryStore } from './store/memory-store.js';
export { JsonlStore } from './store/jsonl-store.js';
export type { JsonlStoreOptions } from './store/jsonl-store.js';
export { StoreCorruptError } from './store/store-corrupt-error.js';
export { RunLockedError } from './store/run-locked-error.js';
export { toSnapshot, fromSnapshot } from './model/run-snapshot.js';
export type { RunSnapshot } from './model/run-snapshot.js';

export type { StateStatus, StatusListener } from './status/state-status.js';
export { progressBars, renderStatuses } from './status/progress-bars.js';
export type { ProgressBars, ProgressOutput } from './status/progress-bars.js';
export type { ProgressBarsOptions } from './status/progress-bars.js';
export type { RunLedger, StateLedger, Verdict, BottleneckKind, DurationFigures } from './ledger/run-ledger.js';
export { ledgerFromRun } from './ledger/ledger-from-run.js';
export { metricsText } from './ledger/metrics-text.js';
export type { MetricsTextOptions } from './ledger/metrics-text.js';
export type { DisplayEnv } from './status/terminal-colour.js';
export type { JorbEvent, JorbEventLevel, JorbEventType } from './log/jorb-event.js';
export type { Logger } from './log/logger.js';
export type { LogOptions } from './log/log-options.js';
export { consoleLogger } from './log/console-logger.js';
export { jsonLogger } from './log/json-logger.js';
