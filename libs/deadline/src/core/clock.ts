/** Opaque handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = object | number;

/**
 * Time source for deadlines. Monotonic, in milliseconds; injectable so tests can
 * drive time by hand instead of sleeping.
 */
export interface Clock {
  /** Monotonic milliseconds (never jumps with wall-clock changes). */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The process clock: `performance.now()` and unref'd timers, so a pending deadline never keeps a process alive. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, delayMs) => {
    const timer = setTimeout(callback, delayMs);
    timer.unref();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
