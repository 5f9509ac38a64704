import { ManualClock } from '@lib/deadline';
import { LatencyHistogram } from './latency-histogram.js';

/** The exact q quantile of `values` by the same rank rule (the ceil(q·n)-th smallest). */
function exactQuantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1];
}

describe(LatencyHistogram.name, () => {
  it('has no quantile before the first sample', () => {
    const sut = new LatencyHistogram({ clock: new ManualClock() });
    expect(sut.quantile(0.95)).toBeUndefined();
    expect(sut.count()).toBe(0);
  });

  it('reads each quantile to within 5 % above the exact one, never below it', () => {
    const sut = new LatencyHistogram({ clock: new ManualClock() });
    const values: number[] = [];
    // A long-tailed spread from 0.3 ms to about 2 s, in a fixed order.
    for (let i = 1; i <= 1_000; i++) {
      const value = 0.3 * Math.exp(((i * 7919) % 1_000) / 114);
      values.push(value);
      sut.record(value);
    }
    for (const q of [0.5, 0.9, 0.95, 0.99, 0.999, 1]) {
      const exact = exactQuantile(values, q);
      const read = sut.quantile(q) as number;
      expect(read, `q=${q}`).toBeGreaterThanOrEqual(exact);
      expect(read, `q=${q}`).toBeLessThanOrEqual(exact * 1.05 + 1e-9);
    }
  });

  it('puts the p95 of 95 fast calls and 5 slow ones on the fast side', () => {
    const sut = new LatencyHistogram({ clock: new ManualClock() });
    for (let i = 0; i < 95; i++) sut.record(20);
    for (let i = 0; i < 5; i++) sut.record(800);
    expect(sut.quantile(0.95)).toBeLessThanOrEqual(21);
    expect(sut.quantile(0.96)).toBeGreaterThanOrEqual(800);
  });

  it('forgets samples older than its window, a slice at a time', () => {
    const clock = new ManualClock();
    const sut = new LatencyHistogram({ clock, windowMs: 10_000, slices: 5 });
    for (let i = 0; i < 10; i++) sut.record(500);
    clock.advance(5_000);
    for (let i = 0; i < 10; i++) sut.record(5);
    expect(sut.count()).toBe(20);
    expect(sut.quantile(0.95)).toBeGreaterThanOrEqual(500);
    // The first slice (0–2 s) leaves the window at 10 s; the second batch (at 5 s) stays.
    clock.advance(5_000);
    expect(sut.count()).toBe(10);
    expect(sut.quantile(0.95)).toBeLessThanOrEqual(5.25);
    clock.advance(5_000);
    expect(sut.count()).toBe(0);
    expect(sut.quantile(0.5)).toBeUndefined();
  });

  it('starts clean after an idle period longer than its window', () => {
    const clock = new ManualClock();
    const sut = new LatencyHistogram({ clock, windowMs: 1_000, slices: 4 });
    for (let i = 0; i < 50; i++) sut.record(900);
    clock.advance(3_600_000);
    sut.record(3);
    expect(sut.count()).toBe(1);
    expect(sut.quantile(1)).toBeLessThanOrEqual(3.15);
  });

  it('keeps its memory fixed however many samples it sees', () => {
    const clock = new ManualClock();
    const sut = new LatencyHistogram({ clock, windowMs: 1_000, slices: 2 });
    for (let i = 0; i < 200_000; i++) {
      sut.record(i % 997);
      clock.advance(0.01);
    }
    // 200k samples over 2 s of clock: only the last 1–1.5 s are held, in the same arrays.
    expect(sut.count()).toBeLessThanOrEqual(150_000);
    expect(LatencyHistogram.buckets).toBeLessThan(400);
  });

  it('ignores negative and non-finite latencies', () => {
    const sut = new LatencyHistogram({ clock: new ManualClock() });
    sut.record(-1);
    sut.record(Number.NaN);
    sut.record(Infinity);
    expect(sut.count()).toBe(0);
  });

  it('puts latencies past 10 minutes in its last bucket', () => {
    const sut = new LatencyHistogram({ clock: new ManualClock() });
    sut.record(3_600_000);
    expect(sut.quantile(1)).toBeGreaterThanOrEqual(600_000);
  });

  it('refuses a window that is not positive or a slice count that is not whole', () => {
    expect(() => new LatencyHistogram({ windowMs: 0 })).toThrow(RangeError);
    expect(() => new LatencyHistogram({ slices: 1.5 })).toThrow(RangeError);
  });
});
