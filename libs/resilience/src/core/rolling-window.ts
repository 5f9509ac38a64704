import { type Clock } from '@lib/deadline';

/** Calls counted in a window, and how many of them failed or were slow. */
export interface WindowCounts {
  readonly calls: number;
  readonly failures: number;
  readonly slow: number;
}

interface Bucket {
  /** Absolute bucket number (`floor(now / bucketMs)`); a stale number means the slot is empty. */
  index: number;
  calls: number;
  failures: number;
  slow: number;
}

/**
 * Counts over the last `windowMs`, in `bucketCount` slots. Each slot remembers which absolute
 * time slice it holds, so after any idle period old counts are simply out of range: they never
 * come back (cockatiel's SamplingBreaker keeps them, see the README).
 */
export class RollingWindow {
  private readonly bucketMs: number;
  private readonly buckets: Bucket[];

  constructor(
    readonly windowMs: number,
    readonly bucketCount: number,
    private readonly clock: Clock,
  ) {
    if (!(windowMs > 0) || !Number.isInteger(bucketCount) || bucketCount < 1)
      throw new RangeError(
        `RollingWindow: windowMs must be > 0 and bucketCount a whole number ≥ 1 (got ${windowMs}, ${bucketCount})`,
      );
    this.bucketMs = windowMs / bucketCount;
    this.buckets = Array.from({ length: bucketCount }, () => ({
      index: -Infinity,
      calls: 0,
      failures: 0,
      slow: 0,
    }));
  }

  /** `nowMs`: the clock's time, when the caller has just read it. */
  record(failed: boolean, slow: boolean, nowMs = this.clock.now()): void {
    const index = Math.floor(nowMs / this.bucketMs);
    const bucket = this.buckets[index % this.bucketCount];
    if (bucket.index !== index) {
      bucket.index = index;
      bucket.calls = bucket.failures = bucket.slow = 0;
    }
    bucket.calls++;
    if (failed) bucket.failures++;
    if (slow) bucket.slow++;
  }

  counts(nowMs = this.clock.now()): WindowCounts {
    const newest = Math.floor(nowMs / this.bucketMs);
    let calls = 0;
    let failures = 0;
    let slow = 0;
    for (const bucket of this.buckets) {
      if (bucket.index <= newest - this.bucketCount || bucket.index > newest)
        continue;
      calls += bucket.calls;
      failures += bucket.failures;
      slow += bucket.slow;
    }
    return { calls, failures, slow };
  }

  reset(): void {
    for (const bucket of this.buckets) bucket.index = -Infinity;
  }
}
