/**
 * Runs `fn` on the next turn of the event loop, after timers and I/O. The real setImmediate, taken
 * when this module loads, before a test's fake timers can replace it: waiting for the next turn is
 * how the engine lets other work run, not a timer a fake clock should hold back.
 */
export const nextTurn: (fn: () => void) => unknown = setImmediate;

/** The real setTimeout, taken when this module loads (see {@link nextTurn}): a shared run's commit batch waits a moment for more records. */
export const realTimeout: (fn: () => void, ms: number) => unknown = setTimeout;
