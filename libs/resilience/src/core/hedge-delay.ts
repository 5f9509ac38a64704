import { type Clock, systemClock } from '@lib/deadline';
import { LatencyHistogram } from './latency-histogram.js';

export interface HedgeDelayOptions {
  /** Quantile of recent successful latencies a call waits out before it is hedged (0.5–0.999). @default 0.95 */
  readonly quantile?: number;
  /** Successful calls the window must hold before any hedge. @default 20 */
  readonly minSamples?: number;
  /** Shortest delay, in ms, however fast the calls are. @default 10 */
  readonly minDelayMs?: number;
  /** How far back the latencies count, in ms. @default 10_000 */
  readonly windowMs?: number;
  /** @default systemClock */
  readonly clock?: Clock;
}

/**
 * When to hedge one method's call: after its observed latency quantile (p95 by default) over the
 * recent successful calls, never sooner than `minDelayMs`, and not at all before `minSamples` of
 * them are in the window. Fixed memory ({@link LatencyHistogram}); O(log n) per sample and per read.
 */
export class HedgeDelay {
  readonly quantile: number;
  readonly minSamples: number;
  readonly minDelayMs: number;
  private readonly histogram: LatencyHistogram;
  private readonly clock: Clock;

  constructor(options: HedgeDelayOptions = {}) {
    const { quantile = 0.95, minSamples = 20, minDelayMs = 10 } = options;
    const problems: string[] = [];
    if (!(quantile >= 0.5 && quantile <= 0.999))
      problems.push(`quantile must be within 0.5..0.999 (got ${quantile})`);
    if (!Number.isInteger(minSamples) || minSamples < 1)
      problems.push(
        `minSamples must be a whole number ≥ 1 (got ${minSamples})`,
      );
    if (!(minDelayMs >= 0) || minDelayMs === Infinity)
      problems.push(
        `minDelayMs must be a finite number ≥ 0 (got ${minDelayMs})`,
      );
    if (problems.length)
      throw new RangeError(`HedgeDelay: ${problems.join('; ')}`);
    this.quantile = quantile;
    this.minSamples = minSamples;
    this.minDelayMs = minDelayMs;
    this.clock = options.clock ?? systemClock;
    this.histogram = new LatencyHistogram({
      windowMs: options.windowMs,
      clock: this.clock,
    });
  }

  /** A successful call's latency, in ms. */
  record(latencyMs: number, nowMs = this.clock.now()): void {
    this.histogram.record(latencyMs, nowMs);
  }

  /** Successful calls in the window now. */
  samples(nowMs = this.clock.now()): number {
    return this.histogram.count(nowMs);
  }

  /** How long a call waits before its hedge, in ms; undefined while fewer than `minSamples` are known. */
  delayMs(nowMs = this.clock.now()): number | undefined {
    if (this.histogram.count(nowMs) < this.minSamples) return undefined;
    const quantile = this.histogram.quantile(this.quantile, nowMs) as number;
    return Math.max(this.minDelayMs, quantile);
  }

  /** The median of the recent successful calls, in ms: what an answer typically takes; undefined with none. */
  typicalMs(nowMs = this.clock.now()): number | undefined {
    return this.histogram.quantile(0.5, nowMs);
  }
}
