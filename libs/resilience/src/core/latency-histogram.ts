import { type Clock, systemClock } from '@lib/deadline';

export interface LatencyHistogramOptions {
  /** Samples older than this are forgotten, in ms. @default 10_000 */
  readonly windowMs?: number;
  /** Slices of the window; the oldest slice is forgotten whole. @default 5 */
  readonly slices?: number;
  /** @default systemClock */
  readonly clock?: Clock;
}

/** Bucket 0 holds everything up to this; bucket i ≥ 1 holds (SMALLEST × GROWTH^(i−1), SMALLEST × GROWTH^i]. */
const SMALLEST_MS = 0.1;
/** Each bucket is 5 % wider than the one before: a quantile is read to within 5 %. */
const GROWTH = 1.05;
const LOG_GROWTH = Math.log(GROWTH);
/** Latencies above this (10 min) share the last bucket. */
const LARGEST_MS = 600_000;
const BUCKETS = 1 + Math.ceil(Math.log(LARGEST_MS / SMALLEST_MS) / LOG_GROWTH);
/** Highest power of two ≤ BUCKETS, where a Fenwick search starts. */
const TOP_STEP = 2 ** Math.floor(Math.log2(BUCKETS));

const bucketOf = (ms: number): number =>
  ms <= SMALLEST_MS
    ? 0
    : Math.min(
        BUCKETS - 1,
        Math.max(1, Math.ceil(Math.log(ms / SMALLEST_MS) / LOG_GROWTH)),
      );

/** A bucket's upper bound: what a quantile falling in it reads as (never below the true value by more than 5 %). */
const upperBoundOf = (bucket: number): number => SMALLEST_MS * GROWTH ** bucket;

/**
 * Recent latencies in fixed memory, for quantiles: log-scale buckets 5 % wide (0.1 ms to 10 min,
 * {@link LatencyHistogram.buckets} of them) counted per time slice, over a window that moves in whole
 * slices (each slot remembers which absolute slice it holds, so after idle time old counts are out).
 * The counts of the live slices are summed in a Fenwick tree, so recording a sample and reading any
 * quantile both cost O(log buckets); forgetting a slice costs one pass over the buckets, once a slice.
 */
export class LatencyHistogram {
  /** Buckets per slice (and in the tree): about 330. */
  static readonly buckets = BUCKETS;
  private readonly sliceMs: number;
  private readonly sliceCount: number;
  private readonly clock: Clock;
  /** Per slot: its counts per bucket, how many in all, and which absolute slice it holds. */
  private readonly counts: Uint32Array[];
  private readonly sliceTotals: Uint32Array;
  private readonly sliceNumbers: Float64Array;
  /** Fenwick tree (1-based) over the live slices' counts per bucket. */
  private readonly tree = new Float64Array(BUCKETS + 1);
  private total = 0;
  private newest = -Infinity;

  constructor(options: LatencyHistogramOptions = {}) {
    const { windowMs = 10_000, slices = 5 } = options;
    if (!(windowMs > 0) || !Number.isInteger(slices) || slices < 1)
      throw new RangeError(
        `LatencyHistogram: windowMs must be > 0 and slices a whole number ≥ 1 (got ${windowMs}, ${slices})`,
      );
    this.sliceMs = windowMs / slices;
    this.sliceCount = slices;
    this.clock = options.clock ?? systemClock;
    this.counts = Array.from(
      { length: slices },
      () => new Uint32Array(BUCKETS),
    );
    this.sliceTotals = new Uint32Array(slices);
    this.sliceNumbers = new Float64Array(slices).fill(-Infinity);
  }

  /** Samples in the window now. */
  count(nowMs = this.clock.now()): number {
    this.forgetOld(nowMs);
    return this.total;
  }

  /** One latency, in ms (a negative or non-finite one is ignored). */
  record(latencyMs: number, nowMs = this.clock.now()): void {
    if (!(latencyMs >= 0) || latencyMs === Infinity) return;
    this.forgetOld(nowMs);
    const number = Math.floor(nowMs / this.sliceMs);
    const slot = number % this.sliceCount;
    this.sliceNumbers[slot] = number;
    const bucket = bucketOf(latencyMs);
    this.counts[slot][bucket]++;
    this.sliceTotals[slot]++;
    this.total++;
    for (let i = bucket + 1; i <= BUCKETS; i += i & -i) this.tree[i]++;
  }

  /**
   * The `q` quantile (0 < q ≤ 1) of the samples in the window, read as its bucket's upper bound
   * (at most 5 % above the sample it stands for); undefined with no samples.
   */
  quantile(q: number, nowMs = this.clock.now()): number | undefined {
    this.forgetOld(nowMs);
    if (this.total === 0) return undefined;
    // The rank-th smallest sample, 1-based: the first bucket whose running count reaches it.
    let rank = Math.min(this.total, Math.max(1, Math.ceil(q * this.total)));
    let position = 0;
    for (let step = TOP_STEP; step > 0; step >>= 1) {
      const next = position + step;
      if (next <= BUCKETS && this.tree[next] < rank) {
        position = next;
        rank -= this.tree[next];
      }
    }
    return upperBoundOf(position);
  }

  /** Drops the slices that have left the window by `nowMs`. */
  private forgetOld(nowMs: number): void {
    const current = Math.floor(nowMs / this.sliceMs);
    if (current === this.newest) return;
    this.newest = current;
    for (let slot = 0; slot < this.sliceCount; slot++) {
      const number = this.sliceNumbers[slot];
      if (number === -Infinity || number > current - this.sliceCount) continue;
      this.sliceNumbers[slot] = -Infinity;
      if (this.sliceTotals[slot] === 0) continue;
      const counts = this.counts[slot];
      for (let bucket = 0; bucket < BUCKETS; bucket++) {
        const n = counts[bucket];
        if (n === 0) continue;
        counts[bucket] = 0;
        for (let i = bucket + 1; i <= BUCKETS; i += i & -i) this.tree[i] -= n;
      }
      this.total -= this.sliceTotals[slot];
      this.sliceTotals[slot] = 0;
    }
  }
}
