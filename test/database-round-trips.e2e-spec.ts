import { Stack } from '../tools/stack/index.js';
import { eventually } from './support/grpc-clients.js';
import { issueToken } from './support/tokens.js';

// What an order costs the databases, counted by the data tiers themselves (GET /health →
// details.database.roundTrips): every message that waited for PostgreSQL's answer. Single
// statements run on their own (no BEGIN/COMMIT around each), Reserve and Commit are one statement
// each, payment records a charge without looking it up first, so a placed order, its saga's follow-up included, stays within 8.
const ORDERS = 10;
const MAX_ROUND_TRIPS_PER_ORDER = 8;
const DATA_TIERS = ['order', 'inventory', 'payment'] as const;

describe('database round trips per order (real PostgreSQL)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({
      // The sweepers query on their own timers: keep them out of the count.
      env: {
        INVENTORY_SWEEP_INTERVAL_MS: '600000',
        ORDER_RECOVERY_INTERVAL_MS: '600000',
      },
    });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const roundTrips = async (): Promise<Record<string, number>> =>
    Object.fromEntries(
      await Promise.all(
        DATA_TIERS.map(async (tier) => {
          const health = (await (
            await fetch(`${stack.adminUrl(tier)}/health`)
          ).json()) as { details: { database: { roundTrips: number } } };
          return [tier, health.details.database.roundTrips] as const;
        }),
      ),
    );

  it(`places ${ORDERS} orders, follow-ups included, in at most ${MAX_ROUND_TRIPS_PER_ORDER} round trips each`, async () => {
    const token = issueToken();
    const order = stack.tier('order');
    const settledBefore = order.events.filter(
      (e) => e.msg === 'reservation settled',
    ).length;
    const before = await roundTrips();
    for (let i = 0; i < ORDERS; i++) {
      const response = await fetch(`${stack.gatewayUrl}/orders`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
          'x-request-timeout': '5000',
        },
        body: JSON.stringify({ sku: 'espresso', quantity: 1 }),
      });
      expect(response.status).toBe(201);
    }
    // The saga's follow-up (commit, then settled) runs after each answer.
    await eventually(() =>
      expect(
        order.events.filter((e) => e.msg === 'reservation settled').length -
          settledBefore,
      ).toBe(ORDERS),
    );
    const after = await roundTrips();
    const perTier = Object.fromEntries(
      DATA_TIERS.map((tier) => [tier, (after[tier] - before[tier]) / ORDERS]),
    );
    // order: record, confirm, mark settled; inventory: reserve, commit; payment: insert.
    expect(perTier).toEqual({ order: 3, inventory: 2, payment: 1 });
    expect(
      Object.values(perTier).reduce((a, b) => a + b, 0),
    ).toBeLessThanOrEqual(MAX_ROUND_TRIPS_PER_ORDER);
  }, 60_000);
});
