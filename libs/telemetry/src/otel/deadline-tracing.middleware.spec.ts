import type { OutgoingCall } from '@lib/deadline';
import { deadlineTracing, isBreakerOpen } from './deadline-tracing.middleware';
import { Telemetry } from './telemetry';

const outgoing = (): OutgoingCall =>
  ({ service: 'payment', method: 'Charge', request: {}, metadata: { get: () => ['2'] }, budgetMs: 100, signal: new AbortController().signal, recordHops: () => undefined }) as unknown as OutgoingCall;

describe(deadlineTracing.name, () => {
  const missing = async (t: Telemetry): Promise<string> => (await t.metrics.render()).body;

  it('counts a call made with no deadline in scope', async () => {
    const t = new Telemetry('order', { processMetrics: false });
    const invoke = deadlineTracing({ remainingMs: () => undefined, telemetry: t })(async () => 'reply');
    await expect(invoke(outgoing())).resolves.toBe('reply');
    expect(await missing(t)).toContain('deadline_missing_total{downstream="payment",method="Charge",tier="order"} 1');
  });

  it('does not count a call made with a deadline', async () => {
    const t = new Telemetry('order', { processMetrics: false });
    await deadlineTracing({ remainingMs: () => 50, telemetry: t })(async () => 'reply')(outgoing());
    expect(await missing(t)).not.toContain('deadline_missing_total{');
  });

  it('passes the downstream\'s failure through unchanged', async () => {
    const failure = new Error('down');
    const invoke = deadlineTracing({ remainingMs: () => 50, telemetry: new Telemetry('order', { processMetrics: false }) })(() => Promise.reject(failure));
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
