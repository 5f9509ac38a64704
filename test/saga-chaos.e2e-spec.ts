import { Client } from 'pg';
import { Stack, type TierName } from '../tools/stack/index.js';
import { eventually } from './support/grpc-clients.js';
import { issueToken } from './support/tokens.js';

// Many concurrent orders with random budgets and random client hang-ups, while single tiers are
// killed (SIGKILL: no graceful shutdown) and restarted; then the invariants of the saga, read
// straight from the three tiers' tables in PostgreSQL.
/** At least this many orders, and more while the chaos lasts, up to MAX_ORDERS. */
const ORDERS = 160;
const MAX_ORDERS = 400;
const CONCURRENCY = 12;
const SEED_STOCK = 400;
const SKUS = ['espresso', 'latte'] as const;
const SWEEP_GRACE_MS = 3_000;

describe('saga under chaos (real processes, real PostgreSQL)', () => {
  let stack: Stack;
  let db: Client;

  beforeAll(async () => {
    stack = await Stack.start({
      env: {
        INVENTORY_SEED_STOCK: String(SEED_STOCK),
        PAYMENT_PROVIDER_LATENCY_MS: '60',
        INVENTORY_LATENCY_MS: '20',
        // Breakers would turn most of the load into fast 503s; this test is about the saga, not them.
        BREAKER_MIN_CALLS: '1000000',
        ORDER_SETTLE_BUDGET_MS: '1000',
        ORDER_RECOVERY_GRACE_MS: '500',
        ORDER_RECOVERY_INTERVAL_MS: '250',
        INVENTORY_SWEEP_GRACE_MS: String(SWEEP_GRACE_MS),
        INVENTORY_SWEEP_INTERVAL_MS: '250',
      },
    });
    db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
  }, 60_000);

  afterAll(async () => {
    await db?.end();
    await stack?.stop();
  });

  it('conserves stock, charges each confirmed order exactly once, confirms each charged one, and leaves no reservation behind', async () => {
    const token = issueToken();
    const random = seeded(7);
    const statuses = new Map<string, number>();
    let next = 0;

    const placeOne = async (): Promise<void> => {
      const budgetMs = 100 + Math.floor(random() * 2_400);
      const hangUpAfterMs =
        random() < 0.2 ? Math.floor(random() * budgetMs) : undefined;
      const controller = new AbortController();
      const timer =
        hangUpAfterMs === undefined
          ? undefined
          : setTimeout(() => controller.abort(), hangUpAfterMs);
      try {
        const response = await fetch(`${stack.gatewayUrl}/orders`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'x-request-timeout': String(budgetMs),
          },
          body: JSON.stringify({
            sku: SKUS[Math.floor(random() * SKUS.length)],
            quantity: 1 + Math.floor(random() * 3),
          }),
          signal: controller.signal,
        });
        await response.arrayBuffer();
        statuses.set(
          String(response.status),
          (statuses.get(String(response.status)) ?? 0) + 1,
        );
      } catch {
        statuses.set('hung up', (statuses.get('hung up') ?? 0) + 1);
      } finally {
        clearTimeout(timer);
      }
    };
    let chaosDone = false;
    // While a tier restarts (seconds, on a busy machine) only one worker keeps knocking, slowly: the
    // orders caught in flight by the kill are the point, not hundreds of fast 503s.
    let down = false;
    const worker = async (id: number): Promise<void> => {
      while ((next < ORDERS || !chaosDone) && next < MAX_ORDERS) {
        if (down) {
          await new Promise((r) => setTimeout(r, 300));
          if (id > 0) continue;
        }
        next++;
        await placeOne();
        await new Promise((r) => setTimeout(r, random() * 40));
      }
    };
    // Kill one tier at a time mid-load, without warning, and bring it back.
    const chaos = async (): Promise<void> => {
      const victims: readonly TierName[] = ['order', 'payment', 'inventory'];
      for (const [i, tier] of victims.entries()) {
        await eventually(
          () =>
            expect(next).toBeGreaterThanOrEqual(
              (ORDERS / (victims.length + 1)) * (i + 1),
            ),
          60_000,
        );
        down = true;
        await stack.tier(tier).stop(0);
        await stack.tier(tier).start();
        await stack.waitUntilReady(30_000);
        down = false;
      }
      chaosDone = true;
    };
    await Promise.all([
      ...Array.from({ length: CONCURRENCY }, (_, id) => worker(id)),
      chaos(),
    ]);
    console.log(`saga chaos: ${next} orders`, Object.fromEntries(statuses));

    // Every kind of outcome happened: confirmed, failed fast, timed out, hung up.
    expect(statuses.get('201') ?? 0).toBeGreaterThan(0);
    expect(
      (statuses.get('504') ?? 0) + (statuses.get('hung up') ?? 0),
    ).toBeGreaterThan(0);

    // The saga converges: follow-ups, recovery after the order tier's deaths, the sweeper after the grace period.
    const invariants = await eventually(
      async () => {
        const open = await db.query(
          "SELECT order_id FROM inventory.reservations WHERE state = 'reserved'",
        );
        expect(open.rows).toEqual([]);
        const unsettled = await db.query(
          'SELECT id, status FROM orders.orders WHERE NOT settled',
        );
        expect(unsettled.rows).toEqual([]);
        return snapshot(db);
      },
      30_000,
      200,
    );

    for (const item of invariants.items) {
      expect(item.available + item.reserved + item.sold).toBe(item.initial);
      expect(item.reserved).toBe(0);
    }
    // Every charged order is confirmed, every confirmed order is charged, once, for its amount.
    expect(invariants.confirmedWithoutCharge).toEqual([]);
    expect(invariants.chargedNotConfirmed).toEqual([]);
    expect(invariants.chargeMismatch).toEqual([]);
    // Units sold are exactly the confirmed orders' units.
    for (const item of invariants.items)
      expect(item.sold).toBe(invariants.confirmedUnits.get(item.sku) ?? 0);
    // Each 201 is a confirmed order; some more were charged after their client had gone, and confirmed by the follow-up.
    expect(invariants.confirmed).toBeGreaterThanOrEqual(
      statuses.get('201') ?? 0,
    );
  }, 120_000);
});

interface Invariants {
  items: {
    sku: string;
    initial: number;
    available: number;
    reserved: number;
    sold: number;
  }[];
  confirmed: number;
  confirmedUnits: Map<string, number>;
  confirmedWithoutCharge: string[];
  chargedNotConfirmed: string[];
  chargeMismatch: string[];
}

async function snapshot(db: Client): Promise<Invariants> {
  const items = (
    await db.query<Invariants['items'][number]>(
      'SELECT sku, initial, available, reserved, sold FROM inventory.items ORDER BY sku',
    )
  ).rows;
  const confirmed = (
    await db.query<{ id: string; sku: string; quantity: number }>(
      "SELECT id, sku, quantity FROM orders.orders WHERE status = 'confirmed'",
    )
  ).rows;
  const confirmedUnits = new Map<string, number>();
  for (const order of confirmed)
    confirmedUnits.set(
      order.sku,
      (confirmedUnits.get(order.sku) ?? 0) + order.quantity,
    );
  const ids = (sql: string): Promise<string[]> =>
    db.query<{ id: string }>(sql).then((r) => r.rows.map((row) => row.id));
  return {
    items,
    confirmed: confirmed.length,
    confirmedUnits,
    confirmedWithoutCharge: await ids(
      "SELECT o.id FROM orders.orders o LEFT JOIN payment.charges c ON c.order_id = o.id WHERE o.status = 'confirmed' AND c.order_id IS NULL",
    ),
    chargedNotConfirmed: await ids(
      "SELECT c.order_id AS id FROM payment.charges c LEFT JOIN orders.orders o ON o.id = c.order_id WHERE o.status IS DISTINCT FROM 'confirmed'",
    ),
    chargeMismatch: await ids(
      'SELECT o.id FROM orders.orders o JOIN payment.charges c ON c.order_id = o.id WHERE o.charge_id IS DISTINCT FROM c.id OR o.amount_cents IS DISTINCT FROM c.amount_cents',
    ),
  };
}

/** A small deterministic PRNG (mulberry32), so a failing run can be replayed. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
