import type { BenchStack, Mode } from '../support/bench-stack.js';
import { runLoad, type RequestResult } from '../support/http-load.js';
import { round, summarise, type Summary } from '../support/stats.js';
import { orphanedWork } from './precision.scenario.js';

/** (a) every call slowed, (b) 30 % of calls slowed, (c) one of two replicas slowed; by a slow handler or a slow network. */
export type AvalancheVariant =
  'a-handler' | 'b-handler' | 'c-handler' | 'a-network' | 'c-network';
export const AVALANCHE_VARIANTS: readonly AvalancheVariant[] = [
  'a-handler',
  'b-handler',
  'c-handler',
  'a-network',
  'c-network',
];

export interface AvalancheOptions {
  readonly requests: number;
  readonly concurrency: number;
  /** The client's budget. @default 600 */
  readonly budgetMs?: number;
  /** How slow inventory gets. @default 800 */
  readonly slowMs?: number;
  /** Give up measuring recovery after this long. @default 15000 */
  readonly recoveryLimitMs?: number;
}

export interface AvalancheRow {
  readonly mode: Mode;
  readonly variant: AvalancheVariant;
  readonly requests: number;
  /** Share of requests answered 2xx within the budget, %. */
  readonly successPct: number;
  readonly latencyMs: Summary;
  /** Answers by status (0: the client gave up). */
  readonly statuses: Record<string, number>;
  /** Most Reserve calls in flight at inventory at once (both replicas). */
  readonly peakAtInventory: number;
  readonly orphanedMs: Summary;
  /** How long order's fail-fast answers (breaker or bulkhead refusals) took inside the tier, ms. */
  readonly failFastMs: Summary;
  /** From clearing the fault to the first of five successes in a row; `null` when not within the limit. */
  readonly recoveryMs: number | null;
}

/**
 * The narrative's §4.4: inventory slowed past the budget (800 ms against 600 ms) under load.
 * Success, latency, calls held at inventory, orphaned work and recovery after the fault clears.
 */
export async function runAvalanche(
  bench: BenchStack,
  variant: AvalancheVariant,
  options: AvalancheOptions,
): Promise<AvalancheRow> {
  const budgetMs = options.budgetMs ?? 600;
  const slowMs = options.slowMs ?? 800;
  await bench.clearFaults();
  await waitForSuccess(bench, budgetMs, options.recoveryLimitMs ?? 15_000);
  await bench.resetLoad();
  bench.forgetEvents();

  const [one, two] = bench.inventoryAdmins;
  if (variant === 'a-handler')
    for (const admin of [one, two])
      await bench.addFault(admin, {
        kind: 'delay',
        method: 'Reserve',
        delayMs: slowMs,
      });
  if (variant === 'b-handler')
    for (const admin of [one, two])
      await bench.addFault(admin, {
        kind: 'delay',
        method: 'Reserve',
        delayMs: slowMs,
        percent: 30,
      });
  if (variant === 'c-handler')
    await bench.addFault(two, {
      kind: 'delay',
      method: 'Reserve',
      delayMs: slowMs,
    });
  // A slow network: replies (inventory → order) held by the proxy. Requests of other kinds share the connection.
  if (variant === 'a-network')
    for (const proxy of bench.proxies)
      proxy.set({ downstreamLatencyMs: slowMs });
  if (variant === 'c-network')
    bench.proxies[1].set({ downstreamLatencyMs: slowMs });

  const results = await load(
    bench,
    budgetMs,
    options.requests,
    options.concurrency,
  );
  const peakAtInventory = await bench.peakReserveInFlight();
  const failFast = bench.stack
    .tier('order')
    .requestsEnded('PlaceOrder')
    .filter(
      (e) => typeof e.reason === 'string' && / is unavailable: /.test(e.reason),
    )
    .map((e) => Number(e.spentMs));
  const orphaned = variant.endsWith('handler')
    ? await orphanedWork(bench, results)
    : [];

  const clearedAt = performance.now();
  await bench.clearFaults();
  const recoveredAt = await waitForSuccess(
    bench,
    budgetMs,
    options.recoveryLimitMs ?? 15_000,
  );
  const statuses: Record<string, number> = {};
  for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  return {
    mode: bench.mode,
    variant,
    requests: results.length,
    successPct: round(
      (results.filter((r) => ok(r, budgetMs)).length /
        Math.max(1, results.length)) *
        100,
      1,
    ),
    latencyMs: summarise(results.map((r) => r.latencyMs)),
    statuses,
    peakAtInventory,
    orphanedMs: summarise(orphaned),
    failFastMs: summarise(failFast),
    recoveryMs: recoveredAt === null ? null : round(recoveredAt - clearedAt, 0),
  };
}

/** A 2xx within the budget. */
export const ok = (r: RequestResult, budgetMs: number): boolean =>
  r.status >= 200 && r.status < 300 && r.latencyMs <= budgetMs;

/** `total` orders, `concurrency` in flight, each with the budget (none in naive mode) and a client that gives up 200 ms after it. */
export function load(
  bench: BenchStack,
  budgetMs: number,
  total: number,
  concurrency: number,
): Promise<RequestResult[]> {
  return runLoad({
    url: bench.ordersUrl,
    // The naive client states no budget (nothing downstream would honour it); it still gives up in time.
    headers: {
      authorization: `Bearer ${bench.token}`,
      ...(bench.mode === 'naive'
        ? {}
        : { 'x-request-timeout': String(budgetMs) }),
    },
    body: JSON.stringify({ sku: 'espresso', quantity: 1 }),
    concurrency,
    total,
    clientTimeoutMs: budgetMs + 200,
  });
}

/** Sends one request at a time until five in a row succeed; the time of the first of them, or `null` past the limit. */
async function waitForSuccess(
  bench: BenchStack,
  budgetMs: number,
  limitMs: number,
): Promise<number | null> {
  const until = performance.now() + limitMs;
  let streakStart: number | null = null;
  let streak = 0;
  while (performance.now() < until) {
    const sentAt = performance.now();
    const [result] = await load(bench, budgetMs, 1, 1);
    if (result && ok(result, budgetMs)) {
      streakStart ??= sentAt;
      if (++streak >= 5) return streakStart;
    } else {
      streak = 0;
      streakStart = null;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  return null;
}
