import { ManualClock } from '@lib/deadline';
import { HedgeDelay } from './hedge-delay.js';

describe(HedgeDelay.name, () => {
  it('allows no hedge before the minimum number of samples', () => {
    const sut = new HedgeDelay({ clock: new ManualClock(), minSamples: 20 });
    for (let i = 0; i < 19; i++) sut.record(30);
    expect(sut.delayMs()).toBeUndefined();
    sut.record(30);
    expect(sut.delayMs()).toBeGreaterThanOrEqual(30);
  });

  it('waits the p95 of recent successful calls by default', () => {
    const sut = new HedgeDelay({ clock: new ManualClock(), minDelayMs: 0 });
    for (let i = 0; i < 95; i++) sut.record(40);
    for (let i = 0; i < 5; i++) sut.record(900);
    const delay = sut.delayMs() as number;
    expect(delay).toBeGreaterThanOrEqual(40);
    expect(delay).toBeLessThanOrEqual(42);
  });

  it('follows another quantile when told', () => {
    const sut = new HedgeDelay({
      clock: new ManualClock(),
      quantile: 0.5,
      minDelayMs: 0,
    });
    for (let i = 1; i <= 100; i++) sut.record(i);
    const delay = sut.delayMs() as number;
    expect(delay).toBeGreaterThanOrEqual(50);
    expect(delay).toBeLessThanOrEqual(52.5);
  });

  it('never waits less than the floor', () => {
    const sut = new HedgeDelay({ clock: new ManualClock(), minDelayMs: 25 });
    for (let i = 0; i < 50; i++) sut.record(1);
    expect(sut.delayMs()).toBe(25);
  });

  it('gives the median as the typical answer', () => {
    const sut = new HedgeDelay({ clock: new ManualClock() });
    expect(sut.typicalMs()).toBeUndefined();
    for (let i = 0; i < 60; i++) sut.record(10);
    for (let i = 0; i < 40; i++) sut.record(700);
    const typical = sut.typicalMs() as number;
    expect(typical).toBeGreaterThanOrEqual(10);
    expect(typical).toBeLessThanOrEqual(10.5);
  });

  it('needs the minimum again once old samples have left the window and the hold is over', () => {
    const clock = new ManualClock();
    const sut = new HedgeDelay({
      clock,
      windowMs: 10_000,
      minSamples: 5,
      holdMs: 0,
    });
    for (let i = 0; i < 5; i++) sut.record(30);
    expect(sut.delayMs()).toBeDefined();
    clock.advance(12_000);
    expect(sut.samples()).toBe(0);
    expect(sut.delayMs()).toBeUndefined();
  });

  it('after a lull, holds the last full window’s delay and median for holdMs', () => {
    const clock = new ManualClock();
    const sut = new HedgeDelay({ clock, windowMs: 10_000, minSamples: 5 });
    for (let i = 0; i < 5; i++) sut.record(30);
    const delay = sut.delayMs() as number;
    expect(delay).toBeGreaterThanOrEqual(30);
    // A quiet spell empties the window: the first calls after it are hedged at the last delay.
    clock.advance(40_000);
    expect(sut.samples()).toBe(0);
    expect(sut.delayMs()).toBe(delay);
    expect(sut.typicalMs()).toBeGreaterThanOrEqual(30);
    // Once the window has the minimum again, it reads afresh.
    for (let i = 0; i < 5; i++) sut.record(200);
    expect(sut.delayMs()).toBeGreaterThanOrEqual(200);
    // And without any new calls for longer than the hold, nothing is held.
    clock.advance(10_001 + 60_000);
    expect(sut.delayMs()).toBeUndefined();
    expect(sut.typicalMs()).toBeUndefined();
  });

  it('refuses a quantile outside 0.5..0.999, a fractional minimum, a negative floor and hold, all at once', () => {
    expect(
      () =>
        new HedgeDelay({
          quantile: 1,
          minSamples: 2.5,
          minDelayMs: -1,
          holdMs: -1,
        }),
    ).toThrow(/quantile.*minSamples.*minDelayMs.*holdMs/);
    expect(() => new HedgeDelay({ quantile: 0.2 })).toThrow(RangeError);
  });
});
