import { IdleTimer } from './idle-timer.js';
import { ManualClock } from './manual-clock.js';

describe(IdleTimer.name, () => {
  it('fires once the limit passes with no message', () => {
    const clock = new ManualClock();
    const onIdle = vi.fn();
    new IdleTimer(100, onIdle, clock);
    clock.advance(99);
    expect(onIdle).not.toHaveBeenCalled();
    clock.advance(1);
    expect(onIdle).toHaveBeenCalledTimes(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('counts the silence from the last message', () => {
    const clock = new ManualClock();
    const onIdle = vi.fn();
    const idle = new IdleTimer(100, onIdle, clock);
    clock.advance(80);
    idle.touch();
    clock.advance(80);
    expect(onIdle).not.toHaveBeenCalled();
    clock.advance(20);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it('keeps one timer however many messages go by, and releases it on dispose', () => {
    const clock = new ManualClock();
    const onIdle = vi.fn();
    const idle = new IdleTimer(100, onIdle, clock);
    for (let i = 0; i < 50; i++) {
      clock.advance(10);
      idle.touch();
    }
    expect(clock.pendingTimers).toBe(1);
    idle.dispose();
    expect(clock.pendingTimers).toBe(0);
    clock.advance(1_000);
    expect(onIdle).not.toHaveBeenCalled();
  });

  it('arms nothing without a finite positive limit', () => {
    const clock = new ManualClock();
    new IdleTimer(Infinity, () => undefined, clock);
    new IdleTimer(0, () => undefined, clock);
    expect(clock.pendingTimers).toBe(0);
  });
});
