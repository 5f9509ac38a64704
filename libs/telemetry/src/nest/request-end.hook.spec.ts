import type { RequestEndEvent, StreamRecord } from '@lib/deadline';
import { Telemetry } from '../otel/telemetry.js';
import { attributesOf, requestEndHook } from './request-end.hook.js';

const event = (overrides: Partial<RequestEndEvent> = {}): RequestEndEvent => ({
  service: 'gateway',
  method: 'POST /orders',
  receivedBudgetMs: 1000,
  spentMs: 250.04,
  forwardedBudgetMs: 980,
  outcome: 'ok',
  hop: 0,
  remainingMs: 749.96,
  aborted: false,
  ...overrides,
});

describe(requestEndHook.name, () => {
  const setup = (keepRecent: boolean) => {
    const telemetry = new Telemetry('gateway', { processMetrics: false });
    const lines: [string, Record<string, unknown>][] = [];
    const sut = requestEndHook({
      telemetry,
      reserveMs: 10,
      keepRecent,
      log: (level, line) => lines.push([level, line]),
    });
    return { telemetry, lines, sut };
  };

  it('keeps a stream’s first-message time, messages and end with the request, not on its log line', () => {
    const { telemetry, lines, sut } = setup(true);
    sut(event({ method: 'GET /orders/:id/events', stream }));
    expect(telemetry.recent.list()[0].stream).toEqual({
      firstMessageMs: 12.5,
      messages: 3,
      end: 'deadline_exceeded',
    });
    expect(lines[0][1].stream).toBeUndefined();
  });

  it('keeps an edge request with every hop in the recent-request buffer', () => {
    const { telemetry, sut } = setup(true);
    const hops = [
      event(),
      { ...event(), service: 'auth', method: 'VerifyToken' },
    ];
    sut(event({ hops, outcome: 'deadline_exceeded', reason: 'too slow' }));
    expect(telemetry.recent.list()).toEqual([
      expect.objectContaining({
        method: 'POST /orders',
        outcome: 'deadline_exceeded',
        reason: 'too slow',
        budgetMs: 1000,
        hops,
      }),
    ]);
  });

  it('keeps the replica that served an edge request with no chain, and writes it on the log line', () => {
    const { telemetry, lines, sut } = setup(true);
    sut(event({ replica: 'edge-1:3000' }));
    expect(telemetry.recent.list()[0].hops).toEqual([
      expect.objectContaining({ service: 'gateway', replica: 'edge-1:3000' }),
    ]);
    expect(lines[0][1].replica).toBe('edge-1:3000');
  });

  it("does not keep metrics scrapes, health probes or the tracer's own requests", () => {
    const { telemetry, sut } = setup(true);
    for (const method of [
      'GET /metrics',
      'GET /health',
      'GET /_tracer/requests',
    ])
      sut(event({ method }));
    expect(telemetry.recent.list()).toEqual([]);
  });

  it('keeps nothing in a tier that is not the edge', () => {
    const { telemetry, sut } = setup(false);
    sut(event({ service: 'order', method: 'PlaceOrder', hop: 1 }));
    expect(telemetry.recent.list()).toEqual([]);
  });

  it('writes one "request ended" line without the hop table, warning when the request failed', () => {
    const { lines, sut } = setup(true);
    sut(event({ hops: [event()] }));
    sut(event({ outcome: 'cancelled' }));
    expect(lines[0]).toEqual([
      'log',
      expect.objectContaining({
        msg: 'request ended',
        method: 'POST /orders',
        spentMs: 250,
        remainingMs: 750,
        outcome: 'ok',
      }),
    ]);
    expect(lines[0][1]).not.toHaveProperty('hops');
    expect(lines[1][0]).toBe('warn');
  });

  it("counts the request in the tier's metrics", async () => {
    const { telemetry, sut } = setup(false);
    sut(event({ outcome: 'deadline_exceeded' }));
    expect((await telemetry.metrics.render()).body).toContain(
      'deadline_exceeded_total{method="POST /orders",tier="gateway"} 1',
    );
  });
});

const stream: StreamRecord = {
  service: 'gateway',
  method: 'GET /orders/:id/events',
  kind: 'server',
  side: 'server',
  budgetMs: 60_000,
  firstMessageMs: 12.5,
  messages: 3,
  durationMs: 60_000,
  end: 'deadline_exceeded',
};

describe(attributesOf.name, () => {
  it('adds a stream’s kind, time to first message, messages and end', () => {
    expect(attributesOf(event({ stream }), 10)).toMatchObject({
      'deadline.stream.kind': 'server',
      'deadline.stream.first_message_ms': 12.5,
      'deadline.stream.messages': 3,
      'deadline.stream.end': 'deadline_exceeded',
    });
    expect(attributesOf(event(), 10)['deadline.stream.kind']).toBeUndefined();
  });

  it('names the budget received, forwarded, left, the reserve, the decay and the outcome', () => {
    expect(attributesOf(event(), 10)).toEqual({
      'deadline.hop': 0,
      'deadline.spent_ms': 250.04,
      'deadline.remaining.end_ms': 750,
      'deadline.reserve_ms': 10,
      'deadline.outcome': 'ok',
      'deadline.budget.received_ms': 1000,
      'deadline.remaining.start_ms': 1000,
      'deadline.budget.forwarded_ms': 980,
      'deadline.decay_pct': 2,
    });
  });

  it('sets error.type and marks a request that arrived with no deadline', () => {
    const attributes = attributesOf(
      event({
        receivedBudgetMs: null,
        forwardedBudgetMs: null,
        outcome: 'deadline_exceeded',
      }),
      5,
    );
    expect(attributes).toMatchObject({
      'deadline.missing': true,
      'error.type': 'deadline_exceeded',
    });
    expect(attributes['deadline.budget.received_ms']).toBeUndefined();
  });
});
