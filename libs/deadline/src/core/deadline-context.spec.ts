import { setTimeout as sleep } from 'node:timers/promises';
import { Deadline } from './deadline.js';
import {
  currentDeadline,
  currentScope,
  runInScope,
  runWithDeadline,
} from './deadline-context.js';
import { DeadlineScope } from './deadline-scope.js';

describe('deadline context', () => {
  it('has no deadline outside a request', () => {
    expect(currentDeadline()).toBeUndefined();
  });

  it('keeps concurrent requests apart across awaits and timers', async () => {
    const seen = await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        const deadline = Deadline.after(1_000 + i);
        return runInScope(
          new DeadlineScope(deadline, 'svc', `m${i}`, 1_000 + i),
          async () => {
            await sleep(Math.random() * 5);
            await Promise.resolve();
            const inTimer = await new Promise<Deadline | undefined>((resolve) =>
              setTimeout(() => resolve(currentDeadline()), 1),
            );
            deadline.dispose();
            return {
              same: inTimer === deadline && currentDeadline() === deadline,
              method: currentScope()?.method,
            };
          },
        );
      }),
    );
    expect(seen.every((s) => s.same)).toBe(true);
    expect(seen.map((s) => s.method)).toEqual(
      Array.from({ length: 50 }, (_, i) => `m${i}`),
    );
  });

  it('runs explicit work with the deadline it is given, and only inside', async () => {
    const deadline = Deadline.after(200);
    const inside = await runWithDeadline(deadline, async () => {
      await Promise.resolve();
      return currentDeadline();
    });
    deadline.dispose();
    expect(inside).toBe(deadline);
    expect(currentDeadline()).toBeUndefined();
  });
});
