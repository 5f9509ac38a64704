import { ManualClock } from '@lib/deadline';
import { HedgeBudget } from './hedge-budget.js';

describe(HedgeBudget.name, () => {
  it('never lets hedges exceed the share of calls (10 % by default), however often they are asked for', () => {
    const clock = new ManualClock();
    const sut = new HedgeBudget({ clock, minPerSecond: 0 });
    let hedges = 0;
    for (let calls = 1; calls <= 10_000; calls++) {
      sut.deposit();
      // Every call wants a hedge: the worst case for the budget.
      if (sut.tryWithdraw()) hedges++;
      expect(hedges).toBeLessThanOrEqual(Math.floor(calls * 0.1));
    }
    expect(hedges).toBe(1_000);
  });

  it('holds to another share over calls that ask now and then', () => {
    const clock = new ManualClock();
    const sut = new HedgeBudget({ clock, maxPercent: 3, minPerSecond: 0 });
    let hedges = 0;
    for (let calls = 1; calls <= 5_000; calls++) {
      sut.deposit();
      clock.advance(7);
      if (calls % 3 === 0 && sut.tryWithdraw()) hedges++;
      expect(hedges).toBeLessThanOrEqual(Math.floor(calls * 0.03));
    }
    expect(hedges).toBeGreaterThanOrEqual(140);
  });

  it('adds at most the reserve on top of the share: one at the start, then minPerSecond', () => {
    const clock = new ManualClock();
    const sut = new HedgeBudget({ clock, maxPercent: 10, minPerSecond: 0.5 });
    let hedges = 0;
    for (let calls = 1; calls <= 2_000; calls++) {
      sut.deposit();
      clock.advance(50);
      if (sut.tryWithdraw()) hedges++;
      const seconds = clock.now() / 1_000;
      expect(hedges).toBeLessThanOrEqual(
        Math.floor(calls * 0.1) + 1 + Math.floor(seconds * 0.5),
      );
    }
  });

  it('lets a quiet downstream hedge once in a while from the reserve', () => {
    const clock = new ManualClock();
    const sut = new HedgeBudget({ clock, minPerSecond: 0.1 });
    sut.deposit();
    expect(sut.tryWithdraw()).toBe(true);
    sut.deposit();
    expect(sut.tryWithdraw()).toBe(false);
    clock.advance(9_000);
    expect(sut.tryWithdraw()).toBe(false);
    clock.advance(1_000);
    expect(sut.tryWithdraw()).toBe(true);
    // The reserve saves one hedge at most, however long the calm.
    clock.advance(3_600_000);
    expect(sut.available()).toBe(1);
  });

  it('saves at most maxSaved hedges of credit', () => {
    const sut = new HedgeBudget({
      clock: new ManualClock(),
      minPerSecond: 0,
      maxSaved: 3,
    });
    for (let i = 0; i < 1_000; i++) sut.deposit();
    expect(sut.available()).toBe(3);
    let hedges = 0;
    while (sut.tryWithdraw()) hedges++;
    expect(hedges).toBe(3);
  });

  it('sends no hedge at all with a share of 0 and no reserve', () => {
    const sut = new HedgeBudget({
      clock: new ManualClock(),
      maxPercent: 0,
      minPerSecond: 0,
    });
    for (let i = 0; i < 100; i++) sut.deposit();
    expect(sut.tryWithdraw()).toBe(false);
  });

  it('refuses a share outside 0..100, a negative reserve and a cap below one hedge', () => {
    expect(
      () => new HedgeBudget({ maxPercent: 150, minPerSecond: -1, maxSaved: 0 }),
    ).toThrow(/maxPercent.*minPerSecond.*maxSaved/);
  });
});
