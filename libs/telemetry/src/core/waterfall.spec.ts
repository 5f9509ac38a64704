import type { HopRecord } from '@lib/deadline';
import { waterfallOf } from './waterfall.js';

const hop = (
  service: string,
  receivedBudgetMs: number | null,
  spentMs: number,
  forwardedBudgetMs: number | null,
  outcome: HopRecord['outcome'] = 'ok',
): HopRecord => ({
  service,
  method: 'M',
  receivedBudgetMs,
  spentMs,
  forwardedBudgetMs,
  outcome,
});

describe(waterfallOf.name, () => {
  it('starts the edge at zero with its deadline at its budget', () => {
    const [edge] = waterfallOf([hop('gateway', 1000, 40, 990)]);
    expect(edge).toMatchObject({
      level: 0,
      startMs: 0,
      deadlineAtMs: 1000,
      spentMs: 40,
    });
  });

  it('starts each downstream hop at the edge budget minus the budget it received', () => {
    const bars = waterfallOf([
      hop('gateway', 1000, 300, 980),
      hop('order', 975, 280, 700),
      hop('payment', 690, 250, null),
    ]);
    expect(bars.map((b) => b.startMs)).toEqual([0, 25, 310]);
    expect(bars.map((b) => b.deadlineAtMs)).toEqual([1000, 1000, 1000]);
  });

  it('computes the decay from what the hop passed on, or what it had left when it called nobody', () => {
    const bars = waterfallOf([
      hop('order', 1000, 300, 700),
      hop('payment', 500, 100, null),
    ]);
    expect(bars.map((b) => b.decayPct)).toEqual([30, 20]);
  });

  it('keeps failed hops and their outcome', () => {
    const bars = waterfallOf([
      hop('gateway', 150, 150, 140, 'deadline_exceeded'),
      hop('payment', 110, 112, null, 'deadline_exceeded'),
    ]);
    expect(bars.map((b) => b.outcome)).toEqual([
      'deadline_exceeded',
      'deadline_exceeded',
    ]);
    expect(bars[1].decayPct).toBe(100);
  });

  it('places a hop that received no deadline at zero without a deadline mark', () => {
    const [, lost] = waterfallOf([
      hop('gateway', 1000, 10, 990),
      hop('auth', null, 3, null),
    ]);
    expect(lost).toMatchObject({
      startMs: 0,
      deadlineAtMs: null,
      decayPct: null,
    });
  });
});
