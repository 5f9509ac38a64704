import type { BenchStack, Mode } from '../support/bench-stack.js';
import { runLoad, type RequestResult } from '../support/http-load.js';
import { round } from '../support/stats.js';

export interface SoakOptions {
  readonly durationMs: number;
  /** The fault is switched on and off this often. */
  readonly toggleMs: number;
  readonly concurrency: number;
  /** @default 600 */
  readonly budgetMs?: number;
}

export interface TierFootprint {
  readonly tier: string;
  /** Lowest heap reading over the first and the last quarter of the run (see `heapFloor`). */
  readonly heapUsedMbStart: number;
  readonly heapUsedMbEnd: number;
  readonly handlesStart: number;
  readonly handlesEnd: number;
  /** PostgreSQL connections the tier's pool holds (each an open handle), where it has one. */
  readonly dbConnectionsStart?: number;
  readonly dbConnectionsEnd?: number;
}

export interface SoakResult {
  readonly mode: Mode;
  readonly durationMs: number;
  readonly requests: number;
  readonly statuses: Record<string, number>;
  /** Answers that are not success, deadline (504), cancellation (499) or breaker/bulkhead (503). */
  readonly unexpected: number;
  readonly footprint: readonly TierFootprint[];
  /** Heap within 1.5× + 10 MB of its start and handles within +5 beyond what the DB pool added, on every tier. */
  readonly steady: boolean;
}

const EXPECTED = new Set([201, 499, 503, 504]);

/**
 * Steady load with inventory slowed past the budget on 30 % of calls, switched on and off every
 * `toggleMs`: every tier's heap floor early and late in the run, its open handles (and DB pool
 * connections) at start and end, and every answer accounted for.
 */
export async function runSoak(
  bench: BenchStack,
  options: SoakOptions,
): Promise<SoakResult> {
  const budgetMs = options.budgetMs ?? 600;
  await bench.clearFaults();
  const start = await footprints(bench);
  let on = false;
  const toggle = async (): Promise<void> => {
    on = !on;
    if (on)
      for (const admin of bench.inventoryAdmins)
        await bench.addFault(admin, {
          kind: 'delay',
          method: 'Reserve',
          delayMs: 800,
          percent: 30,
        });
    else await bench.clearFaults();
  };
  await toggle();
  const timer = setInterval(() => void toggle(), options.toggleMs);
  const samples: Footprint[][] = [];
  const sampler = setInterval(
    () =>
      // Heap readings only: the pools are compared at start and end.
      void footprints(bench, { pools: false })
        .then((f) => samples.push(f))
        .catch(() => undefined),
    Math.max(250, options.durationMs / 40),
  );
  let results: RequestResult[];
  try {
    results = await runLoad({
      url: bench.ordersUrl,
      headers: {
        authorization: `Bearer ${bench.token}`,
        ...(bench.mode === 'naive'
          ? {}
          : { 'x-request-timeout': String(budgetMs) }),
      },
      body: JSON.stringify({ sku: 'espresso', quantity: 1 }),
      concurrency: options.concurrency,
      durationMs: options.durationMs,
      clientTimeoutMs: budgetMs + 1_000,
      // Keep memory flat in the harness too: the counts are all we need from a long run.
      onResult: () => bench.forgetEvents(),
    });
  } finally {
    clearInterval(timer);
    clearInterval(sampler);
    await bench.clearFaults();
  }
  // Let the last held calls end before the closing measurement.
  const until = Date.now() + 5_000;
  while (Date.now() < until && (await bench.reserveInFlight()) > 0)
    await new Promise((r) => setTimeout(r, 100));
  const end = await footprints(bench);
  const statuses: Record<string, number> = {};
  for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  const quarter = Math.floor(samples.length / 4);
  const [early, late] = quarter
    ? [samples.slice(0, quarter), samples.slice(-quarter)]
    : [[start], [end]];
  const footprint = start.map((s) => {
    const e = end.find((x) => x.tier === s.tier)!;
    const floor = (readings: Footprint[][]): number =>
      heapFloor(
        readings.map((r) => r.find((x) => x.tier === s.tier)?.heapMb ?? NaN),
      );
    const db =
      s.dbConnections === undefined || e.dbConnections === undefined
        ? {}
        : {
            dbConnectionsStart: s.dbConnections,
            dbConnectionsEnd: e.dbConnections,
          };
    return {
      tier: s.tier,
      heapUsedMbStart: floor(early),
      heapUsedMbEnd: floor(late),
      handlesStart: s.handles,
      handlesEnd: e.handles,
      ...db,
    };
  });
  return {
    mode: bench.mode,
    durationMs: options.durationMs,
    requests: results.length,
    statuses,
    unexpected: results.filter((r) => !EXPECTED.has(r.status)).length,
    footprint,
    // A pool opening connections up to its limit under load is not a leak: its sockets are counted apart.
    steady: footprint.every(
      (f) =>
        f.heapUsedMbEnd <= f.heapUsedMbStart * 1.5 + 10 &&
        f.handlesEnd -
          f.handlesStart -
          ((f.dbConnectionsEnd ?? 0) - (f.dbConnectionsStart ?? 0)) <=
          5,
    ),
  };
}

interface Footprint {
  readonly tier: string;
  readonly heapMb: number;
  readonly handles: number;
  readonly dbConnections?: number;
}

/**
 * Without a forced GC (the tiers do not expose one) a single heap reading is mostly garbage not yet
 * collected, and swings by tens of MB; the lowest of several readings over a stretch of load is
 * close to what is live. A leak raises that floor.
 */
function heapFloor(readingsMb: readonly number[]): number {
  const valid = readingsMb.filter((v) => Number.isFinite(v));
  return valid.length ? Math.min(...valid) : NaN;
}

async function footprints(
  bench: BenchStack,
  { pools = true } = {},
): Promise<Footprint[]> {
  const admins: [string, string][] = [
    ['gateway', bench.stack.gatewayUrl],
    ...(['auth', 'order', 'inventory', 'payment'] as const).map(
      (t): [string, string] => [t, bench.stack.adminUrl(t)],
    ),
    ['inventory-2', bench.replica2AdminUrl],
  ];
  return Promise.all(
    admins.map(async ([tier, base]) => {
      const text = await (await fetch(`${base}/metrics`)).text();
      const footprint = {
        tier,
        heapMb: round(metric(text, 'nodejs_heap_size_used_bytes') / 2 ** 20, 1),
        handles: metric(text, 'nodejs_active_handles_total'),
      };
      if (!pools || tier === 'gateway' || tier === 'auth') return footprint;
      // The data tiers report their pool in the admin health details (libs/database).
      const health = (await (await fetch(`${base}/health`)).json()) as {
        details?: { database?: { connections?: { total?: unknown } } };
      };
      const total = health.details?.database?.connections?.total;
      return typeof total === 'number'
        ? { ...footprint, dbConnections: total }
        : footprint;
    }),
  );
}

function metric(text: string, name: string): number {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').pop()) : NaN;
}
