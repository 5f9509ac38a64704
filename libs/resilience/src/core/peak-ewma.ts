import { type Clock, systemClock } from '@lib/deadline';

export interface PeakEwmaOptions {
  /**
   * Time constant of the decay, in ms: after this long without observations an estimate has
   * fallen to 1/e of itself, and observations this far apart weigh 1 − 1/e against the past.
   * @default 10_000
   */
  readonly decayMs?: number;
  /** Estimate before the first observation, in ms. @default 0 */
  readonly initialMs?: number;
  /** @default systemClock */
  readonly clock?: Clock;
}

/**
 * Peak-sensitive, time-decayed latency estimate (after Finagle's and tower's peak EWMA): an
 * observation above the estimate replaces it at once, one below pulls it down by a weight that
 * grows with the time since the last observation, and without observations the estimate decays
 * towards zero, so a replica that was slow is tried again after a while instead of never.
 */
export class PeakEwma {
  private readonly decayMs: number;
  private readonly clock: Clock;
  private estimateMs: number;
  private stampMs: number;

  constructor(options: PeakEwmaOptions = {}) {
    this.decayMs = options.decayMs ?? 10_000;
    if (!(this.decayMs > 0))
      throw new RangeError(
        `PeakEwma: decayMs must be > 0 (got ${this.decayMs})`,
      );
    this.clock = options.clock ?? systemClock;
    this.estimateMs = options.initialMs ?? 0;
    this.stampMs = this.clock.now();
  }

  /** The estimate now, in ms. */
  valueMs(nowMs = this.clock.now()): number {
    const elapsed = nowMs - this.stampMs;
    return elapsed > 0
      ? this.estimateMs * Math.exp(-elapsed / this.decayMs)
      : this.estimateMs;
  }

  /** One measured latency. */
  observe(latencyMs: number, nowMs = this.clock.now()): void {
    const current = this.valueMs(nowMs);
    if (latencyMs > current) this.estimateMs = latencyMs;
    else {
      const weight =
        1 - Math.exp(-Math.max(0, nowMs - this.stampMs) / this.decayMs);
      this.estimateMs = current + (latencyMs - current) * weight;
    }
    this.stampMs = nowMs;
  }

  /**
   * A lower bound: the call took at least this long (it timed out or was cancelled before its
   * answer). Raises the estimate when it is above; below it, it says nothing and changes nothing.
   */
  observeAtLeast(latencyMs: number, nowMs = this.clock.now()): void {
    if (latencyMs > this.valueMs(nowMs)) {
      this.estimateMs = latencyMs;
      this.stampMs = nowMs;
    }
  }
}
