// The demo's replica act: one of three replicas of a tier slowed through its chaos endpoint, a burst
// of orders with a budget that replica would blow, and what the hop records say about who served them.
import { hostname } from 'node:os';
import { formatHopTable, type HopRecord } from '@lib/deadline';
import type { ReplicableTier, Stack } from '../tools/stack/index.js';

export const ACT_REPLICAS = 3;
const SLOW_MS = 1_000;
const ORDERS = 20;
const CONCURRENCY = 4;
const BUDGET_MS = 1_000;

/** The call the act slows on each tier it can replicate. */
const SLOWED_METHOD: Readonly<Record<ReplicableTier, string>> = {
  inventory: 'Reserve',
  auth: 'VerifyToken',
  payment: 'Charge',
  order: 'PlaceOrder',
};

/** Who balances over the replicated tier (its caller), for the act's title. */
const CALLER: Readonly<Record<ReplicableTier, string>> = {
  inventory: 'order',
  auth: 'the gateway',
  payment: 'order',
  order: 'the gateway',
};

interface Placed {
  readonly status: number;
  readonly hops: readonly HopRecord[];
}

/**
 * Slows the last of `tier`'s replicas (`SLOW_MS` before every call of its slowed method, through its
 * admin `POST /chaos/faults`), sends `ORDERS` orders `CONCURRENCY` at a time with a `BUDGET_MS`
 * budget, prints how many were placed, which replicas served the slowed method (the `replica` of their
 * hop records) and one order's hop table, then clears the fault.
 */
export async function replicaAct(
  stack: Stack,
  token: string,
  tier: ReplicableTier,
  write: (text: string) => void,
): Promise<void> {
  const method = SLOWED_METHOD[tier];
  const slow = stack.replicas(tier).length - 1;
  const slowAddress = stack.grpcUrl(tier, slow);
  write(
    `\n\u001b[1m▶ One of ${stack.replicas(tier).length} ${tier} replicas slowed by ${SLOW_MS} ms: ${CALLER[tier]}'s balancer (deadline_p2c) sends ${method} to the other ${slow}, and orders keep succeeding\u001b[0m\n`,
  );
  // Traffic first, as in production: the balancer learns each replica's latency, and hedging has the
  // recent answers it takes its delay from (a method is hedged once it has 20 in the last 10 s).
  await placeOrders(stack.gatewayUrl, token);
  const hedgesBefore = await hedgeCounts(stack, tier);
  const faults = `${stack.adminUrl(tier, slow)}/chaos/faults`;
  const added = await fetch(faults, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'delay', method, delayMs: SLOW_MS }),
  });
  if (added.status !== 201)
    throw new Error(
      `could not slow ${tier} replica ${slowAddress}: HTTP ${added.status} ${await added.text()}`,
    );
  write(
    `  ${stack.replicas(tier)[slow].name} (${slowAddress}) slowed: every ${method} waits ${SLOW_MS} ms first (POST ${faults})\n`,
  );

  try {
    const started = performance.now();
    const placed = await placeOrders(stack.gatewayUrl, token);
    const took = performance.now() - started;
    const ok = placed.filter((p) => p.status === 201).length;
    const statuses = countBy(placed.map((p) => String(p.status)));
    write(
      `  ${ORDERS} orders, X-Request-Timeout: ${BUDGET_MS}, ${CONCURRENCY} at a time → ${ok} of ${ORDERS} placed in ${(took / 1000).toFixed(1)} s (HTTP ${[
        ...statuses,
      ]
        .map(([status, n]) => `${status} ×${n}`)
        .join(', ')})\n`,
    );

    // Every record of the slowed method that names its replica: who served the call, and how it ended.
    const served = new Map<string, Map<string, number>>();
    for (const hop of placed.flatMap((p) => p.hops))
      if (hop.service === tier && hop.method === method && hop.replica) {
        const outcomes = served.get(hop.replica) ?? new Map<string, number>();
        outcomes.set(hop.outcome, (outcomes.get(hop.outcome) ?? 0) + 1);
        served.set(hop.replica, outcomes);
      }
    // Each process names itself <hostname>:<its gRPC port> (REPLICA_ID's default).
    const rows = stack.replicas(tier).map((_, i) => {
      const name = `${hostname()}:${stack.grpcUrl(tier, i).split(':').pop()!}`;
      const outcomes = served.get(name) ?? new Map<string, number>();
      const failed = [...outcomes]
        .filter(([outcome]) => outcome !== 'ok')
        .map(([outcome, n]) => `, ${n} ${outcome}`);
      return {
        label: i === slow ? `${name} (slowed)` : name,
        text: `${String(outcomes.get('ok') ?? 0).padStart(3)} ok${failed.join('')}`,
      };
    });
    const width = Math.max(...rows.map((r) => r.label.length));
    write(`  ${method} served by (the replica named in each hop record):\n`);
    for (const { label, text } of rows)
      write(`    ${label.padEnd(width)}  ${text}\n`);

    const hedges = await hedgeCounts(stack, tier);
    if (hedges && hedgesBefore)
      write(
        `  hedges: ${hedges.sent - hedgesBefore.sent} sent, ${hedges.won - hedgesBefore.won} won (a second ${method} to another replica once the first had no answer after the method's p95; the loser is cancelled)\n`,
      );

    const sample = [...placed].reverse().find((p) => p.status === 201);
    if (sample) {
      write(`  one of the orders placed:\n`);
      write(`${formatHopTable(sample.hops).replace(/^/gm, '  ')}\n`);
    }
  } finally {
    await fetch(faults, { method: 'DELETE' }).catch(() => undefined);
  }
  write(
    `  fault cleared; slow it again by hand: npm run chaos -- ${tier} delay ${SLOW_MS} --method ${method} --admin ${stack.adminUrl(tier, slow)}\n`,
  );
}

/** Order's hedge counters for `tier` (its `grpc_hedges_*_total`); undefined where order is not the caller. */
async function hedgeCounts(
  stack: Stack,
  tier: ReplicableTier,
): Promise<{ sent: number; won: number } | undefined> {
  if (tier !== 'inventory' && tier !== 'payment') return undefined;
  const text = await (await fetch(`${stack.adminUrl('order')}/metrics`)).text();
  const count = (name: string): number =>
    [
      ...text.matchAll(
        new RegExp(
          `^${name}\\{[^}]*downstream="${tier}"[^}]*\\} (\\S+)$`,
          'gm',
        ),
      ),
    ].reduce((sum, m) => sum + Number(m[1]), 0);
  return {
    sent: count('grpc_hedges_sent_total'),
    won: count('grpc_hedges_won_total'),
  };
}

async function placeOrders(gateway: string, token: string): Promise<Placed[]> {
  const placed: Placed[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < ORDERS) placed.push(await placeOrder(gateway, token));
    }),
  );
  return placed;
}

async function placeOrder(gateway: string, token: string): Promise<Placed> {
  const response = await fetch(`${gateway}/orders`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'x-request-timeout': String(BUDGET_MS),
    },
    body: JSON.stringify({ sku: 'latte', quantity: 1 }),
  });
  const body = (await response.json()) as {
    deadline?: { hops: HopRecord[] };
    hops?: HopRecord[];
  };
  return {
    status: response.status,
    hops: body.deadline?.hops ?? body.hops ?? [],
  };
}

function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}
