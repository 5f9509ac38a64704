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
  /**
   * How long the last delay read from a full window stands in once the window holds fewer than
   * `minSamples` (a quiet spell, a first burst after idle), in ms: the first calls after a lull
   * are the ones a replica that turned slow meanwhile would otherwise cost. @default 60_000
   */
  readonly holdMs?: number;
  /** @default systemClock */
  readonly clock?: Clock;
}

/**
 * When to hedge one method's call: after its observed latency quantile (p95 by default) over the
 * recent successful calls, never sooner than `minDelayMs`, and not at all before `minSamples` of
 * them are in the window, except that after a lull the last delay read from a full window stands
 * in for `holdMs`. Fixed memory ({@link LatencyHistogram}); O(log n) per sample and per read.
 */
export class HedgeDelay {
  readonly quantile: number;
  readonly minSamples: number;
  readonly minDelayMs: number;
  private readonly histogram: LatencyHistogram;
  private readonly clock: Clock;
  private readonly holdMs: number;
  /** The last reading from a window with `minSamples`: delay, median, and when. */
  private held:
    { delayMs: number; typicalMs: number; atMs: number } | undefined;

  constructor(options: HedgeDelayOptions = {}) {
    const {
      quantile = 0.95,
      minSamples = 20,
      minDelayMs = 10,
      holdMs = 60_000,
    } = options;
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
    if (!(holdMs >= 0))
      problems.push(`holdMs must be a number ≥ 0 (got ${holdMs})`);
    if (problems.length)
      throw new RangeError(`HedgeDelay: ${problems.join('; ')}`);
    this.holdMs = holdMs;
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

  /**
   * How long a call waits before its hedge, in ms; undefined while fewer than `minSamples` are
   * known and no reading from a full window is younger than `holdMs`.
   */
  delayMs(nowMs = this.clock.now()): number | undefined {
    if (this.histogram.count(nowMs) < this.minSamples)
      return this.heldAt(nowMs)?.delayMs;
    const quantile = this.histogram.quantile(this.quantile, nowMs) as number;
    const delayMs = Math.max(this.minDelayMs, quantile);
    this.held = {
      delayMs,
      typicalMs: this.histogram.quantile(0.5, nowMs) as number,
      atMs: nowMs,
    };
    return delayMs;
  }

  /**
   * The median of the recent successful calls, in ms: what an answer typically takes; after a
   * lull, the held reading's median; undefined with neither.
   */
  typicalMs(nowMs = this.clock.now()): number | undefined {
    return this.histogram.quantile(0.5, nowMs) ?? this.heldAt(nowMs)?.typicalMs;
  }

  private heldAt(nowMs: number): HedgeDelay['held'] {
    const held = this.held;
    return held && nowMs - held.atMs <= this.holdMs ? held : undefined;
  }
}
