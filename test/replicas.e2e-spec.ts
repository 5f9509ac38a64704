import { freePort, Stack, type TierProcess } from '../tools/stack/index.js';
import * as grpc from '@grpc/grpc-js';
import { INVENTORY } from '@lib/contracts';
import {
  eventually,
  rawClient,
  stockOf,
  unary,
} from './support/grpc-clients.js';
import { replicasAt } from './support/replicas.js';
import { placeMany, placeOrder as placeOneOrder } from './support/orders.js';
import { issueToken } from './support/tokens.js';

// Three inventory processes behind order's one channel (deadline_p2c, the default GRPC_LB_POLICY),
// sharing the stack's PostgreSQL database. One of them is slowed by chaos: every Reserve it serves
// waits SLOW_MS first. Orders keep succeeding, and the slow replica soon gets almost none of them.
const SLOW_MS = 1_000;
const BUDGET_MS = 4_000;
const WARM_UP_ORDERS = 40;
const ORDERS = 200;
const CONCURRENCY = 4;

describe('inventory replicas behind deadline_p2c (real processes)', () => {
  let stack: Stack;
  let extra: TierProcess[] = [];
  let token: string;
  const ports: number[] = [];
  const admins: string[] = [];

  beforeAll(async () => {
    // Three replicas' gRPC ports, two admin ports; a fourth replica (aged connections) gets two more.
    for (let i = 0; i < 7; i++) ports.push(await freePort());
    stack = await Stack.start({
      env: { CHAOS_ENABLED: 'true' },
      tierEnv: {
        inventory: { INVENTORY_GRPC_PORT: String(ports[0]) },
        order: {
          INVENTORY_GRPC_URL: `ipv4:${ports
            .slice(0, 3)
            .map((port) => `127.0.0.1:${port}`)
            .join(',')}`,
        },
      },
    });
    admins.push(stack.adminUrl('inventory'));
    // One after the other, as their migrations share the database.
    for (const n of [1, 2]) {
      const replica = stack.tier('inventory').replica(`inventory-${n + 1}`, {
        INVENTORY_GRPC_PORT: String(ports[n]),
        INVENTORY_ADMIN_PORT: String(ports[n + 2]),
      });
      extra.push(replica);
      await replica.start(120_000);
      admins.push(`http://127.0.0.1:${ports[n + 2]}`);
    }
    token = issueToken();
  }, 300_000);

  afterAll(async () => {
    // The replicas before the stack: the stack drops the database they share.
    for (const replica of extra) await replica.stop();
    extra = [];
    await stack?.stop();
  });

  const replicasAtOrder = () => replicasAt(stack.adminUrl('order'));

  const placeOrder = async (): Promise<number> =>
    (await placeOneOrder(stack.gatewayUrl, token, { budgetMs: BUDGET_MS }))
      .status;

  /** `total` orders, `CONCURRENCY` at a time; their HTTP statuses. */
  const placeOrders = (total: number): Promise<number[]> =>
    placeMany(total, CONCURRENCY, placeOrder);

  it('shows every replica, connected, in order’s GET /health', async () => {
    // Order's channel connects at its first call, and replicas 2 and 3 may not have been listening
    // yet when it tried them; it reconnects within its backoff (2 s at most).
    await eventually(async () => {
      expect(await placeOrder()).toBe(201);
      const replicas = await replicasAtOrder();
      expect(replicas.map((r) => r.address).sort()).toEqual(
        ports
          .slice(0, 3)
          .map((port) => `127.0.0.1:${port}`)
          .sort(),
      );
      expect(replicas.every((r) => r.state === 'READY')).toBe(true);
    }, 20_000);
  }, 30_000);

  it('places 99 % of orders and sends the slow replica under 5 % of Reserve calls after warm-up', async () => {
    const [, , slow] = [stack.tier('inventory'), ...extra];
    const response = await fetch(`${admins[2]}/chaos/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        kind: 'delay',
        method: 'Reserve',
        delayMs: SLOW_MS,
      }),
    });
    expect(response.status).toBe(201);

    const warmUp = await placeOrders(WARM_UP_ORDERS);
    // The slow replica's warm-up calls end by SLOW_MS later; count only what starts after.
    await new Promise((resolve) => setTimeout(resolve, SLOW_MS + 200));
    const processes = [stack.tier('inventory'), ...extra];
    const before = processes.map((p) => p.requestsEnded('Reserve').length);
    const statuses = await placeOrders(ORDERS);
    await new Promise((resolve) => setTimeout(resolve, SLOW_MS + 200));
    const served = processes.map(
      (p, i) => p.requestsEnded('Reserve').length - before[i],
    );
    const total = served.reduce((a, b) => a + b, 0);
    const explain = JSON.stringify({
      warmUp,
      statuses,
      served,
      replicas: await replicasAtOrder(),
    });

    const placed = statuses.filter((status) => status === 201).length;
    expect(placed, explain).toBeGreaterThanOrEqual(ORDERS * 0.99);
    // Every order reserved once at least, its retries aside.
    expect(total, explain).toBeGreaterThanOrEqual(placed);
    expect(served[2] / total, explain).toBeLessThan(0.05);
    // The healthy two shared the rest.
    expect(Math.min(served[0], served[1]), explain).toBeGreaterThan(0);
    expect(slow.requestsEnded('Reserve').length, explain).toBeGreaterThan(0);
  }, 240_000);

  it('counts each replica’s picks in order’s metrics', async () => {
    const body = await (
      await fetch(`${stack.adminUrl('order')}/metrics`)
    ).text();
    for (const port of ports.slice(0, 3))
      expect(body).toMatch(
        new RegExp(
          `grpc_replica_picks_total\\{[^}]*downstream="inventory"[^}]*replica="127\\.0\\.0\\.1:${port}"[^}]*\\} [1-9]`,
        ),
      );
    expect(body).toMatch(/grpc_replicas_ejected\{[^}]*downstream="inventory"/);
  });

  it('asks a client to move to a new connection once its connection is GRPC_MAX_CONNECTION_AGE_MS old', async () => {
    // A fourth replica, outside order's list, whose connections age after 1 s (± 10 %).
    const aging = stack.tier('inventory').replica('inventory-aging', {
      INVENTORY_GRPC_PORT: String(ports[5]),
      INVENTORY_ADMIN_PORT: String(ports[6]),
      GRPC_MAX_CONNECTION_AGE_MS: '1000',
    });
    extra.push(aging);
    await aging.start(120_000);
    const url = `127.0.0.1:${ports[5]}`;
    const client = rawClient(INVENTORY, url);
    try {
      await unary(
        client,
        'getStock',
        { sku: 'latte' },
        { deadline: Date.now() + 5_000 },
      );
      const channel = client.getChannel();
      expect(channel.getConnectivityState(false)).toBe(
        grpc.connectivityState.READY,
      );
      const startedAt = Date.now();
      // GOAWAY: the channel leaves READY (to IDLE) without a call failing.
      await new Promise<void>((resolve, reject) =>
        channel.watchConnectivityState(
          grpc.connectivityState.READY,
          Date.now() + 10_000,
          (error) => (error ? reject(error) : resolve()),
        ),
      );
      expect(Date.now() - startedAt).toBeLessThan(5_000);
      expect(channel.getConnectivityState(false)).not.toBe(
        grpc.connectivityState.READY,
      );
      // And the next call simply connects again.
      expect(await stockOf(url, 'latte')).toMatchObject({ sku: 'latte' });
    } finally {
      client.close();
    }
  }, 180_000);
});
