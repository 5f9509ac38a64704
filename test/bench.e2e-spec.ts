import { formatMarkdown } from '../bench/bench-report.js';
import {
  type BenchResults,
  runBench,
  SMOKE_PROFILE,
} from '../bench/run-bench.js';
import { Progress } from '../bench/support/progress.js';

// The bench harness with tiny N (`npm run bench -- --smoke`): every scenario runs against real
// tier processes and produces well-formed results. It asserts shape, never speed.
describe('npm run bench (smoke)', () => {
  let results: BenchResults;

  beforeAll(async () => {
    results = await runBench({
      profile: SMOKE_PROFILE,
      command: 'vitest run test/bench.e2e-spec.ts',
      progress: new Progress(0, null),
    });
  }, 240_000);

  const counts = (statuses: Record<string, number>): number =>
    Object.values(statuses).reduce((a, b) => a + b, 0);

  it('measures overhead in every mode and on the grpc-js peer chain, with no connection errors', () => {
    expect(results.overhead.map((r) => r.mode)).toEqual([
      ...SMOKE_PROFILE.modes,
      'grpc-js peer',
    ]);
    for (const row of results.overhead) {
      expect(row.requests).toBe(SMOKE_PROFILE.overhead.requests);
      expect(row.requestsPerSec).toBeGreaterThan(0);
      expect(row.p99Ms).toBeGreaterThanOrEqual(row.p50Ms);
      expect(row.errors).toBe(0);
    }
  });

  it('measures precision per budget with every request answered in time', () => {
    expect(results.precision).toHaveLength(
      SMOKE_PROFILE.modes.length * SMOKE_PROFILE.precision.budgetsMs.length,
    );
    for (const row of results.precision)
      expect(counts(row.statuses)).toBe(
        SMOKE_PROFILE.precision.requestsPerBudget,
      );
    // Inventory hangs: nobody gets a success, nobody is left waiting past the client's patience.
    for (const row of results.precision)
      expect(
        Object.keys(row.statuses).filter((s) => s === '201' || s === '0'),
      ).toEqual([]);
    // Nothing a hanging tier holds for a protected caller outlives the caller for long (loose: a loaded 2-core box).
    const full = results.precision.find((r) => r.mode === 'full')!;
    expect(full.orphanedMs.max).toBeLessThan(1_000);
  });

  it('runs each avalanche variant in each mode with success, latency, peak and recovery', () => {
    expect(results.avalanche).toHaveLength(
      SMOKE_PROFILE.modes.length * SMOKE_PROFILE.avalanche.variants.length,
    );
    for (const row of results.avalanche) {
      expect(counts(row.statuses)).toBe(SMOKE_PROFILE.avalanche.requests);
      expect(row.successPct).toBeGreaterThanOrEqual(0);
      expect(row.successPct).toBeLessThanOrEqual(100);
      expect(row.latencyMs.count).toBe(SMOKE_PROFILE.avalanche.requests);
      expect(row.peakAtInventory).toBeGreaterThan(0);
      expect(row.recoveryMs === null || row.recoveryMs >= 0).toBe(true);
    }
    // Every call slowed past the budget: no request can succeed in time.
    for (const row of results.avalanche.filter(
      (r) => r.variant === 'a-handler',
    ))
      expect(row.successPct).toBe(0);
  });

  it('runs every balancing policy through every replica phase, healthy first', () => {
    const rows = results.replicas?.rows ?? [];
    expect(rows.map((r) => `${r.policy} ${r.phase}`)).toEqual(
      SMOKE_PROFILE.replicas.policies.flatMap((policy) =>
        ['healthy', 'c-handler', 'c-network'].map((p) => `${policy} ${p}`),
      ),
    );
    for (const row of rows) {
      expect(row.requests).toBe(SMOKE_PROFILE.replicas.requests);
      expect(row.successPct).toBeGreaterThanOrEqual(0);
      expect(row.successPct).toBeLessThanOrEqual(100);
      expect(row.slowReplicaPct).toBeGreaterThanOrEqual(0);
      expect(row.extraCallsPct).toBeGreaterThanOrEqual(0);
    }
    expect(rows.find((r) => r.phase === 'healthy')?.meanVsHealthy).toBe(1);
  });

  it('soaks with every answer accounted for and the footprint of all six processes', () => {
    const [soak] = results.soak;
    expect(soak?.requests).toBeGreaterThan(0);
    expect(counts(soak.statuses)).toBe(soak.requests);
    expect(soak.unexpected).toBe(0);
    expect(soak.footprint.map((f) => f.tier)).toEqual([
      'gateway',
      'auth',
      'order',
      'inventory',
      'payment',
      'inventory-2',
    ]);
    for (const f of soak.footprint)
      expect(
        [
          f.heapUsedMbStart,
          f.heapUsedMbEnd,
          f.handlesStart,
          f.handlesEnd,
        ].every(Number.isFinite),
      ).toBe(true);
    // The data tiers' pools are read from their health details, so pool sockets are not taken for a leak.
    const pooled = soak.footprint
      .filter((f) => f.dbConnectionsEnd !== undefined)
      .map((f) => f.tier);
    expect(pooled).toEqual(['order', 'inventory', 'payment', 'inventory-2']);
    for (const f of soak.footprint.filter((x) => pooled.includes(x.tier)))
      expect(f.dbConnectionsEnd).toBeGreaterThanOrEqual(1);
  });

  it('writes a report with the command, the machine and one section per scenario, keeping the notes', () => {
    const markdown = formatMarkdown(
      results,
      'old\n<!-- notes: kept by the report writer -->\nhand-written\n<!-- /notes -->\n',
    );
    expect(markdown).toContain(
      'Generated by `vitest run test/bench.e2e-spec.ts` (profile `smoke`)',
    );
    expect(markdown).toContain(`${results.machine.cores} cores`);
    for (const heading of [
      '## 1. Overhead',
      '## 2. Precision',
      '## 3. Avalanche',
      '## 4. Soak',
    ])
      expect(markdown).toContain(heading);
    expect(markdown).toContain(
      '| Resilience4j (narrative) | same scenario | – | 93 | 380 |',
    );
    expect(markdown).toContain('hand-written');
    expect(markdown).not.toContain('old\n');
  });
});
