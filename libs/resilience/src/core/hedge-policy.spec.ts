import { ManualClock } from '@lib/deadline';
import { HedgePolicy } from './hedge-policy.js';

/** A policy that has seen `samples` successful `Reserve` calls of `latencyMs`. */
function warmed(
  clock: ManualClock,
  samples = 20,
  latencyMs = 50,
  options: ConstructorParameters<typeof HedgePolicy>[0] = {},
): HedgePolicy {
  const sut = new HedgePolicy({ clock, maxPercent: 100, ...options });
  for (let i = 0; i < samples; i++) {
    sut.plan('Reserve', 1_000);
    sut.answered('Reserve', latencyMs);
  }
  return sut;
}

describe(HedgePolicy.name, () => {
  it('plans no hedge before the minimum number of samples', () => {
    const clock = new ManualClock();
    expect(warmed(clock, 19).plan('Reserve', 1_000)).toBeUndefined();
    expect(warmed(clock, 20).plan('Reserve', 1_000)).toBeGreaterThanOrEqual(50);
  });

  it('keeps each method’s latencies apart', () => {
    const clock = new ManualClock();
    const sut = warmed(clock);
    expect(sut.plan('Commit', 1_000)).toBeUndefined();
    expect(sut.samples('Reserve')).toBe(20);
    expect(sut.samples('Commit')).toBe(0);
  });

  it('plans no hedge when the budget left after the delay is less than a typical answer', () => {
    const clock = new ManualClock();
    const sut = warmed(clock, 20, 50);
    // Delay ≈ 50 ms (p95 of 50s) and a typical answer ≈ 50 ms: 100 ms is just enough, 90 is not.
    expect(sut.plan('Reserve', 110)).toBeDefined();
    expect(sut.plan('Reserve', 90)).toBeUndefined();
    expect(sut.plan('Reserve', Infinity)).toBeDefined();
  });

  it('sends the hedge only if what is left when the delay is over still fits a typical answer', () => {
    const clock = new ManualClock();
    const sut = warmed(clock, 20, 50);
    expect(sut.mayHedge('Reserve', 40)).toBe(false);
    expect(sut.mayHedge('Reserve', 60)).toBe(true);
  });

  it('spends the shared budget: no hedge once it is empty', () => {
    const clock = new ManualClock();
    const sut = warmed(clock, 20, 50, { maxPercent: 10, minPerSecond: 0 });
    // 20 calls at 10 %: two hedges, for any method.
    expect(sut.mayHedge('Reserve', 500)).toBe(true);
    expect(sut.mayHedge('Commit', 500)).toBe(false);
    expect(sut.mayHedge('Reserve', 500)).toBe(true);
    expect(sut.mayHedge('Reserve', 500)).toBe(false);
  });

  it('does not spend the budget on a hedge that would not fit', () => {
    const clock = new ManualClock();
    const sut = warmed(clock, 20, 50, { maxPercent: 5, minPerSecond: 0 });
    expect(sut.mayHedge('Reserve', 10)).toBe(false);
    expect(sut.budget.available()).toBe(1);
  });

  it('checks its options when made', () => {
    expect(() => new HedgePolicy({ quantile: 2 })).toThrow(RangeError);
    expect(() => new HedgePolicy({ maxPercent: -1 })).toThrow(RangeError);
  });
});
