import type { StateNode } from '../model/graph.js';
import type { Clock } from '../model/clock.js';
import type { ExecArgs, Transition } from '../model/transition.js';

/** How one attempt of an exec ended. */
export type AttemptOutcome =
  | { readonly kind: 'returned'; readonly transition: Transition<unknown> }
  | { readonly kind: 'threw'; readonly error: unknown }
  | { readonly kind: 'timed-out'; readonly ms: number }
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
  const outer = args.signal;
  const timeout = node.timeout;
  if (timeout === undefined && node.hedge === undefined) return execute(node, args, outer, report);
  if (timeout === undefined) return hedged(node, args, outer, ctx, report);

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
    if (outer.aborted) return;
    controller.abort(new Error(`timed out after ${timeout.ms}ms`));
    once({ kind: 'timed-out', ms: timeout.ms });
  }, timeout.ms);
  outer.addEventListener('abort', onOuterAbort, { once: true });
  if (outer.aborted) onOuterAbort();
  const inner = { ...args, signal: controller.signal };
  return node.hedge === undefined ? execute(node, inner, outer, once) : hedged(node, inner, outer, ctx, once);
}

/**
 * Hedging: when the first exec has not finished after `afterMs`, start another (up to `max` in
 * flight); the first to return a transition wins and the others are aborted. When every exec
 * started has thrown and no other may start, the last error is the outcome.
 */
function hedged(
  node: StateNode,
  args: ExecArgs<unknown, unknown, unknown>,
  outer: AbortSignal,
  ctx: AttemptContext,
  report: (outcome: AttemptOutcome) => void,
): Promise<void> {
  const { afterMs, max } = node.hedge as NonNullable<StateNode['hedge']>;
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
        if (decided) return;
        // A thrown error ends the attempt once no other exec of it is still running.
        const last = settledCount === controllers.length;
        if (outcome.kind === 'returned' || outcome.kind === 'aborted' || last) {
          decided = true;
          ctx.clock.clearTimeout(timer);
          timer = undefined;
          for (const other of controllers) if (other !== controller) other.abort(new Error('another hedged attempt won'));
          allStarted();
          report(outcome);
        }
      }),
    );
    scheduleNext();
  };
  const scheduleNext = () => {
    timer = undefined;
    if (decided || controllers.length >= max || args.signal.aborted) return allStarted();
    timer = ctx.clock.setTimeout(() => {
      timer = undefined;
      if (decided) return;
      if (ctx.mayHedge()) launch();
      else scheduleNext();
    }, afterMs);
  };

  launch();
  return (async () => {
    await startedAll;
    await Promise.all(running);
    args.signal.removeEventListener('abort', onAbort);
  })();
}

async function execute(
  node: StateNode,
  args: ExecArgs<unknown, unknown, unknown>,
  outer: AbortSignal,
  report: (outcome: AttemptOutcome) => void,
): Promise<void> {
  try {
    // `exec` is present on every non-terminal state; the graph compiler guarantees it.
    const transition = await (node.exec as NonNullable<StateNode['exec']>)(args);
    report({ kind: 'returned', transition });
  } catch (error) {
    // An outer abort is a shutdown: whatever the exec threw because of it is not the job's fault.
    report(outer.aborted ? { kind: 'aborted' } : { kind: 'threw', error });
  }
}
