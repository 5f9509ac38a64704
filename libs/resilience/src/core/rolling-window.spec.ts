import { ManualClock } from '@lib/deadline';
import { RollingWindow } from './rolling-window.js';

describe(RollingWindow.name, () => {
  it('sums calls, failures and slow calls within the window', () => {
    const clock = new ManualClock();
    const sut = new RollingWindow(60_000, 10, clock);
    sut.record(true, false);
    clock.advance(30_000);
    sut.record(false, true);
    expect(sut.counts()).toEqual({ calls: 2, failures: 1, slow: 1 });
  });

  it('drops counts one slice at a time as they leave the window', () => {
    const clock = new ManualClock();
    const sut = new RollingWindow(60_000, 10, clock);
    sut.record(true, false);
    clock.advance(30_000);
    sut.record(true, false);
    clock.advance(30_000);
    expect(sut.counts().failures).toBe(1);
    clock.advance(30_000);
    expect(sut.counts().failures).toBe(0);
  });

  it('holds nothing from before an idle period longer than the window', () => {
    const clock = new ManualClock();
    const sut = new RollingWindow(60_000, 10, clock);
    for (let i = 0; i < 19; i++) sut.record(true, false);
    // Not a whole number of windows: the new call lands in another slot, so only the slice
    // numbers can tell that the old slot is stale.
    clock.advance(10 * 60_000 + 30_000);
    sut.record(true, false);
    expect(sut.counts()).toEqual({ calls: 1, failures: 1, slow: 0 });
  });

  it('does not revive a slot whose number comes round again after exactly a multiple of the window', () => {
    const clock = new ManualClock();
    const sut = new RollingWindow(60_000, 10, clock);
    sut.record(true, false);
    clock.advance(60_000 * 3);
    expect(sut.counts().calls).toBe(0);
  });

  it('forgets everything on reset', () => {
    const clock = new ManualClock();
    const sut = new RollingWindow(60_000, 10, clock);
    sut.record(true, true);
    sut.reset();
    expect(sut.counts()).toEqual({ calls: 0, failures: 0, slow: 0 });
  });

  it('refuses a window or slice count that cannot work', () => {
    expect(() => new RollingWindow(0, 10, new ManualClock())).toThrow(
      RangeError,
    );
    expect(() => new RollingWindow(1_000, 0, new ManualClock())).toThrow(
      RangeError,
    );
  });
});
