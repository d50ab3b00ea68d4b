/**
 * Time as a dependency. State machines (TFTP windows, election, swarm) never call Date.now or
 * setTimeout themselves; they take a Clock, so tests drive them with FakeClock (src/testkit)
 * and get exact, flake-free timing.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds on a monotonic scale (not wall time). */
  nowMs(): number;
  /** Run `fire` once after `delayMs`. */
  setTimer(delayMs: number, fire: () => void): TimerHandle;
}

/** The real clock: performance.now() and unref'd timers (a pending timer never holds the process open). */
export const systemClock: Clock = {
  nowMs: () => performance.now(),
  setTimer(delayMs, fire) {
    const t = setTimeout(fire, Math.max(0, delayMs));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

/**
 * Runs `work` now and then every `intervalMs` until cancelled; a throwing run does not stop the
 * next (the next timer is armed before the error propagates).
 */
export function repeatEvery(clock: Clock, intervalMs: number, work: () => void): TimerHandle {
  let timer: TimerHandle | null = null;
  let cancelled = false;
  const run = () => {
    if (cancelled) return;
    try {
      work();
    } finally {
      if (!cancelled) timer = clock.setTimer(intervalMs, run);
    }
  };
  run();
  return { cancel: () => { cancelled = true; timer?.cancel(); } };
}
