import { type Clock, systemClock, type TimerHandle } from './clock.js';

/**
 * Bounds the silence between two messages of a stream: `onIdle` runs once when `limitMs` pass
 * without a `touch()`. One timer, re-armed lazily (a touch only records the time, so a busy
 * stream costs no timer churn); `dispose()` releases it. A limit that is not a positive finite
 * number arms nothing.
 */
export class IdleTimer {
  private timer: TimerHandle | undefined;
  private lastTouchAt: number;
  private disposed = false;

  constructor(
    readonly limitMs: number,
    private readonly onIdle: () => void,
    private readonly clock: Clock = systemClock,
  ) {
    this.lastTouchAt = clock.now();
    if (limitMs > 0 && Number.isFinite(limitMs)) this.arm(limitMs);
  }

  /** A message went by: the silence starts again from now. */
  touch(): void {
    this.lastTouchAt = this.clock.now();
  }

  /** Stops watching; `onIdle` will not run. Call it in `finally`. */
  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(delayMs: number): void {
    this.timer = this.clock.setTimeout(this.check, delayMs);
  }

  private readonly check = (): void => {
    this.timer = undefined;
    if (this.disposed) return;
    const quietMs = this.clock.now() - this.lastTouchAt;
    // Timers may fire a fraction early; within a millisecond counts as the limit reached.
    if (quietMs >= this.limitMs - 1) {
      this.disposed = true;
      this.onIdle();
      return;
    }
    this.arm(this.limitMs - quietMs);
  };
}
