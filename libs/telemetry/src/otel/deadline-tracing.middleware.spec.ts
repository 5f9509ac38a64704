import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { OutgoingCall } from '@lib/deadline';
import { deadlineTracing, isBreakerOpen } from './deadline-tracing.middleware';
import { OUTGOING_CALL, type OutgoingCallInfo } from './outgoing-call.context';
import { DeadlineSpanProcessor } from './deadline-span.processor';
import { Telemetry } from './telemetry';

const outgoing = (): OutgoingCall =>
  ({ service: 'payment', method: 'Charge', request: {}, metadata: { get: () => ['2'] }, budgetMs: 100, signal: new AbortController().signal, recordHops: () => undefined }) as unknown as OutgoingCall;

describe(deadlineTracing.name, () => {
  beforeAll(() => context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable()));
  afterAll(() => {
    context.disable();
    trace.disable();
    propagation.disable();
  });

  const tracing = new Telemetry('order', { processMetrics: false }, new DeadlineSpanProcessor());

  it('hands the call\'s budget, hop and the caller\'s time left to whatever runs inside it', async () => {
    let seen: OutgoingCallInfo | undefined;
    const invoke = deadlineTracing({ remainingMs: () => 120, reserveMs: 10, telemetry: tracing })(async () => {
      seen = context.active().getValue(OUTGOING_CALL) as OutgoingCallInfo;
      return 'reply';
    });
    await expect(invoke(outgoing())).resolves.toBe('reply');
    expect(seen).toMatchObject({ downstream: 'payment', method: 'Charge', hop: 2, budgetMs: 100, remainingStartMs: 120, reserveMs: 10 });
  });

  it('passes calls straight through when tracing is off', async () => {
    let seen: unknown = 'unset';
    const invoke = deadlineTracing({ remainingMs: () => 120, telemetry: new Telemetry('order', { processMetrics: false }) })(async () => {
      seen = context.active().getValue(OUTGOING_CALL);
      return 'reply';
    });
    await invoke(outgoing());
    expect(seen).toBeUndefined();
    expect(context.active()).toBe(ROOT_CONTEXT);
  });

  it('passes the downstream\'s failure through unchanged', async () => {
    const failure = new Error('down');
    const invoke = deadlineTracing({ remainingMs: () => 50, telemetry: tracing })(() => Promise.reject(failure));
    await expect(invoke(outgoing())).rejects.toBe(failure);
  });
});

describe(isBreakerOpen.name, () => {
  it.each([
    [{ tag: 'BreakerOpenError' }, true],
    [{ name: 'BrokenCircuitError' }, true],
    [{ tag: 'DeadlineExceededError' }, false],
    [undefined, false],
  ])('says %j is a breaker refusal: %s', (error, expected) => {
    expect(isBreakerOpen(error)).toBe(expected);
  });
});
