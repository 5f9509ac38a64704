import { Stack } from '../tools/stack/index.js';
import { eventually } from './support/grpc-clients.js';
import { sample } from './support/prometheus.js';
import { issueToken } from './support/tokens.js';

vi.setConfig({ testTimeout: 30_000 });

describe('breaker and chaos metrics (GET /metrics)', () => {
  let stack: Stack;
  let token: string;

  const metricsOf = async (url: string): Promise<string> =>
    (await fetch(`${url}/metrics`)).text();
  const order = async (): Promise<number> => {
    const response = await fetch(`${stack.gatewayUrl}/orders`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'x-request-timeout': '2000',
      },
      body: JSON.stringify({ sku: 'espresso', quantity: 1 }),
    });
    await response.arrayBuffer();
    return response.status;
  };

  beforeAll(async () => {
    stack = await Stack.start({
      tierEnv: {
        payment: { CHAOS_ENABLED: 'true' },
        // A per-attempt timeout on payment: its expiry is the breaker's own evidence (a caller's expired budget is not).
        // One breaker per method on payment: the metrics must follow those, not an unused downstream-wide one.
        order: {
          BREAKER_MIN_CALLS: '2',
          BREAKER_FAILURE_RATIO_PCT: '50',
          BREAKER_OPEN_MS: '60000',
          RESILIENCE_OVERRIDES:
            'payment.attemptTimeoutMs=150,payment.slowCallMs=100,payment.perMethod=true',
        },
      },
    });
    token = issueToken();
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it("shows each downstream's breaker closed at start", async () => {
    const text = await metricsOf(stack.adminUrl('order'));
    expect(
      sample(text, 'breaker_state', { tier: 'order', downstream: 'payment' }),
    ).toBe(0);
    expect(
      sample(text, 'breaker_state', { tier: 'order', downstream: 'inventory' }),
    ).toBe(0);
    expect(
      sample(await metricsOf(stack.gatewayUrl), 'breaker_state', {
        tier: 'gateway',
        downstream: 'order',
      }),
    ).toBe(0);
  });

  it('counts the active chaos faults, and the breaker transition they cause', async () => {
    const added = await fetch(`${stack.adminUrl('payment')}/chaos/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // Payment too slow for the budget: the timeouts are what a breaker counts.
      body: JSON.stringify({
        kind: 'delay',
        method: 'Charge',
        percent: 100,
        delayMs: 2_000,
      }),
    });
    expect(added.status).toBe(201);
    expect(
      sample(
        await metricsOf(stack.adminUrl('payment')),
        'chaos_faults_active',
        { tier: 'payment' },
      ),
    ).toBe(1);

    await eventually(async () => {
      await order();
      const text = await metricsOf(stack.adminUrl('order'));
      expect(
        sample(text, 'breaker_state', { tier: 'order', downstream: 'payment' }),
      ).toBe(2);
      expect(
        sample(text, 'breaker_transitions_total', {
          tier: 'order',
          downstream: 'payment',
          from: 'closed',
          to: 'open',
        }),
      ).toBe(1);
    });
    // Open: the next order is refused at once.
    expect(await order()).toBe(503);

    expect(
      (
        await fetch(`${stack.adminUrl('payment')}/chaos/faults`, {
          method: 'DELETE',
        })
      ).status,
    ).toBe(200);
    expect(
      sample(
        await metricsOf(stack.adminUrl('payment')),
        'chaos_faults_active',
        { tier: 'payment' },
      ),
    ).toBe(0);
  });
});
