import type { BenchStack, Mode } from '../support/bench-stack';
import { runLoad, type RequestResult } from '../support/http-load';
import { round } from '../support/stats';

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
  readonly heapUsedMbStart: number;
  readonly heapUsedMbEnd: number;
  readonly handlesStart: number;
  readonly handlesEnd: number;
}

export interface SoakResult {
  readonly mode: Mode;
  readonly durationMs: number;
  readonly requests: number;
  readonly statuses: Record<string, number>;
  /** Answers that are not success, deadline (504), cancellation (499) or breaker/bulkhead (503). */
  readonly unexpected: number;
  readonly footprint: readonly TierFootprint[];
  /** Heap within 1.5× + 10 MB of its start and handles within +5, on every tier. */
  readonly steady: boolean;
}

const EXPECTED = new Set([201, 499, 503, 504]);

/**
 * Steady load with inventory slowed past the budget on 30 % of calls, switched on and off every
 * `toggleMs`: heap and open handles of every tier at start and end, and every answer accounted for.
 */
export async function runSoak(bench: BenchStack, options: SoakOptions): Promise<SoakResult> {
  const budgetMs = options.budgetMs ?? 600;
  await bench.clearFaults();
  const start = await footprints(bench);
  let on = false;
  const toggle = async (): Promise<void> => {
    on = !on;
    if (on) for (const admin of bench.inventoryAdmins) await bench.addFault(admin, { kind: 'delay', method: 'Reserve', delayMs: 800, percent: 30 });
    else await bench.clearFaults();
  };
  await toggle();
  const timer = setInterval(() => void toggle(), options.toggleMs);
  let results: RequestResult[];
  try {
    results = await runLoad({
      url: bench.ordersUrl,
      headers: { authorization: `Bearer ${bench.token}`, ...(bench.mode === 'naive' ? {} : { 'x-request-timeout': String(budgetMs) }) },
      body: JSON.stringify({ sku: 'espresso', quantity: 1 }),
      concurrency: options.concurrency,
      durationMs: options.durationMs,
      clientTimeoutMs: budgetMs + 1_000,
      // Keep memory flat in the harness too: the counts are all we need from a long run.
      onResult: () => bench.forgetEvents(),
    });
  } finally {
    clearInterval(timer);
    await bench.clearFaults();
  }
  // Let the last held calls end before the closing measurement.
  const until = Date.now() + 5_000;
  while (Date.now() < until && (await bench.reserveInFlight()) > 0) await new Promise((r) => setTimeout(r, 100));
  const end = await footprints(bench);
  const statuses: Record<string, number> = {};
  for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  const footprint = start.map((s) => {
    const e = end.find((x) => x.tier === s.tier)!;
    return { tier: s.tier, heapUsedMbStart: s.heapMb, heapUsedMbEnd: e.heapMb, handlesStart: s.handles, handlesEnd: e.handles };
  });
  return {
    mode: bench.mode,
    durationMs: options.durationMs,
    requests: results.length,
    statuses,
    unexpected: results.filter((r) => !EXPECTED.has(r.status)).length,
    footprint,
    steady: footprint.every((f) => f.heapUsedMbEnd <= f.heapUsedMbStart * 1.5 + 10 && f.handlesEnd <= f.handlesStart + 5),
  };
}

async function footprints(bench: BenchStack): Promise<{ tier: string; heapMb: number; handles: number }[]> {
  const urls: [string, string][] = [
    ['gateway', `${bench.stack.gatewayUrl}/metrics`],
    ...(['auth', 'order', 'inventory', 'payment'] as const).map((t): [string, string] => [t, `${bench.stack.adminUrl(t)}/metrics`]),
    ['inventory-2', `${bench.replica2AdminUrl}/metrics`],
  ];
  return Promise.all(
    urls.map(async ([tier, url]) => {
      const text = await (await fetch(url)).text();
      return { tier, heapMb: round(metric(text, 'nodejs_heap_size_used_bytes') / 2 ** 20, 1), handles: metric(text, 'nodejs_active_handles_total') };
    }),
  );
}

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').pop()) : NaN;
}
