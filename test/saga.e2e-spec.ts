import * as grpc from '@grpc/grpc-js';
import { Client } from 'pg';
import { INVENTORY, PAYMENT } from '@lib/contracts';
import { Stack } from '../tools/stack/index.js';
import { eventually, rawClient, unary } from './support/grpc-clients.js';
import { issueToken } from './support/tokens.js';

// The saga's guarantees one at a time, over the real tiers and PostgreSQL.
const PAYMENT_LATENCY_MS = 400;

describe('saga guarantees (real processes, real PostgreSQL)', () => {
  let stack: Stack;
  let db: Client;
  let payment: grpc.Client;
  let inventory: grpc.Client;

  beforeAll(async () => {
    stack = await Stack.start({
      env: {
        PAYMENT_PROVIDER_LATENCY_MS: String(PAYMENT_LATENCY_MS),
        INVENTORY_SWEEP_GRACE_MS: '500',
        INVENTORY_SWEEP_INTERVAL_MS: '100',
        ORDER_RECOVERY_GRACE_MS: '200',
        ORDER_RECOVERY_INTERVAL_MS: '100',
      },
    });
    db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
    payment = rawClient(PAYMENT, stack.grpcUrl('payment'));
    inventory = rawClient(INVENTORY, stack.grpcUrl('inventory'));
  }, 60_000);

  afterAll(async () => {
    payment?.close();
    inventory?.close();
    await db?.end();
    await stack?.stop();
  });

  const charge = (orderId: string, budgetMs: number) =>
    unary<{ id: string; orderId: string }>(
      payment,
      'charge',
      { orderId, customerId: 'c1', amountCents: 700 },
      { deadline: Date.now() + budgetMs },
    );
  const chargeRows = async (orderId: string): Promise<{ id: string }[]> =>
    (
      await db.query<{ id: string }>(
        'SELECT id FROM payment.charges WHERE order_id = $1',
        [orderId],
      )
    ).rows;

  it('charges nothing when the charge runs out of time, and exactly once when it is retried', async () => {
    await expect(charge('ord_retry', 150)).rejects.toMatchObject({
      code: grpc.status.DEADLINE_EXCEEDED,
    });
    // The timed-out attempt was stopped before it wrote anything.
    await stack
      .tier('payment')
      .requestEnded({ method: 'Charge', aborted: true });
    expect(await chargeRows('ord_retry')).toEqual([]);

    const first = await charge('ord_retry', 5_000);
    const again = await charge('ord_retry', 5_000);
    expect(again.id).toBe(first.id);
    expect(await chargeRows('ord_retry')).toEqual([{ id: first.id }]);
  }, 20_000);

  it('charges once for concurrent attempts with the same order id', async () => {
    const attempts = await Promise.all(
      Array.from({ length: 6 }, () => charge('ord_concurrent', 5_000)),
    );
    expect(new Set(attempts.map((a) => a.id)).size).toBe(1);
    expect(await chargeRows('ord_concurrent')).toHaveLength(1);
  }, 20_000);

  it('refuses a second charge row for an order at the database itself', async () => {
    const [{ id }] = await chargeRows('ord_concurrent');
    await expect(
      db.query(
        "INSERT INTO payment.charges (id, order_id, amount_cents, status) VALUES ('ch_other', 'ord_concurrent', 700, 'captured')",
      ),
    ).rejects.toMatchObject({ code: '23505' });
    expect(await chargeRows('ord_concurrent')).toEqual([{ id }]);
  });

  it('sweeps a reservation whose outcome never arrives, once its deadline and the grace period have passed', async () => {
    const before = await stock('espresso');
    const reserved = await unary<{ state: string }>(
      inventory,
      'reserve',
      { orderId: 'ord_orphan', sku: 'espresso', quantity: 2 },
      { deadline: Date.now() + 400 },
    );
    expect(reserved.state).toBe('reserved');
    expect(await stock('espresso')).toMatchObject({
      available: before.available - 2,
      reserved: before.reserved + 2,
    });

    await eventually(async () =>
      expect(
        (
          await db.query(
            "SELECT state, settled_by FROM inventory.reservations WHERE order_id = 'ord_orphan'",
          )
        ).rows,
      ).toEqual([{ state: 'released', settled_by: 'sweeper' }]),
    );
    expect(await stock('espresso')).toEqual(before);
  }, 20_000);

  // Order gives up on a Reserve and releases; the Reserve may still be on its way or mid-write in
  // inventory (its budget is relative, so a request held up before it arrived starts a fresh clock
  // there). The Release must win either way, instead of finding nothing and leaving the late Reserve
  // holding the units until the sweeper frees them. (A Release that comes after the Reserve committed
  // releases it as usual: the confirmed-and-released paths above and below.)
  const reserveCall = (orderId: string, sku: string) =>
    unary<{ state: string }>(
      inventory,
      'reserve',
      { orderId, sku, quantity: 2 },
      { deadline: Date.now() + 10_000 },
    );
  const releaseCall = (orderId: string) =>
    unary<{ state: string }>(
      inventory,
      'release',
      { orderId },
      { deadline: Date.now() + 10_000 },
    );
  const reservationOf = async (orderId: string) =>
    (
      await db.query<{ state: string; quantity: number }>(
        'SELECT state, quantity FROM inventory.reservations WHERE order_id = $1',
        [orderId],
      )
    ).rows;

  it('holds nothing for a Reserve that arrives after its order was released', async () => {
    const before = await stock('latte');
    expect(await releaseCall('ord_release_first')).toMatchObject({
      state: 'none',
    });
    await expect(
      reserveCall('ord_release_first', 'latte'),
    ).rejects.toMatchObject({
      code: grpc.status.FAILED_PRECONDITION,
      details:
        'order ord_release_first was released before this reserve arrived',
    });
    expect(await stock('latte')).toEqual(before);
    expect(await reservationOf('ord_release_first')).toEqual([
      { state: 'released', quantity: 0 },
    ]);
  });

  // Order retries a Reserve (on another replica) when an attempt fails or times out; the attempts
  // may overlap, as a timed-out one can still be mid-write.
  it('reserves once for an order, however often and however concurrently its Reserve is repeated', async () => {
    const before = await stock('espresso');
    const concurrent = await Promise.all(
      Array.from({ length: 6 }, () => reserveCall('ord_repeat', 'espresso')),
    );
    const later = await reserveCall('ord_repeat', 'espresso');
    for (const answer of [...concurrent, later])
      expect(answer).toEqual(concurrent[0]);
    expect(concurrent[0].state).toBe('reserved');
    expect(await stock('espresso')).toMatchObject({
      available: before.available - 2,
      reserved: before.reserved + 2,
    });
    expect(await reservationOf('ord_repeat')).toEqual([
      { state: 'reserved', quantity: 2 },
    ]);
    // Settled here, so the sweeper does not hand the units back during a later test.
    await releaseCall('ord_repeat');
    expect(await stock('espresso')).toEqual(before);
  });

  it('lets a Release that arrives while its Reserve is mid-write win: the Reserve then holds nothing', async () => {
    const before = await stock('latte');
    // Hold the shelf's row against updates (not against the reservation's foreign-key check), so the
    // Reserve stops inside its write, before it has taken the units.
    const shelf = new Client({ connectionString: stack.databaseUrl });
    await shelf.connect();
    try {
      await shelf.query('BEGIN');
      await shelf.query(
        "SELECT 1 FROM inventory.items WHERE sku = 'latte' FOR NO KEY UPDATE",
      );
      const reserve = reserveCall('ord_release_mid_write', 'latte').catch(
        (error: unknown) => error,
      );
      await eventually(async () => {
        const { rows } = await db.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        );
        expect(rows[0].n).toBe(1);
      }, 5_000);
      // Order has given up and releases while the Reserve is still writing.
      expect(await releaseCall('ord_release_mid_write')).toMatchObject({
        state: 'none',
      });
      await shelf.query('COMMIT');
      expect(await reserve).toMatchObject({
        code: grpc.status.FAILED_PRECONDITION,
        details:
          'order ord_release_mid_write was released before this reserve arrived',
      });
    } finally {
      await shelf.end();
    }
    expect(await stock('latte')).toEqual(before);
    expect(await reservationOf('ord_release_mid_write')).toEqual([
      { state: 'released', quantity: 0 },
    ]);
  }, 30_000);

  it('finishes a saga cut short by the order tier dying mid-charge: not charged, order failed, stock back', async () => {
    const before = await stock('latte');
    const placing = placeDuringCharge('latte', 3);
    await placing.charging;
    await stack.tier('order').stop(0); // SIGKILL right after SIGTERM: no follow-up runs in this process
    let pending: { id: string; status: string; settled: boolean };
    try {
      // Whether the connection drops, the dying tier gets to cancel the call first, or its stream ends with no status after
      // its GOAWAY, the gateway's client is still waiting: 503.
      expect((await placing.response).status).toBe(503);
      pending = await latestOrder('latte');
      expect(pending).toMatchObject({ status: 'pending', settled: false });
    } finally {
      await restartOrderTier(); // the later tests need it whatever happened above
    }
    await eventually(async () =>
      expect(await orderRow(pending.id)).toMatchObject({
        status: 'failed',
        settled: true,
      }),
    );
    expect(await chargeRows(pending.id)).toEqual([]);
    expect(await stock('latte')).toEqual(before);
    expect(
      (
        await db.query(
          'SELECT state FROM inventory.reservations WHERE order_id = $1',
          [pending.id],
        )
      ).rows,
    ).toEqual([{ state: 'released' }]);
  }, 60_000);

  it('lets an order in flight, and its follow-up, finish when the order tier is told to stop (SIGTERM)', async () => {
    const before = await stock('espresso');
    const order = stack.tier('order');
    const logged = order.events.length;
    const placing = placeDuringCharge('espresso', 2);
    await placing.charging;
    const stopping = order.stop(10_000); // SIGTERM, as a rolling deploy sends; SIGKILL only well past the 5 s drain
    try {
      const response = await placing.response;
      await stopping;
      expect(response.status).toBe(201);
      const { order: placed } = (await response.json()) as {
        order: { id: string; chargeId: string };
      };
      // Settled before the process exited: the reservation committed by its follow-up, not left to recovery.
      expect(await orderRow(placed.id)).toEqual({
        status: 'confirmed',
        settled: true,
        charge_id: placed.chargeId,
      });
      expect(await chargeRows(placed.id)).toEqual([{ id: placed.chargeId }]);
      expect(await stock('espresso')).toEqual(sold(before, 2));
      expect(
        order.events.slice(logged).find((e) => e.msg === 'drained'),
      ).toMatchObject({ forced: false });
    } finally {
      await stopping;
      await restartOrderTier();
    }
  }, 60_000);

  it('cancels what is still in flight once the drain time is up: 503 (not 499), and the saga settles one way', async () => {
    const before = await stock('espresso');
    // The same tier with no drain time: its gRPC server cancels the calls in flight at once.
    await stack.tier('order').stop();
    const hasty = stack
      .tier('order')
      .replica('order', { SHUTDOWN_DRAIN_MS: '0' });
    let orderId: string;
    try {
      await hasty.start();
      await stack.waitUntilReady();
      const placing = placeDuringCharge('espresso', 2);
      await placing.charging;
      await hasty.stop();
      // The gateway's client did not hang up; the order tier went away: 503 (grpc-js reports CANCELLED here).
      expect((await placing.response).status).toBe(503);
      expect(hasty.events.find((e) => e.msg === 'drained')).toMatchObject({
        forced: true,
      });
      orderId = (await latestOrder('espresso')).id;
    } finally {
      await hasty.stop();
      await restartOrderTier();
    }
    // Settled once, either way: failed with nothing charged and the stock back, or confirmed, charged once and sold.
    const { status } = await eventually(async () => {
      const row = await orderRow(orderId);
      expect(row).toMatchObject({ settled: true });
      return row;
    });
    if (status === 'failed') {
      expect(await chargeRows(orderId)).toEqual([]);
      expect(await stock('espresso')).toEqual(before);
    } else {
      expect(status).toBe('confirmed');
      expect(await chargeRows(orderId)).toHaveLength(1);
      expect(await stock('espresso')).toEqual(sold(before, 2));
    }
  }, 60_000);

  it('confirms, charges and commits a placed order, each once', async () => {
    const before = await stock('latte');
    const response = await placeOrder('latte', 1, 5_000);
    expect(response.status).toBe(201);
    const { order } = (await response.json()) as {
      order: { id: string; chargeId: string };
    };
    await eventually(async () =>
      expect(await orderRow(order.id)).toEqual({
        status: 'confirmed',
        settled: true,
        charge_id: order.chargeId,
      }),
    );
    expect(await chargeRows(order.id)).toEqual([{ id: order.chargeId }]);
    expect(await stock('latte')).toEqual(sold(before, 1));
  }, 20_000);

  it('reports each data tier’s database in GET /health, with no deadline lost along the way', async () => {
    for (const tier of ['order', 'inventory', 'payment'] as const) {
      const health = (await (
        await fetch(`${stack.adminUrl(tier)}/health`)
      ).json()) as { details: { database: unknown } };
      expect(health.details.database).toMatchObject({
        kind: 'postgres',
        connections: {
          total: expect.any(Number),
          idle: expect.any(Number),
          waiting: 0,
        },
        cancelledQueries: expect.any(Number),
        lostDeadlines: 0,
      });
    }
  });

  const placeOrder = (
    sku: string,
    quantity: number,
    budgetMs: number,
  ): Promise<Response> =>
    fetch(`${stack.gatewayUrl}/orders`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${issueToken()}`,
        'content-type': 'application/json',
        'x-request-timeout': String(budgetMs),
      },
      body: JSON.stringify({ sku, quantity }),
    });

  /** Places an order; `charging` resolves once payment is capturing (mid-saga). */
  function placeDuringCharge(
    sku: string,
    quantity: number,
  ): { response: Promise<Response>; charging: Promise<void> } {
    const capturing = (): number =>
      stack.tier('payment').events.filter((e) => e.msg === 'capturing').length;
    const already = capturing();
    const response = placeOrder(sku, quantity, 3_000);
    return {
      response,
      charging: eventually(() => expect(capturing()).toBe(already + 1)),
    };
  }

  async function restartOrderTier(): Promise<void> {
    await stack.tier('order').start();
    await stack.waitUntilReady();
  }

  type OrderRow = {
    status: string;
    settled: boolean;
    charge_id: string | null;
  };
  const orderRow = async (id: string): Promise<OrderRow> =>
    (
      await db.query<OrderRow>(
        'SELECT status, settled, charge_id FROM orders.orders WHERE id = $1',
        [id],
      )
    ).rows[0];
  const latestOrder = async (sku: string): Promise<OrderRow & { id: string }> =>
    (
      await db.query<OrderRow & { id: string }>(
        'SELECT id, status, settled, charge_id FROM orders.orders WHERE sku = $1 ORDER BY created_at DESC LIMIT 1',
        [sku],
      )
    ).rows[0];

  type Stock = { available: number; reserved: number; sold: number };
  const sold = (before: Stock, quantity: number): Stock => ({
    ...before,
    available: before.available - quantity,
    sold: before.sold + quantity,
  });

  async function stock(sku: string): Promise<Stock> {
    return (
      await db.query<Stock>(
        'SELECT available, reserved, sold FROM inventory.items WHERE sku = $1',
        [sku],
      )
    ).rows[0];
  }
});
