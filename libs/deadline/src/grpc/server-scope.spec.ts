import { EventEmitter } from 'node:events';
import { CancelledError } from '../core/cancelled.error.js';
import { openServerScope, type ServerCallLike } from './server-scope.js';

class FakeCall extends EventEmitter implements ServerCallLike {
  cancelled = false;
  constructor(
    private readonly deadline: Date | number,
    readonly metadata = { get: (_key: string): unknown[] => [] },
  ) {
    super();
  }
  getDeadline(): Date | number {
    return this.deadline;
  }
}

const options = { service: 'inventory', fallbackBudgetMs: 10_000 };

describe(openServerScope.name, () => {
  it('takes the budget from the call’s deadline', () => {
    const { scope, close } = openServerScope(
      new FakeCall(new Date(Date.now() + 800)),
      'Reserve',
      options,
    );
    expect(scope.receivedBudgetMs).toBeGreaterThan(790);
    expect(scope.receivedBudgetMs).toBeLessThanOrEqual(800);
    close();
  });

  it('applies the fallback budget when the caller sent no deadline', () => {
    const { scope, close } = openServerScope(
      new FakeCall(Infinity),
      'Reserve',
      options,
    );
    expect(scope.receivedBudgetMs).toBeNull();
    expect(scope.deadline.budgetMs).toBe(10_000);
    close();
  });

  it('lets a smaller sidecar timeout win over the call’s deadline, and ignores a malformed one', () => {
    const envoy = (value: string) => ({
      get: (key: string) =>
        key === 'x-envoy-expected-rq-timeout-ms' ? [value] : [],
    });
    const small = openServerScope(
      new FakeCall(Date.now() + 5_000, envoy('300')),
      'Reserve',
      options,
    );
    expect(small.scope.receivedBudgetMs).toBe(300);
    small.close();
    const bad = openServerScope(
      new FakeCall(Date.now() + 5_000, envoy('3s')),
      'Reserve',
      options,
    );
    expect(bad.scope.receivedBudgetMs).toBeGreaterThan(4_900);
    bad.close();
  });

  it('reads the hop number from metadata, bounded', () => {
    const hop = (value: string) => ({
      get: (key: string) => (key === 'x-deadline-hop' ? [value] : []),
    });
    for (const [raw, expected] of [
      ['3', 3],
      ['999', 255],
      ['-1', 0],
      ['x', 0],
    ] as const) {
      const opened = openServerScope(
        new FakeCall(Infinity, hop(raw)),
        'm',
        options,
      );
      expect(opened.scope.hop).toBe(expected);
      opened.close();
    }
  });

  it('aborts with CancelledError when the caller cancels while the handler runs', () => {
    const call = new FakeCall(Date.now() + 1_000);
    const { scope, close } = openServerScope(call, 'Reserve', options);
    call.emit('cancelled');
    expect(scope.deadline.signal.reason).toBeInstanceOf(CancelledError);
    close();
  });

  it('ignores the “cancelled” event grpc-js emits after a successful finish (grpc-node#2771)', () => {
    const call = new FakeCall(Date.now() + 1_000);
    const { scope, close } = openServerScope(call, 'Reserve', options);
    close();
    call.emit('cancelled');
    expect(scope.deadline.signal.aborted).toBe(false);
    expect(call.listenerCount('cancelled')).toBe(0);
  });

  it('starts cancelled when the call already was', () => {
    const call = new FakeCall(Date.now() + 1_000);
    call.cancelled = true;
    const { scope, close } = openServerScope(call, 'Reserve', options);
    expect(scope.deadline.signal.aborted).toBe(true);
    close();
  });
});
