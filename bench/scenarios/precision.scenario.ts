import type { BenchStack, Mode } from '../support/bench-stack.js';
import type { LogEvent } from '../../tools/stack/index.js';
import { runLoad } from '../support/http-load.js';
import { summarise, type Summary } from '../support/stats.js';

export interface PrecisionOptions {
  readonly budgetsMs: readonly number[];
  readonly requestsPerBudget: number;
  readonly concurrency: number;
}

export interface PrecisionRow {
  readonly mode: Mode;
  readonly budgetMs: number;
  readonly requests: number;
  /** Answers that were 504 (the rest: other statuses, or the client gave up). */
  readonly gateway504: number;
  /** Every answer by status (0: the client gave up). */
  readonly statuses: Record<string, number>;
  /** How far past its budget the client got its 504, ms. */
  readonly overshootMs: Summary;
  /** How long held work went on after the caller had its answer or gave up, ms (every held call). */
  readonly orphanedMs: Summary;
  /** Every tier's `request ended` lines: how long after its own deadline each answered (0 when in time), ms. */
  readonly lateAnswerMs: Summary;
}

/**
 * Budgets from 50 ms to 2 s with the last tier (inventory's Reserve) hanging: the client's 504
 * should arrive at its budget, and no tier should keep working for it afterwards.
 */
export async function runPrecision(
  bench: BenchStack,
  options: PrecisionOptions,
): Promise<PrecisionRow[]> {
  const rows: PrecisionRow[] = [];
  for (const admin of bench.inventoryAdmins)
    await bench.addFault(admin, { kind: 'hang', method: 'Reserve' });
  try {
    for (const budgetMs of options.budgetsMs) {
      bench.forgetEvents();
      const results = await runLoad({
        url: bench.ordersUrl,
        headers: {
          authorization: `Bearer ${bench.token}`,
          ...(bench.mode === 'naive'
            ? {}
            : { 'x-request-timeout': String(budgetMs) }),
        },
        body: JSON.stringify({ sku: 'espresso', quantity: 1 }),
        concurrency: options.concurrency,
        total: options.requestsPerBudget,
        // A naive client enforces its budget itself; the others wait for the stack's 504 (with room to see it late).
        clientTimeoutMs: bench.mode === 'naive' ? budgetMs : budgetMs + 5_000,
      });
      const orphaned = await orphanedWork(bench, results);
      const lateAnswers = bench.processes.flatMap((tier) =>
        tier
          .requestsEnded()
          .map((e) => Math.max(0, -Number(e.remainingMs) || 0)),
      );
      rows.push({
        mode: bench.mode,
        budgetMs,
        requests: results.length,
        gateway504: results.filter((r) => r.status === 504).length,
        overshootMs: summarise(
          results
            .filter((r) => r.status === 504)
            .map((r) => r.latencyMs - budgetMs),
        ),
        statuses: countStatuses(results),
        orphanedMs: summarise(orphaned),
        lateAnswerMs: summarise(lateAnswers),
      });
    }
  } finally {
    await bench.clearFaults();
  }
  return rows;
}

/**
 * Orphaned work per held call: how long inventory kept the call after the client had its answer
 * (or gave up), matched by trace id, or the tier's own `overrunMs` (work past its deadline's
 * abort) when larger. First waits (bounded) until no held call is left in flight.
 */
export async function orphanedWork(
  bench: BenchStack,
  results: readonly { traceId: string; endedAtEpochMs: number }[],
  waitMs = 10_000,
): Promise<number[]> {
  const answeredAt = new Map(results.map((r) => [r.traceId, r.endedAtEpochMs]));
  const ended = (): LogEvent[] =>
    bench.inventoryEvents().filter((e) => e.msg === 'chaos call ended');
  const until = Date.now() + waitMs;
  // Held calls report when they end; in naive mode that can be seconds after the client left.
  let seen = -1;
  while (Date.now() < until) {
    const count = ended().length;
    if ((await bench.reserveInFlight()) === 0 && count === seen) break;
    seen = count;
    await new Promise((r) => setTimeout(r, 100));
  }
  const samples: number[] = [];
  for (const event of ended()) {
    const answered = answeredAt.get(String(event.traceId));
    if (answered === undefined) continue;
    samples.push(
      Math.max(
        0,
        Number(event.endedAtEpochMs) - answered,
        Number(event.overrunMs) || 0,
      ),
    );
  }
  return samples;
}

export function countStatuses(
  results: readonly { status: number }[],
): Record<string, number> {
  const statuses: Record<string, number> = {};
  for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  return statuses;
}
