import { freePort, Stack, type TierProcess } from '../tools/stack/index.js';
import { eventually, settledStockOf, stockOf } from './support/grpc-clients.js';
import { replicasAt } from './support/replicas.js';
import {
  type OrderAnswer,
  placeOrder as placeOneOrder,
} from './support/orders.js';
import { issueToken } from './support/tokens.js';

// Three inventory processes behind order's one channel (deadline_p2c). Under a steady stream of
// orders one replica is killed outright (SIGKILL: no drain, its connections reset mid-call). Every
// inventory method is idempotent, so a call cut off on it is retried on a replica it has not
// tried; only an order already in flight at the kill may fail at all. The replica comes back on
// the same port and is sent calls again, without order being restarted.
const BUDGET_MS = 4_000;
const CONCURRENCY = 4;
const SKU = 'espresso';

describe('an inventory replica killed under load (real processes)', () => {
  let stack: Stack;
  let replicas: TierProcess[] = [];
  let token: string;
  const ports: number[] = [];
  const admins: number[] = [];

  /** Replica n (1 or 2): its own gRPC and admin ports. */
  const env = (n: number): Record<string, string> => ({
    INVENTORY_GRPC_PORT: String(ports[n]),
    INVENTORY_ADMIN_PORT: String(admins[n - 1]),
  });

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) ports.push(await freePort());
    for (let i = 0; i < 2; i++) admins.push(await freePort());
    stack = await Stack.start({
      tierEnv: {
        // The first replica keeps the stack's own admin port (its readiness check polls it).
        inventory: { INVENTORY_GRPC_PORT: String(ports[0]) },
        order: {
          INVENTORY_GRPC_URL: `ipv4:${ports.map((p) => `127.0.0.1:${p}`).join(',')}`,
        },
      },
    });
    replicas = [stack.tier('inventory')];
    // One after the other, as their migrations share the database.
    for (const n of [1, 2]) {
      const replica = stack
        .tier('inventory')
        .replica(`inventory-${n + 1}`, env(n));
      replicas.push(replica);
      await replica.start(120_000);
    }
    token = issueToken();
  }, 300_000);

  afterAll(async () => {
    // The replicas before the stack: the stack drops the database they share.
    for (const replica of replicas.slice(1)) await replica.stop();
    replicas = [];
    await stack?.stop();
  });

  const replicasAtOrder = () => replicasAt(stack.adminUrl('order'));

  const placeOrder = (): Promise<OrderAnswer> =>
    placeOneOrder(stack.gatewayUrl, token, { budgetMs: BUDGET_MS, sku: SKU });

  /** Orders, `CONCURRENCY` at a time, until `stop()` resolves; then the results. */
  const loadUntil = async (stop: Promise<unknown>): Promise<OrderAnswer[]> => {
    const placed: OrderAnswer[] = [];
    let stopping = false;
    void stop.finally(() => (stopping = true));
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (!stopping) placed.push(await placeOrder());
      }),
    );
    return placed;
  };

  it('fails no order that was not in flight on it, and sends it calls again once it is back', async () => {
    const addresses = ports.map((port) => `127.0.0.1:${port}`);
    // Order's channel connects at its first call; every replica READY before the load starts.
    await eventually(async () => {
      expect((await placeOrder()).status).toBe(201);
      const seen = await replicasAtOrder();
      expect(seen.map((r) => r.address).sort()).toEqual([...addresses].sort());
      expect(seen.every((r) => r.state === 'READY')).toBe(true);
    }, 20_000);
    const stockBefore = await settledStockOf(addresses[0], SKU);

    const victim = replicas[2];
    const servedBeforeKill = (): number => victim.requestsEnded().length;
    let killedAt = 0;
    const killed = (async () => {
      // Load first, then the kill once the victim is visibly serving a share of it.
      const from = servedBeforeKill();
      await eventually(() => {
        expect(servedBeforeKill() - from).toBeGreaterThanOrEqual(10);
      }, 60_000);
      killedAt = Date.now();
      process.kill(victim.pid as number, 'SIGKILL');
      await eventually(() => expect(victim.running).toBe(false), 10_000);
      // Keep the load on a while with two replicas left.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    })();
    const results = await loadUntil(killed);
    await killed;

    const failed = results.filter((r) => r.status !== 201);
    const explain = JSON.stringify({
      orders: results.length,
      failed: failed.map(({ body, ...rest }) => ({
        ...rest,
        body: body.slice(0, 300),
      })),
      killedAt,
      replicas: await replicasAtOrder(),
    });
    expect(results.length, explain).toBeGreaterThan(20);
    // Only an order in flight at the kill may fail: it started before it and ended after it.
    for (const failure of failed) {
      expect(failure.startedAt, explain).toBeLessThanOrEqual(killedAt);
      expect(failure.endedAt, explain).toBeGreaterThanOrEqual(killedAt);
    }
    // And no more of them than could be in flight at all.
    expect(failed.length, explain).toBeLessThanOrEqual(CONCURRENCY);
    // Orders after the kill went on, on the two replicas left.
    expect(
      results.filter((r) => r.startedAt > killedAt && r.status === 201).length,
      explain,
    ).toBeGreaterThan(5);

    // The replica comes back on its port: order's channel reconnects and sends it calls again.
    const revived = stack
      .tier('inventory')
      .replica('inventory-3-again', env(2));
    replicas[2] = revived;
    await revived.start(120_000);
    // Soon: its reconnected connection starts afresh (the failures of its last calls no longer
    // count against it), so the balancer tries it within a few calls, not after the penalty decays.
    await eventually(
      async () => {
        expect((await placeOrder()).status).toBe(201);
        expect(revived.requestsEnded('Reserve').length).toBeGreaterThan(0);
      },
      20_000,
      100,
    );
    const seen = await replicasAtOrder();
    expect(seen.find((r) => r.address === addresses[2])?.state).toBe('READY');

    // Nothing was lost: every placed order took one unit, and no reservation is left open.
    await eventually(async () => {
      const stock = await stockOf(addresses[0], SKU);
      expect(stock.reserved).toBe(0);
      expect(stock.available + stock.sold).toBe(
        stockBefore.available + stockBefore.sold,
      );
      expect(stock.sold).toBeGreaterThanOrEqual(
        stockBefore.sold + results.filter((r) => r.status === 201).length,
      );
    }, 30_000);
  }, 300_000);
});
