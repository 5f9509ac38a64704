import {
  configureLostDeadlineGuard,
  type LostDeadline,
  LostDeadlineError,
  lostDeadlineCount,
  onLostDeadline,
  reportLostDeadline,
} from './lost-deadline.js';

describe(reportLostDeadline.name, () => {
  const logged: string[] = [];
  beforeEach(() => {
    logged.length = 0;
    configureLostDeadlineGuard({
      strict: false,
      log: (message) => logged.push(message),
    });
  });
  afterAll(() =>
    configureLostDeadlineGuard({
      strict: false,
      log: (message) =>
        process.emitWarning(message, {
          type: 'DeadlineLostWarning',
          code: 'DEADLINE_LOST',
        }),
    }),
  );

  it('logs the lost deadline with the call site outside the library', () => {
    reportLostDeadline('grpc', 'inventory.Reserve');
    expect(logged).toEqual([
      expect.stringMatching(
        /^gRPC call inventory\.Reserve made with no deadline in scope at .*lost-deadline\.spec\.ts:\d+:\d+$/,
      ),
    ]);
  });

  it('counts every report', () => {
    const before = lostDeadlineCount();
    reportLostDeadline('query', 'orders: SELECT 1');
    reportLostDeadline('query', 'orders: SELECT 1');
    expect(lostDeadlineCount()).toBe(before + 2);
  });

  it('tells listeners until they unsubscribe', () => {
    const seen: LostDeadline[] = [];
    const unsubscribe = onLostDeadline((lost) => seen.push(lost));
    reportLostDeadline('query', 'orders: SELECT 1');
    unsubscribe();
    reportLostDeadline('query', 'orders: SELECT 2');
    expect(seen).toEqual([
      {
        kind: 'query',
        target: 'orders: SELECT 1',
        callSite: expect.stringContaining('lost-deadline.spec.ts:'),
      },
    ]);
  });

  it('keeps going when a listener throws', () => {
    const unsubscribe = onLostDeadline(() => {
      throw new Error('broken metrics hook');
    });
    expect(() => reportLostDeadline('grpc', 'payment.Charge')).not.toThrow();
    unsubscribe();
  });

  it('throws a LostDeadlineError in strict mode, after logging and counting', () => {
    configureLostDeadlineGuard({ strict: true });
    const before = lostDeadlineCount();
    let thrown: unknown;
    try {
      reportLostDeadline('grpc', 'payment.Charge');
    } catch (error) {
      thrown = error;
    }
    expect(LostDeadlineError.is(thrown)).toBe(true);
    expect((thrown as Error).message).toMatch(
      /^gRPC call payment\.Charge made with no deadline in scope at /,
    );
    expect(logged).toHaveLength(1);
    expect(lostDeadlineCount()).toBe(before + 1);
  });
});
