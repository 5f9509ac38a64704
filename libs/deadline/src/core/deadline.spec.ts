import { getEventListeners, setMaxListeners } from 'node:events';
import { CancelledError } from './cancelled.error.js';
import { Deadline } from './deadline.js';
import { DeadlineExceededError } from './deadline-exceeded.error.js';
import { ManualClock } from './manual-clock.js';

describe(Deadline.name, () => {
  let clock: ManualClock;
  beforeEach(() => {
    clock = new ManualClock();
  });

  it('counts down its budget on the injected clock', () => {
    const deadline = Deadline.after(500, { clock });
    clock.advance(120);
    expect(deadline.remaining()).toBe(380);
    expect(deadline.elapsed()).toBe(120);
    expect(deadline.expired).toBe(false);
  });

  it('aborts its signal with DeadlineExceededError when the budget runs out', () => {
    const deadline = Deadline.after(500, { clock });
    clock.advance(499);
    expect(deadline.signal.aborted).toBe(false);
    clock.advance(1);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.signal.reason).toBeInstanceOf(DeadlineExceededError);
    expect(deadline.remaining()).toBe(0);
    expect(() => deadline.throwIfExpired()).toThrow(DeadlineExceededError);
  });

  it('is already expired for a budget of zero or less, without a timer', () => {
    for (const budget of [0, -5, Number.NaN]) {
      const deadline = Deadline.after(budget, { clock });
      expect(deadline.expired).toBe(true);
      expect(DeadlineExceededError.is(deadline.reason)).toBe(true);
    }
    expect(clock.pendingTimers).toBe(0);
  });

  it('never expires for an infinite budget and holds no timer', () => {
    const deadline = Deadline.after(Infinity, { clock });
    clock.advance(1e9);
    expect(deadline.expired).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('honours budgets longer than a timer can hold (~24.8 days) instead of firing at once', () => {
    const budget = 2 ** 31 + 60_000;
    const deadline = Deadline.after(budget, { clock });
    clock.advance(2 ** 31);
    expect(deadline.expired).toBe(false);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(60_000);
    expect(deadline.signal.reason).toBeInstanceOf(DeadlineExceededError);
    expect(clock.pendingTimers).toBe(0);
  });

  it('derives a child budget as min(remaining, cap) minus the reserve', () => {
    const deadline = Deadline.after(1_000, { clock });
    clock.advance(200);
    expect(deadline.budgetFor({ reserveMs: 50 })).toBe(750);
    expect(deadline.budgetFor({ reserveMs: 50, capMs: 300 })).toBe(250);
    expect(deadline.budgetFor({ reserveMs: 900 })).toBe(0);
  });

  it('gives a child strictly less time than its parent and aborts it with the parent', () => {
    const parent = Deadline.after(1_000, { clock });
    const child = parent.child({ reserveMs: 50 });
    expect(child.remaining()).toBe(950);
    parent.cancel();
    expect(child.signal.aborted).toBe(true);
    expect(CancelledError.is(child.signal.reason)).toBe(true);
  });

  it('expires a child at its own, earlier deadline without touching the parent', () => {
    const parent = Deadline.after(1_000, { clock });
    const child = parent.child({ capMs: 100 });
    clock.advance(100);
    expect(child.signal.aborted).toBe(true);
    expect(parent.signal.aborted).toBe(false);
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
  });

  it('reports a foreign parent abort as a cancellation, keeping the cause', () => {
    const controller = new AbortController();
    const deadline = Deadline.after(1_000, {
      clock,
      signal: controller.signal,
    });
    const cause = new Error('socket closed');
    controller.abort(cause);
    expect(deadline.signal.reason).toBeInstanceOf(CancelledError);
    expect((deadline.signal.reason as CancelledError).cause).toBe(cause);
  });

  it('starts aborted when the parent already is', () => {
    const controller = new AbortController();
    controller.abort(new DeadlineExceededError('upstream gave up'));
    const deadline = Deadline.after(1_000, {
      clock,
      signal: controller.signal,
    });
    expect(deadline.signal.reason).toEqual(
      new DeadlineExceededError('upstream gave up'),
    );
    expect(clock.pendingTimers).toBe(0);
  });

  it('cancel() aborts with CancelledError and frees the timer and the parent listener', () => {
    const parent = new AbortController();
    const deadline = Deadline.after(1_000, { clock, signal: parent.signal });
    deadline.cancel();
    expect(deadline.signal.reason).toBeInstanceOf(CancelledError);
    expect(clock.pendingTimers).toBe(0);
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
  });

  it('dispose() frees the timer and parent listener without aborting, and ignores later cancels', () => {
    const parent = new AbortController();
    const deadline = Deadline.after(1_000, { clock, signal: parent.signal });
    deadline.dispose();
    expect(clock.pendingTimers).toBe(0);
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
    deadline.cancel();
    parent.abort();
    expect(deadline.signal.aborted).toBe(false);
  });

  it('keeps the first abort reason', () => {
    const deadline = Deadline.after(100, { clock });
    deadline.cancel(new CancelledError('client left'));
    clock.advance(200);
    expect((deadline.signal.reason as Error).message).toBe('client left');
  });

  it('leaves no timer and no abort listener behind after 10,000 deadlines on the real clock', async () => {
    const parent = new AbortController();
    setMaxListeners(0, parent.signal); // one long-lived parent shared by thousands of children
    const timersBefore = process
      .getActiveResourcesInfo()
      .filter((r) => r === 'Timeout').length;
    const expiring: Promise<void>[] = [];
    for (let i = 0; i < 10_000; i++) {
      const deadline = Deadline.after(i % 2 === 0 ? 60_000 : 1, {
        signal: parent.signal,
      });
      if (i % 2 === 0) {
        if (i % 4 === 0) deadline.dispose();
        else deadline.cancel();
      } else {
        expiring.push(
          new Promise((resolve) =>
            deadline.signal.addEventListener('abort', () => resolve(), {
              once: true,
            }),
          ),
        );
      }
    }
    await Promise.all(expiring); // the 1 ms half settle by expiring
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
    expect(
      process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length,
    ).toBeLessThanOrEqual(timersBefore);
  });
});
