import { setTimeout as pause } from 'node:timers/promises';
import { BenchStack, type Mode } from '../support/bench-stack.js';
import { round, summarise, type Summary } from '../support/stats.js';
import { load, ok } from './avalanche.scenario.js';

/** The balancing policies compared: the tiers' default, grpc-js's plain one, and grpc-js's ejection (gRFC A50). */
export const LB_POLICIES = [
  'deadline_p2c',
  'round_robin',
  'outlier_detection',
] as const;
export type LbPolicy = (typeof LB_POLICIES)[number];

/** No fault (the baseline each policy's latency is compared with), one replica's handler slowed, its network slowed. */
export type ReplicaPhase = 'healthy' | 'c-handler' | 'c-network';
export const REPLICA_PHASES: readonly ReplicaPhase[] = [
  'healthy',
  'c-handler',
  'c-network',
];

export interface ReplicasOptions {
  readonly mode: Mode;
  readonly policies: readonly LbPolicy[];
  readonly requests: number;
  readonly concurrency: number;
  /** The client's budget. @default 600 */
  readonly budgetMs?: number;
  /** How slow the slow replica gets. @default 800 */
  readonly slowMs?: number;
  /** Settling time between phases, for every policy's ejections to end (outlier_detection's base ejection is 10 s). @default 15000 */
  readonly settleMs?: number;
}

export interface ReplicasRow {
  readonly policy: LbPolicy;
  readonly phase: ReplicaPhase;
  readonly requests: number;
  /** Share of requests answered 2xx within the budget, %. */
  readonly successPct: number;
  readonly latencyMs: Summary;
  /** Mean latency over the same policy's healthy mean. */
  readonly meanVsHealthy: number | null;
  /** Reserve calls the slow replica (the second) served, as a share of all Reserve calls, %. */
  readonly slowReplicaPct: number;
  /** Reserve calls beyond one per request (retries and hedges, losers included), as a share of requests, %. */
  readonly extraCallsPct: number;
  /** Hedges order sent and won (its `grpc_hedges_*_total`; 0 where hedging is off). */
  readonly hedgesSent: number;
  readonly hedgesWon: number;
  /** Hedges as a share of all the calls inventory served (every method: the hedge budget is per downstream), %. */
  readonly hedgesPctOfCalls: number;
}

export interface ReplicasResult {
  readonly mode: Mode;
  readonly budgetMs: number;
  readonly slowMs: number;
  readonly rows: ReplicasRow[];
}

/**
 * One slow replica of two, under each balancing policy, side by side in one run: one bench stack per
 * policy, all started up front and warmed alike, then each phase (healthy, a slow handler, a slow
 * network on the second replica) runs on every stack in turn, the same load on each. Between phases
 * the faults are cleared on every stack and the run waits until no policy still holds a replica out.
 * Counts, per policy and phase: success within the budget, latency against the same policy's
 * healthy run, the slow replica's share of Reserve calls, and the calls beyond one per order.
 */
export async function runReplicas(
  options: ReplicasOptions,
  log: (line: string) => void = () => undefined,
): Promise<ReplicasResult> {
  const budgetMs = options.budgetMs ?? 600;
  const slowMs = options.slowMs ?? 800;
  const stacks = new Map<LbPolicy, BenchStack>();
  try {
    for (const policy of options.policies) {
      log(`replicas: starting the ${policy} stack`);
      stacks.set(
        policy,
        await BenchStack.start(options.mode, { GRPC_LB_POLICY: policy }),
      );
    }
    const rows: ReplicasRow[] = [];
    // The same warm-up on each: processes are faster after a few hundred requests.
    for (const [policy, bench] of stacks) {
      log(`replicas: warming the ${policy} stack`);
      await load(bench, budgetMs, options.requests, options.concurrency);
    }
    for (const phase of REPLICA_PHASES) {
      await settle(stacks, options.settleMs ?? 15_000, log);
      for (const [policy, bench] of stacks) {
        log(`replicas: ${phase}, ${policy}`);
        const row = await runPhase(bench, policy, phase, {
          ...options,
          budgetMs,
          slowMs,
        });
        const healthy = rows.find(
          (r) => r.policy === policy && r.phase === 'healthy',
        );
        rows.push({
          ...row,
          meanVsHealthy:
            healthy && healthy.latencyMs.mean > 0
              ? round(row.latencyMs.mean / healthy.latencyMs.mean)
              : phase === 'healthy'
                ? 1
                : null,
        });
        await bench.clearFaults();
      }
    }
    return { mode: options.mode, budgetMs, slowMs, rows };
  } finally {
    await Promise.all([...stacks.values()].map((bench) => bench.stop()));
  }
}

async function runPhase(
  bench: BenchStack,
  policy: LbPolicy,
  phase: ReplicaPhase,
  options: ReplicasOptions & { budgetMs: number; slowMs: number },
): Promise<Omit<ReplicasRow, 'meanVsHealthy'>> {
  const [, slowAdmin] = bench.inventoryAdmins;
  if (phase === 'c-handler')
    await bench.addFault(slowAdmin, {
      kind: 'delay',
      method: 'Reserve',
      delayMs: options.slowMs,
    });
  if (phase === 'c-network')
    bench.proxies[1].set({ downstreamLatencyMs: options.slowMs });
  const replicas = [bench.stack.tier('inventory'), bench.replica2];
  const reserves = (): number[] =>
    replicas.map((r) => r.requestsEnded('Reserve').length);
  const calls = (): number =>
    replicas.reduce((sum, r) => sum + r.requestsEnded().length, 0);
  const callsBefore = calls();
  const hedgesBefore = await hedges(bench);
  const before = reserves();
  const results = await load(
    bench,
    options.budgetMs,
    options.requests,
    options.concurrency,
  );
  // Calls the client gave up on may still be ending at inventory (cancelled): count them too.
  await pause(options.slowMs + 300);
  const served = reserves().map((n, i) => n - before[i]);
  const hedgesAfter = await hedges(bench);
  const hedgesSent = hedgesAfter.sent - hedgesBefore.sent;
  const allCalls = calls() - callsBefore;
  const total = served[0] + served[1];
  return {
    policy,
    phase,
    requests: results.length,
    successPct: round(
      (results.filter((r) => ok(r, options.budgetMs)).length /
        Math.max(1, results.length)) *
        100,
      1,
    ),
    latencyMs: summarise(results.map((r) => r.latencyMs)),
    slowReplicaPct: round((served[1] / Math.max(1, total)) * 100, 1),
    extraCallsPct: round(
      (Math.max(0, total - results.length) / Math.max(1, results.length)) * 100,
      1,
    ),
    hedgesSent,
    hedgesWon: hedgesAfter.won - hedgesBefore.won,
    hedgesPctOfCalls: round((hedgesSent / Math.max(1, allCalls)) * 100, 1),
  };
}

/** Clears every stack's faults, then waits `settleMs` and until no deadline_p2c replica is ejected. */
async function settle(
  stacks: ReadonlyMap<LbPolicy, BenchStack>,
  settleMs: number,
  log: (line: string) => void,
): Promise<void> {
  for (const bench of stacks.values()) await bench.clearFaults();
  log(`replicas: settling ${settleMs / 1_000} s`);
  await pause(settleMs);
  const p2c = stacks.get('deadline_p2c');
  if (!p2c) return;
  const until = Date.now() + 120_000;
  while (Date.now() < until && (await ejectedReplicas(p2c)) > 0)
    await pause(500);
}

async function ejectedReplicas(bench: BenchStack): Promise<number> {
  const response = await fetch(`${bench.stack.adminUrl('order')}/health`);
  const body = (await response.json()) as {
    details?: { replicas?: { inventory?: { ejected: boolean }[] } };
  };
  return (body.details?.replicas?.inventory ?? []).filter((r) => r.ejected)
    .length;
}

/** Order's hedge counters, summed over methods. */
async function hedges(
  bench: BenchStack,
): Promise<{ sent: number; won: number }> {
  const text = await (
    await fetch(`${bench.stack.adminUrl('order')}/metrics`)
  ).text();
  const sum = (name: string): number =>
    [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))]
      .map((m) => Number(m[1]))
      .reduce((a, b) => a + b, 0);
  return {
    sent: sum('grpc_hedges_sent_total'),
    won: sum('grpc_hedges_won_total'),
  };
}
