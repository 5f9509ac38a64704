import { Deadline, ManualClock } from '@lib/deadline';
import { beginWithTimeout, statementTimeoutMs } from './statement-timeout.js';

describe(statementTimeoutMs.name, () => {
  it('takes the whole milliseconds left on the deadline', () => {
    const clock = new ManualClock();
    const deadline = Deadline.after(1_000, { clock });
    clock.advance(250.6);
    expect(statementTimeoutMs(deadline, 5_000)).toBe(749);
  });

  it('never answers 0, which PostgreSQL reads as no timeout at all', () => {
    const clock = new ManualClock();
    const deadline = Deadline.after(10, { clock });
    clock.advance(9.5);
    expect(statementTimeoutMs(deadline, 5_000)).toBe(1);
  });

  it('uses the fallback when there is no deadline', () => {
    expect(statementTimeoutMs(undefined, 5_000)).toBe(5_000);
  });
});

describe(beginWithTimeout.name, () => {
  it('opens the transaction and sets the timeout for it alone, in one round trip', () => {
    expect(beginWithTimeout(1234.9)).toBe(
      'BEGIN; SET LOCAL statement_timeout = 1234',
    );
  });
});
