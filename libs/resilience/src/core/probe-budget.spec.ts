import { probeBudgetMs } from './probe-budget.js';

describe(probeBudgetMs.name, () => {
  it.each([
    [0, 200],
    [1, 260],
    [2, 338],
    [4, 571.22],
  ])(
    'gives a 200 ms base probe %i failed probes → %d ms',
    (failedProbes, expected) => {
      expect(probeBudgetMs({ baseMs: 200, failedProbes })).toBeCloseTo(
        expected,
        1,
      );
    },
  );

  it('never exceeds five times the base (1000 ms for 200 ms), however many probes failed', () => {
    expect(probeBudgetMs({ baseMs: 200, failedProbes: 7 })).toBe(1_000);
    expect(probeBudgetMs({ baseMs: 200, failedProbes: 100 })).toBe(1_000);
  });

  it('never outlives what the caller has left', () => {
    expect(
      probeBudgetMs({ baseMs: 200, failedProbes: 4, remainingMs: 120 }),
    ).toBe(120);
  });
});
