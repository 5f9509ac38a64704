import { CircuitState, type IBreaker } from 'cockatiel';
import { type Clock, systemClock } from '@lib/deadline';
import { RollingWindow, type WindowCounts } from './rolling-window.js';

/** When to open: a double threshold over a time window. */
export interface WindowedBreakerOptions {
  /** Length of the window. @default 60_000 */
  readonly windowMs?: number;
  /** Slices the window is kept in; counts leave the window one slice at a time. @default 10 */
  readonly bucketCount?: number;
  /** Fewer calls than this in the window never open the breaker (noise guard). @default 20 */
  readonly minimumCalls?: number;
  /** Failed share of the window's calls that opens the breaker, 0..1. @default 0.5 */
  readonly failureRatio?: number;
  /** A counted call at least this long is slow; keep it below the per-attempt timeout. @default 1_000 */
  readonly slowCallMs?: number;
  /** Slow share of the window's calls that opens the breaker, 0..1 (1 = only when all are slow). @default 1 */
  readonly slowCallRatio?: number;
  /** @default systemClock */
  readonly clock?: Clock;
}

/**
 * The "should it open" half of a breaker, as cockatiel's `IBreaker` (so it also plugs into
 * cockatiel's own `circuitBreaker({ breaker })`), plus durations for the slow-call ratio.
 */
export class WindowedBreaker implements IBreaker {
  readonly minimumCalls: number;
  readonly failureRatio: number;
  readonly slowCallMs: number;
  readonly slowCallRatio: number;
  private readonly window: RollingWindow;

  constructor(options: WindowedBreakerOptions = {}) {
    const {
      windowMs = 60_000,
      bucketCount = 10,
      minimumCalls = 20,
      failureRatio = 0.5,
      slowCallMs = 1_000,
      slowCallRatio = 1,
      clock = systemClock,
    } = options;
    if (
      !(failureRatio > 0 && failureRatio <= 1) ||
      !(slowCallRatio > 0 && slowCallRatio <= 1)
    )
      throw new RangeError('WindowedBreaker: ratios must be in (0, 1]');
    if (!(minimumCalls >= 1))
      throw new RangeError('WindowedBreaker: minimumCalls must be ≥ 1');
    this.window = new RollingWindow(windowMs, bucketCount, clock);
    this.minimumCalls = minimumCalls;
    this.failureRatio = failureRatio;
    this.slowCallMs = slowCallMs;
    this.slowCallRatio = slowCallRatio;
  }

  /** Counts are rebuilt from live traffic; persisting them across processes would be stale. */
  get state(): unknown {
    return null;
  }

  set state(_value: unknown) {
    this.window.reset();
  }

  /**
   * cockatiel `IBreaker`: a success of unknown duration. cockatiel calls it with `HalfOpen` once,
   * when a half-open phase closes the circuit (after all `halfOpenSampling` calls in 4.x); the
   * window then starts afresh, as cockatiel's own breakers do, so the failures that opened it
   * cannot open it again.
   */
  success(state?: CircuitState): void {
    if (state === CircuitState.HalfOpen) this.window.reset();
    this.record('success', 0);
  }

  /** cockatiel `IBreaker`: a failure of unknown duration; true when the breaker should open. */
  failure(_state?: CircuitState): boolean {
    return this.record('failure', 0);
  }

  /** Counts one finished call; true when the thresholds say the breaker should open now. */
  record(outcome: 'success' | 'failure', durationMs: number): boolean {
    const failed = outcome === 'failure';
    this.window.record(failed, durationMs >= this.slowCallMs);
    return failed || durationMs >= this.slowCallMs
      ? this.tripped(this.window.counts())
      : false;
  }

  counts(): WindowCounts {
    return this.window.counts();
  }

  reset(): void {
    this.window.reset();
  }

  private tripped({ calls, failures, slow }: WindowCounts): boolean {
    return (
      calls >= this.minimumCalls &&
      (failures / calls >= this.failureRatio ||
        slow / calls >= this.slowCallRatio)
    );
  }
}
