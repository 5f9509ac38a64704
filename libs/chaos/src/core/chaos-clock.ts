/** Time source for the fault registry and injector; injectable so tests drive time by hand. */
export interface ChaosClock {
  /** Monotonic milliseconds. */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** `performance.now()` and unref'd timers: a pending fault never keeps a process alive. */
export const systemChaosClock: ChaosClock = {
  now: () => performance.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
