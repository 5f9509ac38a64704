import { Stack } from '../tools/stack/index.js';
import { INVENTORY } from '@lib/contracts';
import { INVENTORY_MIGRATIONS } from '../apps/inventory/src/inventory.migrations.js';
import { ORDER_MIGRATIONS } from '../apps/order/src/order.migrations.js';
import { PAYMENT_MIGRATIONS } from '../apps/payment/src/payment.migrations.js';
import { rawClient, stockOf, unary } from './support/grpc-clients.js';
import { issueToken } from './support/tokens.js';

// The embedded default (PGlite: PostgreSQL compiled to WebAssembly) that `npm run demo` uses when no
// DATABASE_URL is set: the three data tiers migrate and serve the saga without any server.
// Proven here in the real tier processes, where it runs.
describe('embedded database default (no DATABASE_URL)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({
      database: 'inherit',
      env: {
        DATABASE_URL: '',
        INVENTORY_SWEEP_GRACE_MS: '300',
        INVENTORY_SWEEP_INTERVAL_MS: '100',
        ORDER_RECOVERY_INTERVAL_MS: '100',
      },
    });
  }, 150_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('migrates each data tier’s embedded database on start', async () => {
    const migrations = {
      order: ORDER_MIGRATIONS,
      inventory: INVENTORY_MIGRATIONS,
      payment: PAYMENT_MIGRATIONS,
    };
    for (const [tier, applied] of Object.entries(migrations))
      expect(
        await stack
          .tier(tier as keyof typeof migrations)
          .waitFor((e) => e.msg === 'database ready'),
      ).toMatchObject({
        kind: 'pglite',
        migrationsApplied: applied.map((m) => m.id),
      });
  });

  it('places an order end to end: confirmed, charged, stock committed', async () => {
    const response = await fetch(`${stack.gatewayUrl}/orders`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${issueToken()}`,
        'content-type': 'application/json',
        'x-request-timeout': '10000',
      },
      body: JSON.stringify({ sku: 'espresso', quantity: 2 }),
    });
    expect(response.status).toBe(201);
    expect(((await response.json()) as { order: unknown }).order).toMatchObject(
      {
        status: 'confirmed',
        sku: 'espresso',
        quantity: 2,
        amountCents: 700,
        chargeId: expect.stringMatching(/^ch_/),
      },
    );
    await stack
      .tier('order')
      .waitFor((e) => e.msg === 'reservation settled' && e.action === 'commit');
    expect(await stockOf(stack.grpcUrl('inventory'), 'espresso')).toEqual({
      sku: 'espresso',
      available: 998,
      reserved: 0,
      sold: 2,
    });
  });

  it('answers a declined charge with 409 and puts the stock back', async () => {
    const response = await fetch(`${stack.gatewayUrl}/orders`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${issueToken()}`,
        'content-type': 'application/json',
        'x-request-timeout': '10000',
      },
      body: JSON.stringify({ sku: 'grinder', quantity: 1 }),
    });
    expect(response.status).toBe(409);
    await stack
      .tier('order')
      .waitFor(
        (e) => e.msg === 'reservation settled' && e.action === 'release',
      );
    expect(await stockOf(stack.grpcUrl('inventory'), 'grinder')).toEqual({
      sku: 'grinder',
      available: 1000,
      reserved: 0,
      sold: 0,
    });
  });

  it('sweeps an orphaned reservation with the same SQL (FOR UPDATE SKIP LOCKED included)', async () => {
    const inventory = rawClient(INVENTORY, stack.grpcUrl('inventory'));
    try {
      await unary(
        inventory,
        'reserve',
        { orderId: 'ord_orphan', sku: 'latte', quantity: 4 },
        { deadline: Date.now() + 2_000 },
      );
    } finally {
      inventory.close();
    }
    expect(
      await stack
        .tier('inventory')
        .waitFor((e) => e.msg === 'expired reservations released', 20_000),
    ).toMatchObject({ released: 1 });
    expect(await stockOf(stack.grpcUrl('inventory'), 'latte')).toEqual({
      sku: 'latte',
      available: 1000,
      reserved: 0,
      sold: 0,
    });
    // The order tier's recovery pass has run every 100 ms all along, on the embedded engine too.
    expect(
      stack
        .tier('order')
        .events.filter((e) => e.msg === 'recovery pass failed'),
    ).toEqual([]);
    expect(
      stack.tier('inventory').events.filter((e) => e.msg === 'sweep failed'),
    ).toEqual([]);
  }, 30_000);
});
