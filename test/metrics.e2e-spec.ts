import { type GrpcTierName, Stack } from '../tools/stack/index.js';
import { eventually } from './support/grpc-clients.js';
import { sample } from './support/prometheus.js';
import { issueToken } from './support/tokens.js';
import { callerTrace } from './support/trace-context.js';

const PAYMENT_LATENCY_MS = 400;
const GRPC_TIERS: readonly GrpcTierName[] = [
  'auth',
  'order',
  'inventory',
  'payment',
];

describe('GET /metrics on every tier (Prometheus)', () => {
  let stack: Stack;
  let token: string;

  const order = (
    budgetMs: number,
    signal?: AbortSignal,
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
      signal,
    });
  const metricsOf = async (url: string): Promise<string> => {
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    return response.text();
  };

  beforeAll(async () => {
    stack = await Stack.start({
      tierEnv: {
        payment: { PAYMENT_PROVIDER_LATENCY_MS: String(PAYMENT_LATENCY_MS) },
      },
    });
    token = issueToken();
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it("answers in the Prometheus text format on the gateway and on each gRPC tier's admin port", async () => {
    const urls = [
      stack.gatewayUrl,
      ...GRPC_TIERS.map((t) => stack.adminUrl(t)),
    ];
    for (const url of urls) {
      const response = await fetch(`${url}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(
        'text/plain; version=0.0.4; charset=utf-8',
      );
      const text = await response.text();
      for (const name of [
        'deadline_remaining_on_arrival_ms',
        'deadline_exceeded_total',
        'deadline_cancelled_total',
        'deadline_missing_total',
        'breaker_state',
        'breaker_transitions_total',
        'chaos_faults_active',
      ]) {
        expect(text).toContain(`# HELP ${name} `);
      }
    }
    expect(
      sample(
        await metricsOf(stack.adminUrl('payment')),
        'chaos_faults_active',
        { tier: 'payment' },
      ),
    ).toBe(0);
  });

  it('records the budget each tier had left on arrival, per method', async () => {
    expect((await order(2_000)).status).toBe(201);
    const gateway = await eventually(async () => {
      const text = await metricsOf(stack.gatewayUrl);
      expect(
        sample(text, 'deadline_requests_total', {
          tier: 'gateway',
          method: 'POST /orders',
          outcome: 'ok',
        }),
      ).toBe(1);
      return text;
    });
    expect(
      sample(gateway, 'deadline_remaining_on_arrival_ms_sum', {
        tier: 'gateway',
        method: 'POST /orders',
      }),
    ).toBe(2000);
    expect(
      sample(gateway, 'deadline_remaining_on_arrival_ms_bucket', {
        tier: 'gateway',
        method: 'POST /orders',
        le: '1000',
      }),
    ).toBe(0);
    expect(
      sample(gateway, 'deadline_remaining_on_arrival_ms_bucket', {
        tier: 'gateway',
        method: 'POST /orders',
        le: '2500',
      }),
    ).toBe(1);
    const payment = await metricsOf(stack.adminUrl('payment'));
    const arrived = sample(payment, 'deadline_remaining_on_arrival_ms_sum', {
      tier: 'payment',
      method: 'Charge',
    })!;
    expect(arrived).toBeGreaterThan(0);
    expect(arrived).toBeLessThan(2000);
    expect(
      sample(payment, 'deadline_remaining_on_arrival_ms_count', {
        tier: 'payment',
        method: 'Charge',
      }),
    ).toBe(1);
  });

  it('counts a deadline exceeded at the edge and in the tiers it hit', async () => {
    expect((await order(250)).status).toBe(504);
    await eventually(async () => {
      expect(
        sample(await metricsOf(stack.gatewayUrl), 'deadline_exceeded_total', {
          tier: 'gateway',
          method: 'POST /orders',
        }),
      ).toBe(1);
      // Order's own deadline and the gateway's cancel race by a few ms: it counts one or the other.
      const text = await metricsOf(stack.adminUrl('order'));
      const ranOut = [
        'deadline_exceeded_total',
        'deadline_cancelled_total',
      ].map(
        (name) =>
          sample(text, name, { tier: 'order', method: 'PlaceOrder' }) ?? 0,
      );
      expect(ranOut[0] + ranOut[1]).toBe(1);
    });
    expect(
      sample(
        await metricsOf(stack.adminUrl('auth')),
        'deadline_exceeded_total',
        { tier: 'auth', method: 'VerifyToken' },
      ),
    ).toBeUndefined();
  });

  it('counts a request cancelled when the client hangs up', async () => {
    const reserved = (): Promise<number | undefined> =>
      metricsOf(stack.adminUrl('inventory')).then((text) =>
        sample(text, 'deadline_remaining_on_arrival_ms_count', {
          tier: 'inventory',
          method: 'Reserve',
        }),
      );
    const before = (await reserved()) ?? 0;
    const controller = new AbortController();
    const { traceId, traceparent } = callerTrace();
    const pending = order(5_000, controller.signal, { traceparent }).catch(
      (error: unknown) => error,
    );
    // Hang up once stock is reserved, while payment (slowed to 400 ms) is working on it.
    await eventually(async () => expect(await reserved()).toBe(before + 1));
    controller.abort();
    expect(await pending).toMatchObject({ name: 'AbortError' });
    await eventually(async () => {
      expect(
        sample(await metricsOf(stack.gatewayUrl), 'deadline_cancelled_total', {
          tier: 'gateway',
          method: 'POST /orders',
        }),
      ).toBe(1);
    });
    // The hang-up is seen on a socket, outside the request's async context: its log lines still name the trace.
    expect(await stack.tier('gateway').requestEnded({ traceId })).toMatchObject(
      { outcome: 'cancelled' },
    );
    expect(
      await stack.tier('order').requestEnded({ method: 'PlaceOrder', traceId }),
    ).toMatchObject({ outcome: 'cancelled' });
  });

  it('keeps the trace id on every log line of a request that ran out of time (no spans: the default)', async () => {
    const { traceId, parentSpanId, traceparent } = callerTrace();
    // Enough for the first four tiers even on a busy machine, too little for payment's 400 ms.
    const response = await order(350, undefined, { traceparent });
    expect(response.status).toBe(504);
    // The gateway answers from its deadline's timer; payment (slowed to 400 ms) runs out of its own.
    const edge = await stack.tier('gateway').requestEnded({ traceId });
    expect(edge).toMatchObject({
      outcome: 'deadline_exceeded',
      spanId: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(edge.spanId).not.toBe(parentSpanId);
    const payment = await stack.tier('payment').requestEnded({ traceId });
    expect(['deadline_exceeded', 'cancelled']).toContain(payment.outcome);
  });
});
