import { OtlpReceiver } from '../tools/otlp/index.js';
import { Stack } from '../tools/stack/index.js';
import { eventually } from './support/grpc-clients.js';
import { issueToken } from './support/tokens.js';
import { callerTrace } from './support/trace-context.js';

/** One span as received over OTLP/HTTP (JSON), flattened for assertions. */
interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}
vi.setConfig({ testTimeout: 30_000 });
const SERVER = 2;
const CLIENT = 3;
const PAYMENT_LATENCY_MS = 400;

type OtlpValue = {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
};
type OtlpAttribute = { key: string; value: OtlpValue };
type OtlpExport = {
  resourceSpans: {
    resource: { attributes: OtlpAttribute[] };
    scopeSpans: {
      spans: (Omit<ReceivedSpan, 'attributes' | 'service'> & {
        attributes?: OtlpAttribute[];
      })[];
    }[];
  }[];
};

const valueOf = (v: OtlpValue): unknown =>
  v.stringValue ??
  (v.intValue !== undefined
    ? Number(v.intValue)
    : (v.doubleValue ?? v.boolValue));
const attributesOf = (list: OtlpAttribute[] = []): Record<string, unknown> =>
  Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));

/** Collects the spans of each export (JSON encoding), flattened for assertions. */
function collectInto(spans: ReceivedSpan[]): (body: string) => void {
  return (body) => {
    for (const resource of (JSON.parse(body) as OtlpExport).resourceSpans) {
      const service = String(
        attributesOf(resource.resource.attributes)['service.name'],
      );
      for (const scope of resource.scopeSpans) {
        for (const span of scope.spans)
          spans.push({
            ...span,
            service,
            parentSpanId: span.parentSpanId ?? '',
            attributes: attributesOf(span.attributes),
          });
      }
    }
  };
}

describe('OpenTelemetry across the five tiers (OTLP/HTTP export)', () => {
  let stack: Stack;
  let receiver: OtlpReceiver;
  const received: ReceivedSpan[] = [];
  let token: string;

  const order = (
    budgetMs: number,
    headers: Record<string, string> = {},
  ): Promise<Response> =>
    fetch(`${stack.gatewayUrl}/orders`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'x-request-timeout': String(budgetMs),
        ...headers,
      },
      body: JSON.stringify({ sku: 'espresso', quantity: 1 }),
    });
  const spansOf = (traceId: string): ReceivedSpan[] =>
    received.filter((s) => s.traceId === traceId);

  beforeAll(async () => {
    receiver = await OtlpReceiver.start(collectInto(received));
    stack = await Stack.start({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
      tierEnv: {
        payment: { PAYMENT_PROVIDER_LATENCY_MS: String(PAYMENT_LATENCY_MS) },
      },
    });
    token = issueToken();
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await receiver?.stop();
  });

  it("continues the caller's W3C trace through all five tiers", async () => {
    const { traceId, parentSpanId, traceparent } = callerTrace();
    const response = await order(3_000, { traceparent });
    expect(response.status).toBe(201);
    const spans = await eventually(() => {
      const found = spansOf(traceId).filter((s) => s.kind === SERVER);
      expect(new Set(found.map((s) => s.service))).toEqual(
        new Set(['gateway', 'auth', 'order', 'inventory', 'payment']),
      );
      return spansOf(traceId);
    });
    const gateway = spans.find(
      (s) => s.service === 'gateway' && s.kind === SERVER,
    )!;
    expect(gateway.parentSpanId).toBe(parentSpanId);
  });

  it("puts the deadline on every server span, and the gateway's log line names the same trace", async () => {
    const response = await order(2_000);
    expect(response.status).toBe(201);
    const line = await stack
      .tier('gateway')
      .requestEnded({ method: 'POST /orders', receivedBudgetMs: 2000 });
    expect(line.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(line.spanId).toMatch(/^[0-9a-f]{16}$/);
    const servers = await eventually(() => {
      const found = spansOf(line.traceId as string).filter(
        (s) =>
          s.kind === SERVER &&
          s.attributes['deadline.outcome'] !== undefined &&
          !/Commit|Release/.test(s.name),
      );
      expect(found.map((s) => s.service).sort()).toEqual([
        'auth',
        'gateway',
        'inventory',
        'order',
        'payment',
      ]);
      return found;
    });
    const edge = servers.find((s) => s.service === 'gateway')!;
    expect(edge.spanId).toBe(line.spanId);
    expect(edge.attributes).toMatchObject({
      'deadline.budget.received_ms': 2000,
      'deadline.remaining.start_ms': 2000,
      'deadline.hop': 0,
      'deadline.outcome': 'ok',
      'http.route': '/orders',
    });
    for (const span of servers) {
      for (const key of [
        'deadline.budget.received_ms',
        'deadline.remaining.end_ms',
        'deadline.reserve_ms',
        'deadline.decay_pct',
        'deadline.spent_ms',
      ])
        expect(span.attributes[key]).toEqual(expect.any(Number));
    }
    // Each tier saw strictly less than its caller.
    const received = (service: string): number =>
      servers.find((s) => s.service === service)!.attributes[
        'deadline.budget.received_ms'
      ] as number;
    expect(received('order')).toBeLessThan(received('gateway'));
    expect(received('payment')).toBeLessThan(received('order'));
    expect(
      servers.find((s) => s.service === 'order')!.attributes['rpc.system'],
    ).toBe('grpc');
  });

  it('puts the budget forwarded and the time left on the gRPC client spans', async () => {
    const response = await order(2_500);
    expect(response.status).toBe(201);
    const line = await stack
      .tier('order')
      .waitFor(
        (e) =>
          e.msg === 'request ended' &&
          e.method === 'PlaceOrder' &&
          (e.receivedBudgetMs as number) < 2_500 &&
          (e.receivedBudgetMs as number) > 2_000,
      );
    // Each tier exports on its own schedule: wait for both ends of the Charge call.
    const [charge, server] = await eventually(() => {
      const trace = spansOf(line.traceId as string);
      const client = trace.find(
        (s) =>
          s.service === 'order' &&
          s.kind === CLIENT &&
          s.attributes['rpc.method'] === 'Charge',
      );
      const callee = trace.find(
        (s) =>
          s.service === 'payment' &&
          s.kind === SERVER &&
          s.attributes['rpc.method'] === 'Charge',
      );
      expect(client).toBeDefined();
      expect(callee).toBeDefined();
      return [client!, callee!];
    });
    const forwarded = charge.attributes[
      'deadline.budget.forwarded_ms'
    ] as number;
    const startLeft = charge.attributes[
      'deadline.remaining.start_ms'
    ] as number;
    expect(charge.attributes).toMatchObject({
      'rpc.service': 'payment.v1.PaymentService',
      'deadline.outcome': 'ok',
      'deadline.hop': 2,
    });
    // The forwarded budget keeps the reserve back from what the caller had (read a moment later, so
    // the gap can only shrink, by however long that moment was on a busy machine).
    expect(startLeft - forwarded).toBeLessThanOrEqual(
      (charge.attributes['deadline.reserve_ms'] as number) + 0.5,
    );
    expect(startLeft - forwarded).toBeGreaterThan(-100);
    expect(
      charge.attributes['deadline.remaining.end_ms'] as number,
    ).toBeLessThan(startLeft - PAYMENT_LATENCY_MS / 2);
    // The callee's server span is the client span's child: context crossed the gRPC hop.
    expect(server.parentSpanId).toBe(charge.spanId);
  });

  it('marks the spans of a request whose deadline passed', async () => {
    const response = await order(250);
    expect(response.status).toBe(504);
    const line = await stack
      .tier('gateway')
      .requestEnded({ receivedBudgetMs: 250 });
    const spans = await eventually(() => {
      const found = spansOf(line.traceId as string);
      expect(
        found
          .filter(
            (s) => s.attributes['deadline.outcome'] === 'deadline_exceeded',
          )
          .map((s) => `${s.service}/${s.kind}`),
      ).toEqual(expect.arrayContaining(['gateway/2', 'gateway/3']));
      for (const [service, method] of [
        ['order', 'PlaceOrder'],
        ['payment', 'Charge'],
      ])
        expect(
          found.find(
            (s) =>
              s.service === service &&
              s.kind === SERVER &&
              s.attributes['rpc.method'] === method,
          ),
        ).toBeDefined();
      return found;
    });
    const edge = spans.find(
      (s) => s.service === 'gateway' && s.kind === SERVER,
    )!;
    expect(edge.attributes).toMatchObject({
      'error.type': 'deadline_exceeded',
      'deadline.budget.received_ms': 250,
    });
    // A hop's own deadline and its caller's cancel race by a few ms; either way it ran out of time.
    const placed = spans.find(
      (s) =>
        s.service === 'order' &&
        s.kind === SERVER &&
        s.attributes['rpc.method'] === 'PlaceOrder',
    )!;
    expect(['deadline_exceeded', 'cancelled']).toContain(
      placed.attributes['deadline.outcome'],
    );
    const payment = spans.find(
      (s) =>
        s.service === 'payment' &&
        s.kind === SERVER &&
        s.attributes['rpc.method'] === 'Charge',
    )!;
    expect(['deadline_exceeded', 'cancelled']).toContain(
      payment.attributes['deadline.outcome'],
    );
    expect(payment.attributes).toMatchObject({
      'deadline.remaining.end_ms': 0,
      'deadline.hop': 2,
      'deadline.budget.received_ms': expect.any(Number),
    });
    expect(receiver.contentTypes).toEqual(new Set(['application/json']));
  });
});
