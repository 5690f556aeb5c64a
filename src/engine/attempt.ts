import type { StateNode } from '../graph/graph.js';
import type { ExecArgs, Transition } from './transition.js';

/** How one attempt of an exec ended. */
export type AttemptOutcome =
  | { readonly kind: 'returned'; readonly transition: Transition<unknown> }
  | { readonly kind: 'threw'; readonly error: unknown }
  | { readonly kind: 'timed-out'; readonly ms: number }
  | { readonly kind: 'aborted' };

/**
 * Runs one attempt of a state's exec and reports its outcome once, as soon as it is known: when
 * the exec settles, or when the state's timeout expires (the exec's signal is aborted then).
 * The returned promise settles when the exec itself does, so the caller can hold the concurrency
 * slot until then: a timed-out exec that ignores its signal still occupies its slot, never more.
 */
export function runAttempt(
  node: StateNode,
  args: ExecArgs<unknown, unknown, unknown>,
  report: (outcome: AttemptOutcome) => void,
): Promise<void> {
  const outer = args.signal;
  const timeout = node.timeout;
  // Without a timeout the execution's own signal serves: no copy, no controller on the hot path.
  if (timeout === undefined) return execute(node, args, outer, report);

  const controller = new AbortController();
  let reported = false;
  const once = (outcome: AttemptOutcome) => {
    if (reported) return;
    reported = true;
    clearTimeout(timer);
    outer.removeEventListener('abort', onOuterAbort);
    report(outcome);
  };
  const onOuterAbort = () => {
    clearTimeout(timer);
    controller.abort(outer.reason);
  };
  const timer = setTimeout(() => {
    if (outer.aborted) return;
    controller.abort(new Error(`timed out after ${timeout.ms}ms`));
    once({ kind: 'timed-out', ms: timeout.ms });
  }, timeout.ms);
  outer.addEventListener('abort', onOuterAbort, { once: true });
  if (outer.aborted) onOuterAbort();
  const { ac, oc, jc, job } = args;
  return execute(node, { ac, oc, jc, job, signal: controller.signal }, outer, once);
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
