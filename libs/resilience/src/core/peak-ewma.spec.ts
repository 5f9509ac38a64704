import { ManualClock } from '@lib/deadline';
import { PeakEwma } from './peak-ewma.js';

describe(PeakEwma.name, () => {
  it('starts at the initial estimate', () => {
    const sut = new PeakEwma({ clock: new ManualClock(), initialMs: 7 });
    expect(sut.valueMs()).toBe(7);
  });

  it('jumps to a latency above the estimate at once', () => {
    const clock = new ManualClock();
    const sut = new PeakEwma({ clock, initialMs: 5 });
    sut.observe(800);
    expect(sut.valueMs()).toBe(800);
  });

  it('comes down towards lower latencies by the time between observations', () => {
    const clock = new ManualClock();
    const sut = new PeakEwma({ clock, decayMs: 1_000, initialMs: 0 });
    sut.observe(100);
    clock.advance(10);
    sut.observe(10);
    // 10 ms of a 1 s constant: the old value still weighs about 99 %.
    expect(sut.valueMs()).toBeGreaterThan(90);
    for (let i = 0; i < 100; i++) {
      clock.advance(100);
      sut.observe(10);
    }
    expect(sut.valueMs()).toBeCloseTo(10, 0);
  });

  it('decays towards zero without observations, by 1/e per decay constant', () => {
    const clock = new ManualClock();
    const sut = new PeakEwma({ clock, decayMs: 1_000, initialMs: 0 });
    sut.observe(800);
    clock.advance(1_000);
    expect(sut.valueMs()).toBeCloseTo(800 / Math.E, 6);
  });

  it('raises the estimate from a lower bound above it', () => {
    const clock = new ManualClock();
    const sut = new PeakEwma({ clock, initialMs: 10 });
    sut.observeAtLeast(600);
    expect(sut.valueMs()).toBe(600);
  });

  it('leaves the estimate alone for a lower bound below it', () => {
    const clock = new ManualClock();
    const sut = new PeakEwma({ clock, initialMs: 0 });
    sut.observe(800);
    sut.observeAtLeast(20);
    expect(sut.valueMs()).toBe(800);
  });

  it('refuses a decay constant that is not positive', () => {
    expect(() => new PeakEwma({ decayMs: 0 })).toThrow(RangeError);
  });
});
