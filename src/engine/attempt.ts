import type { StateNode, WorkingStateNode } from '../model/graph.js';
import type { Clock } from '../model/clock.js';
import type { HedgeOptions, TimeoutOptions } from '../model/state-options.js';
import type { ExecArgs, Transition } from '../model/transition.js';
import { hedgeDecides, nextHedgeInMs } from '../policies/hedge.js';
import { timedOutMessage } from '../policies/timeout.js';
import { renderValue } from '../model/render-value.js';

/** How one attempt of an exec ended. */
export type AttemptOutcome =
  | { readonly kind: 'returned'; readonly transition: Transition<unknown> }
  | { readonly kind: 'threw'; readonly error: unknown }
  | { readonly kind: 'timed-out'; readonly timeout: TimeoutOptions }
  | { readonly kind: 'aborted' };

/** What an attempt needs besides the state and the exec's arguments. */
export interface AttemptContext {
  readonly clock: Clock;
  /** Whether a hedge may start now (it takes a rate-limit permit when there is a limiter). */
  readonly mayHedge: () => boolean;
}

/**
 * Runs one attempt of a state's exec, with the state's timeout around its hedges (rate limit →
 * timeout → hedge → exec; the engine takes the rate-limit permit and applies retries outside), and
 * reports its outcome once, as soon as it is known. The returned promise settles when every exec
 * it started has, so the caller holds the concurrency slot until then: a timed-out or out-hedged
 * exec that ignores its signal still occupies its slot, never more.
 */
export function runAttempt(
  node: StateNode,
  args: ExecArgs<unknown, unknown, unknown>,
  ctx: AttemptContext,
  report: (outcome: AttemptOutcome) => void,
): Promise<void> {
  if (node.terminal) {
    report({ kind: 'threw', error: new Error(`state ${renderValue(node.name)} is terminal: it has no exec to attempt`) });
    return Promise.resolve();
  }
  const outer = args.signal;
  const { timeout, hedge } = node;
  if (timeout === undefined) return hedge === undefined ? execute(node, args, outer, report) : hedged(node, hedge, args, outer, ctx, report);

  const controller = new AbortController();
  let reported = false;
  const once = (outcome: AttemptOutcome) => {
    if (reported) return;
    reported = true;
    ctx.clock.clearTimeout(timer);
    outer.removeEventListener('abort', onOuterAbort);
    report(outcome);
  };
  const onOuterAbort = () => {
    ctx.clock.clearTimeout(timer);
    controller.abort(outer.reason);
  };
  const timer = ctx.clock.setTimeout(() => {
    if (outer.aborted) return; // a shutdown is never a timeout
    controller.abort(new Error(timedOutMessage(timeout.ms)));
    once({ kind: 'timed-out', timeout });
  }, timeout.ms);
  outer.addEventListener('abort', onOuterAbort, { once: true });
  if (outer.aborted) onOuterAbort();
  const inner = { ...args, signal: controller.signal };
  return hedge === undefined ? execute(node, inner, outer, once) : hedged(node, hedge, inner, outer, ctx, once);
}

/**
 * Hedging, as the hedge policy decides it (`nextHedgeInMs`, `hedgeDecides`): another exec starts
 * each `afterMs` while the attempt is undecided, up to `max`, when a rate-limit permit is free; the
 * first to return a transition wins and the others are aborted; a thrown error is the outcome only
 * once every exec launched has settled.
 */
function hedged(
  node: WorkingStateNode,
  hedge: HedgeOptions,
  args: ExecArgs<unknown, unknown, unknown>,
  outer: AbortSignal,
  ctx: AttemptContext,
  report: (outcome: AttemptOutcome) => void,
): Promise<void> {
  const controllers: AbortController[] = [];
  const running: Promise<void>[] = [];
  let settledCount = 0;
  let decided = false;
  let timer: unknown;
  let allStarted!: () => void;
  const startedAll = new Promise<void>((resolve) => (allStarted = resolve));

  const onAbort = () => {
    ctx.clock.clearTimeout(timer);
    for (const c of controllers) c.abort(args.signal.reason);
  };
  args.signal.addEventListener('abort', onAbort, { once: true });

  const launch = () => {
    const controller = new AbortController();
    controllers.push(controller);
    running.push(
      execute(node, { ...args, signal: controller.signal }, outer, (outcome) => {
        settledCount++;
        if (decided || !hedgeDecides(outcome.kind, settledCount, controllers.length)) return;
        decided = true;
        ctx.clock.clearTimeout(timer);
        timer = undefined;
        for (const other of controllers) if (other !== controller) other.abort(new Error('another hedged attempt won'));
        allStarted();
        report(outcome);
      }),
    );
    scheduleNext();
  };
  const scheduleNext = () => {
    timer = undefined;
    const inMs = decided || args.signal.aborted ? undefined : nextHedgeInMs(hedge, controllers.length);
    if (inMs === undefined) return allStarted();
    timer = ctx.clock.setTimeout(() => {
      timer = undefined;
      if (decided) return;
      if (ctx.mayHedge()) launch();
      else scheduleNext();
    }, inMs);
  };

  launch();
  return (async () => {
    await startedAll;
    await Promise.all(running);
    args.signal.removeEventListener('abort', onAbort);
  })();
}

/** What `execute` reports: an exec returned, threw, or was cut short by a shutdown. */
type ExecOutcome = Extract<AttemptOutcome, { kind: 'returned' | 'threw' | 'aborted' }>;

async function execute(
  node: WorkingStateNode,
  args: ExecArgs<unknown, unknown, unknown>,
  outer: AbortSignal,
  report: (outcome: ExecOutcome) => void,
): Promise<void> {
  try {
    const transition = await node.exec(args);
    report({ kind: 'returned', transition });
  } catch (error) {
    // An outer abort is a shutdown: whatever the exec threw because of it is not the job's fault.
    report(outer.aborted ? { kind: 'aborted' } : { kind: 'threw', error });
  }
}
