/**
 * The downstream's recent latency: the last `size` successful call durations, with the median
 * recomputed only when asked after new samples (not on every call).
 */
export class LatencyTracker {
  private readonly samples: number[] = [];
  private cursor = 0;
  private cachedP50: number | undefined;

  constructor(readonly size = 64) {}

  /** Samples held (up to `size`). */
  get count(): number {
    return this.samples.length;
  }

  record(durationMs: number): void {
    if (this.samples.length < this.size) this.samples.push(durationMs);
    else this.samples[this.cursor] = durationMs;
    this.cursor = (this.cursor + 1) % this.size;
    this.cachedP50 = undefined;
  }

  /** Median of the recent samples; 0 with none. */
  p50(): number {
    if (this.cachedP50 !== undefined) return this.cachedP50;
    if (!this.samples.length) return 0;
    const sorted = [...this.samples].sort((a, b) => a - b);
    this.cachedP50 = sorted[Math.floor((sorted.length - 1) / 2)];
    return this.cachedP50;
  }
}
