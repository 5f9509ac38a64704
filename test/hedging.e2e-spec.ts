import { freePort, Stack, type TierProcess } from '../tools/stack/index.js';
import { eventually, settledStockOf, stockOf } from './support/grpc-clients.js';
import { sample } from './support/prometheus.js';
import { placeMany, placeOrder as placeOneOrder } from './support/orders.js';
import { issueToken } from './support/tokens.js';

// Two inventory processes behind order's one deadline_p2c channel (hedging on, its default), sharing
// the stack's PostgreSQL database. After a calm warm-up (a method's hedge delay needs 20 samples),
// the second replica is slowed by chaos on 80 % of the Reserve calls it gets: SLOW_MS, well inside the
// budget, so an unhedged order still succeeds. Its hedged copies end cancelled, which the balancer
// takes as a lower bound on its latency but not as slow answers, so it is not ejected and keeps
// getting a call now and then. A Reserve caught there is hedged to the other replica once the p95
// delay is over; the hedge answers, and the slow replica's copy is cancelled on the wire while chaos
// holds it, before its handler ran: it reserves nothing.
const SLOW_MS = 2_500;
const SLOW_PERCENT = 80;
const BUDGET_MS = 6_000;
const WARM_UP_ORDERS = 40;
const ORDERS = 80;
const CONCURRENCY = 4;
/** Order's idempotent inventory methods, the ones it hedges. */
const HEDGEABLE = new Set(['Reserve', 'Release', 'Commit', 'GetStock']);

/** The sum of a counter's series in a Prometheus text exposition. */
function total(text: string, name: string): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

describe('hedged Reserve calls across inventory replicas (real processes)', () => {
  let stack: Stack;
  let slow: TierProcess | undefined;
  let token: string;
  let inventoryUrl = '';
  let slowAdmin = '';
  const startedAt = Date.now();

  beforeAll(async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    inventoryUrl = `127.0.0.1:${ports[0]}`;
    stack = await Stack.start({
      env: { CHAOS_ENABLED: 'true' },
      tierEnv: {
        inventory: { INVENTORY_GRPC_PORT: String(ports[0]) },
        order: {
          INVENTORY_GRPC_URL: `ipv4:127.0.0.1:${ports[0]},127.0.0.1:${ports[1]}`,
        },
      },
    });
    slow = stack.tier('inventory').replica('inventory-2', {
      INVENTORY_GRPC_PORT: String(ports[1]),
      INVENTORY_ADMIN_PORT: String(ports[2]),
    });
    await slow.start(120_000);
    slowAdmin = `http://127.0.0.1:${ports[2]}`;
    token = issueToken();
  }, 300_000);

  afterAll(async () => {
    // The replica before the stack: the stack drops the database they share.
    await slow?.stop();
    await stack?.stop();
  });

  const placeOrder = async (): Promise<number> =>
    (await placeOneOrder(stack.gatewayUrl, token, { budgetMs: BUDGET_MS }))
      .status;

  /** `total` orders, `CONCURRENCY` at a time; their HTTP statuses. */
  const placeOrders = (total: number): Promise<number[]> =>
    placeMany(total, CONCURRENCY, placeOrder);

  const orderMetrics = async (): Promise<string> =>
    (await fetch(`${stack.adminUrl('order')}/metrics`)).text();
  const reserve = { downstream: 'inventory', method: 'Reserve' };

  it('hedges the slow replica’s Reserve calls: every order succeeds, a hedge wins, the loser is cancelled and holds no stock', async () => {
    const replica = slow as TierProcess;
    // Both replicas connected (the second may have started after order's channel first tried it).
    await eventually(async () => {
      expect(await placeOrder()).toBe(201);
      const response = await fetch(`${stack.adminUrl('order')}/health`);
      const body = (await response.json()) as {
        details?: { replicas?: { inventory?: { state: string }[] } };
      };
      const replicas = body.details?.replicas?.inventory ?? [];
      expect(replicas.map((r) => r.state)).toEqual(['READY', 'READY']);
    }, 30_000);
    const warmUp = await placeOrders(WARM_UP_ORDERS);
    const before = await settledStockOf(inventoryUrl, 'latte');
    const sentBefore =
      sample(await orderMetrics(), 'grpc_hedges_sent_total', reserve) ?? 0;

    const fault = await fetch(`${slowAdmin}/chaos/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        kind: 'delay',
        method: 'Reserve',
        delayMs: SLOW_MS,
        percent: SLOW_PERCENT,
      }),
    });
    expect(fault.status).toBe(201);
    const endedBefore = replica.requestsEnded('Reserve').length;
    const statuses = await placeOrders(ORDERS);

    const text = await orderMetrics();
    const sent = sample(text, 'grpc_hedges_sent_total', reserve) ?? 0;
    const won = sample(text, 'grpc_hedges_won_total', reserve) ?? 0;
    const ended = replica.requestsEnded('Reserve').slice(endedBefore);
    const explain = JSON.stringify({
      warmUp,
      statuses,
      sentBefore,
      sent,
      won,
      slowReplicaOutcomes: ended.map((e) => e.outcome),
    });

    expect(
      warmUp.every((status) => status === 201),
      explain,
    ).toBe(true);
    expect(
      statuses.filter((status) => status === 201),
      explain,
    ).toHaveLength(ORDERS);
    expect(sent - sentBefore, explain).toBeGreaterThanOrEqual(1);
    expect(won, explain).toBeGreaterThanOrEqual(1);
    // Within the hedge budget: at most 10 % of order's calls to inventory (all methods share it),
    // plus the reserve (one at the start, one per 10 s). The replicas' logs count every call.
    const allSent = total(text, 'grpc_hedges_sent_total');
    const calls = [stack.tier('inventory'), replica]
      .flatMap((p) => p.requestsEnded())
      .filter((e) => HEDGEABLE.has(e.method as string)).length;
    const seconds = (Date.now() - startedAt) / 1_000;
    expect(allSent, explain).toBeLessThanOrEqual(
      (calls - allSent) * 0.1 + 1 + seconds / 10,
    );
    // A hedged attempt's loser, in the slow replica's own log: its Reserve ended cancelled.
    const cancelled = await eventually(() => {
      const lines = replica
        .requestsEnded('Reserve')
        .slice(endedBefore)
        .filter((e) => e.outcome === 'cancelled');
      expect(lines.length, explain).toBeGreaterThanOrEqual(1);
      return lines;
    }, 10_000);
    // Cut short by the cancel, well before chaos would have let it go.
    for (const line of cancelled)
      expect(line.spentMs as number, explain).toBeLessThan(SLOW_MS);

    // No stock held for a loser: the units taken are exactly one per order, all sold once settled.
    const placed = ORDERS;
    await eventually(async () => {
      const after = await stockOf(inventoryUrl, 'latte');
      expect(after.available, explain).toBe(before.available - placed);
      expect(after.sold + after.reserved, explain).toBe(
        before.sold + before.reserved + placed,
      );
      expect(after.reserved, explain).toBe(before.reserved);
    }, 20_000);
  }, 240_000);
});
