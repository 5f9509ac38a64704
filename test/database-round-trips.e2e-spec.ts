import { Client } from 'pg';
import { Stack } from '../tools/stack/index.js';
import { eventually } from './support/grpc-clients.js';
import { placeOrder } from './support/orders.js';
import { issueToken } from './support/tokens.js';

// What an order costs the databases, counted by the data tiers themselves (GET /health →
// details.database.roundTrips): every message that waited for PostgreSQL's answer. Single
// statements run on their own (no BEGIN/COMMIT around each), Reserve and Commit are one statement
// each, payment records a charge without looking it up first, and the saga's follow-up writes of one
// window (inventory's Commits, order's settled marks) share one statement each, so a placed order,
// its follow-up included, stays within 6.
const MAX_ROUND_TRIPS_PER_ORDER = 6;
const DATA_TIERS = ['order', 'inventory', 'payment'] as const;
/** Wide, so that orders placed at once share a window even on a slow machine. */
const SETTLE_BATCH_MS = 200;

describe('database round trips per order (real PostgreSQL)', () => {
  let stack: Stack;
  const token = issueToken();

  beforeAll(async () => {
    stack = await Stack.start({
      env: {
        // The sweepers query on their own timers: keep them out of the count.
        INVENTORY_SWEEP_INTERVAL_MS: '600000',
        ORDER_RECOVERY_INTERVAL_MS: '600000',
        ORDER_SETTLE_BATCH_MS: String(SETTLE_BATCH_MS),
        INVENTORY_COMMIT_BATCH_MS: String(SETTLE_BATCH_MS),
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

  /** Orders whose settled mark has not committed yet (read on a connection of the test's own). */
  const unsettledOrders = async (): Promise<number> => {
    const db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM orders.orders WHERE NOT settled',
      );
      return rows[0].n;
    } finally {
      await db.end();
    }
  };

  const placeOne = async (): Promise<void> => {
    const answer = await placeOrder(stack.gatewayUrl, token, {
      budgetMs: 5_000,
      sku: 'espresso',
    });
    expect(answer.status).toBe(201);
  };

  /** Round trips per order per data tier, for `place` placing `orders` orders, their follow-ups included. */
  const perOrder = async (
    orders: number,
    place: () => Promise<void>,
  ): Promise<Record<string, number>> => {
    const order = stack.tier('order');
    const settled = () =>
      order.events.filter((e) => e.msg === 'reservation settled').length;
    const settledBefore = settled();
    const before = await roundTrips();
    await place();
    // The saga's follow-up (commit, then the settled mark) runs after each answer.
    await eventually(() => expect(settled() - settledBefore).toBe(orders));
    // The last marks land after their batch's window: every order settled in the database.
    await eventually(async () => expect(await unsettledOrders()).toBe(0));
    const after = await roundTrips();
    return Object.fromEntries(
      DATA_TIERS.map((tier) => [tier, (after[tier] - before[tier]) / orders]),
    );
  };

  it(`places orders one at a time, follow-ups included, in at most ${MAX_ROUND_TRIPS_PER_ORDER} round trips each`, async () => {
    const orders = 10;
    const perTier = await perOrder(orders, async () => {
      for (let i = 0; i < orders; i++) await placeOne();
    });
    // order: record, confirm, its share of a settled mark; inventory: reserve, its share of a commit;
    // payment: insert.
    expect(perTier.inventory).toBeGreaterThan(1);
    expect(perTier.inventory).toBeLessThanOrEqual(2);
    expect(perTier.payment).toBe(1);
    expect(perTier.order).toBeGreaterThan(2);
    expect(perTier.order).toBeLessThanOrEqual(3);
    expect(
      Object.values(perTier).reduce((a, b) => a + b, 0),
    ).toBeLessThanOrEqual(MAX_ROUND_TRIPS_PER_ORDER);
  }, 60_000);

  it('writes the follow-ups of orders placed at once in shared statements', async () => {
    const orders = 20;
    const perTier = await perOrder(orders, async () => {
      await Promise.all(Array.from({ length: orders }, () => placeOne()));
    });
    expect(perTier.payment).toBe(1);
    // Statements of its own per order (order 2, inventory 1), and at most one shared write for every two orders.
    expect(perTier.order).toBeLessThanOrEqual(2.5);
    expect(perTier.inventory).toBeLessThanOrEqual(1.5);
  }, 60_000);
});
