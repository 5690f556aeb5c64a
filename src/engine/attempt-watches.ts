import type { AttemptEnd, AttemptObserver, AttemptStart, AttemptWatch } from '../model/attempt-observer.js';
import type { AttemptOutcome } from './attempt.js';

const warned = new WeakSet<AttemptObserver>();

interface Watched {
  readonly observer: AttemptObserver;
  readonly watch: AttemptWatch;
}

/** An observer that throws is the observer's bug, not the job's: the run goes on, with one warning. */
function warnOnce(observer: AttemptObserver, what: string, error: unknown): void {
  if (warned.has(observer)) return;
  warned.add(observer);
  process.emitWarning(`jorb-ts: an attempt observer's ${what} threw (${error instanceof Error ? error.message : String(error)}); the run goes on without what it missed`, 'JorbWarning');
}

/** The watches of one attempt, one per observer that returned one (with the observer, for its warnings). */
export class AttemptWatches {
  readonly #watches: Watched[] = [];

  constructor(observers: readonly AttemptObserver[], start: AttemptStart) {
    for (const observer of observers) {
      try {
        const watch = observer.attemptStarted(start);
        if (watch !== undefined) this.#watches.push({ observer, watch });
      } catch (error) {
        warnOnce(observer, 'attemptStarted()', error);
      }
    }
  }

  /** Runs the exec inside every watch's `within`, the first observer's outermost. */
  within<T>(exec: () => T): T {
    let run = exec;
    for (let i = this.#watches.length - 1; i >= 0; i--) {
      const { observer, watch } = this.#watches[i] as Watched;
      if (watch.within === undefined) continue;
      const inner = run;
      let called = false;
      run = () => {
        try {
          return (watch.within as NonNullable<AttemptWatch['within']>)(() => {
            called = true;
            return inner();
          });
        } catch (error) {
          if (called) throw error;
          warnOnce(observer, 'within()', error);
          return inner();
        }
      };
    }
    return run();
  }

  end(outcome: AttemptOutcome, at: number, kicks: number): void {
    const end = attemptEnd(outcome, at, kicks);
    for (const { observer, watch } of this.#watches) {
      try {
        watch.end(end);
      } catch (error) {
        warnOnce(observer, 'end()', error);
      }
    }
  }
}

function attemptEnd(outcome: AttemptOutcome, at: number, kicks: number): AttemptEnd {
  switch (outcome.kind) {
    case 'returned': {
      const error = recordedError(outcome.transition.error);
      return error === undefined ? { kind: 'returned', to: outcome.transition.state, kicks, at } : { kind: 'returned', to: outcome.transition.state, kicks, error, at };
    }
    case 'threw':
      return { kind: 'threw', error: outcome.error, at };
    case 'timed-out':
      return { kind: 'timed-out', ms: outcome.timeout.ms, at };
    case 'aborted':
      return { kind: 'aborted', at };
  }
}

/** The message a transition records while moving on (an Error's message, or the text), if it records one. */
function recordedError(error: string | Error | undefined): string | undefined {
  if (error === undefined || error === '') return undefined;
  return typeof error === 'string' ? error : error.message;
}
