import { Stack } from '../tools/stack/index.js';
import { issueToken } from './support/tokens.js';

// RESILIENCE_MODE=naive, the benchmark's baseline: the same tiers with no propagation. The edge
// still answers at the client's budget, but every hop below uses a fixed timeout and nothing is
// cancelled, so a slow inventory keeps working for a caller that has gone: the orphaned work
// the deadline modes exist to prevent.
describe('RESILIENCE_MODE=naive', () => {
  let stack: Stack;
  let token: string;

  beforeAll(async () => {
    stack = await Stack.start({
      env: { RESILIENCE_MODE: 'naive', NAIVE_TIMEOUT_MS: '2500' },
      tierEnv: { inventory: { CHAOS_ENABLED: 'true' } },
    });
    token = issueToken();
  }, 90_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('forwards a fixed timeout instead of the budget, and lets held work outlive the request', async () => {
    const fault = await fetch(`${stack.adminUrl('inventory')}/chaos/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        kind: 'delay',
        method: 'Reserve',
        delayMs: 1_500,
      }),
    });
    expect(fault.status).toBe(201);

    const response = await fetch(`${stack.gatewayUrl}/orders`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        'x-request-timeout': '400',
      },
      body: JSON.stringify({ sku: 'espresso', quantity: 1 }),
    });
    expect(response.status).toBe(504);

    // Order gave inventory the fixed 2500 ms (grpc-timeout on the wire), not what was left of the client's 400 ms.
    const reserve = await stack
      .tier('inventory')
      .requestEnded({ method: 'Reserve' }, 10_000);
    expect(reserve.receivedBudgetMs).toBeGreaterThan(2_000);
    expect(reserve.receivedBudgetMs).toBeLessThanOrEqual(2_500);
    // The delay ran in full although the client had its 504 long before.
    const held = await stack
      .tier('inventory')
      .waitFor((e) => e.msg === 'chaos call ended', 10_000);
    expect(held.heldMs).toBeGreaterThanOrEqual(1_450);
  });
});
