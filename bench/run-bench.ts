import { cpus, loadavg, release, totalmem } from 'node:os';
import {
  BENCH_BREAKER,
  BENCH_LB_POLICY,
  BenchStack,
  type Mode,
  MODES,
} from './support/bench-stack.js';
import { Progress } from './support/progress.js';
import {
  type OverheadOptions,
  type OverheadResult,
  runOverhead,
  runOverheadAgainst,
} from './scenarios/overhead.scenario.js';
import { PeerChain } from './peer/peer-chain.js';
import {
  type PeerSqlOptions,
  type PeerSqlResult,
  runPeerSql,
} from './scenarios/peer-sql.scenario.js';
import {
  type PrecisionOptions,
  type PrecisionRow,
  runPrecision,
} from './scenarios/precision.scenario.js';
import {
  AVALANCHE_VARIANTS,
  type AvalancheOptions,
  type AvalancheVariant,
  type AvalancheRow,
  runAvalanche,
} from './scenarios/avalanche.scenario.js';
import {
  runSoak,
  type SoakOptions,
  type SoakResult,
} from './scenarios/soak.scenario.js';
import {
  LB_POLICIES,
  type ReplicasOptions,
  type ReplicasResult,
  runReplicas,
} from './scenarios/replicas.scenario.js';

export type ScenarioName =
  'overhead' | 'peer-sql' | 'precision' | 'avalanche' | 'replicas' | 'soak';
export const SCENARIOS: readonly ScenarioName[] = [
  'overhead',
  'peer-sql',
  'precision',
  'avalanche',
  'replicas',
  'soak',
];

export interface BenchProfile {
  readonly name: string;
  readonly modes: readonly Mode[];
  readonly overhead: OverheadOptions;
  readonly peerSql: PeerSqlOptions;
  readonly precision: PrecisionOptions;
  readonly avalanche: AvalancheOptions & {
    readonly variants: readonly AvalancheVariant[];
  };
  readonly replicas: Omit<ReplicasOptions, 'mode'>;
  readonly soak: SoakOptions & { readonly modes: readonly Mode[] };
}

/**
 * What `npm run bench` runs: 15–20 minutes on 2 shared cores (5 of them the soak). Concurrency is
 * kept below what the five tiers serve on such a machine, so a slow inventory, not an overloaded
 * host, is what the avalanche measures.
 */
export const FULL_PROFILE: BenchProfile = {
  name: 'full',
  modes: MODES,
  overhead: {
    connections: 8,
    // CPU per request falls for ~4,000 requests after start: warm in windows of 1,000 until flat.
    warmUp: { windowRequests: 1_000, minRequests: 4_000, maxWindows: 12 },
    requests: 2_000,
    idleMs: 10_000,
  },
  // Full mode against the plain-Nest SQL peer: 2 × 8 windows of 10 s after the warm-up, which
  // loads the two chains in turns, 10 s each (6–9 min in all).
  peerSql: {
    connections: [8, 32],
    warmUp: { minRequests: 4_000, maxWindows: 12 },
    idleMs: 10_000,
    windowMs: 10_000,
    rounds: 4,
  },
  precision: {
    budgetsMs: [50, 100, 200, 500, 1_000, 2_000],
    requestsPerBudget: 12,
    concurrency: 4,
  },
  avalanche: {
    requests: 120,
    concurrency: 8,
    budgetMs: 600,
    slowMs: 800,
    variants: AVALANCHE_VARIANTS,
  },
  // The three balancing policies side by side, full mode, the avalanche's budget and slowness.
  replicas: {
    policies: LB_POLICIES,
    requests: 200,
    concurrency: 8,
    budgetMs: 600,
    slowMs: 800,
  },
  soak: {
    durationMs: 300_000,
    toggleMs: 30_000,
    concurrency: 8,
    modes: ['full'],
  },
};

/** The smoke run in `npm test`: every scenario, tiny N, so the harness cannot rot. */
export const SMOKE_PROFILE: BenchProfile = {
  name: 'smoke',
  // One mode: starting six processes is most of the cost on a loaded 2-core machine (10–30 s).
  modes: ['full'],
  overhead: {
    connections: 2,
    warmUp: { windowRequests: 10, minRequests: 10, maxWindows: 2 },
    requests: 20,
    idleMs: 500,
  },
  peerSql: {
    connections: [2],
    warmUp: { minRequests: 10, maxWindows: 2 },
    idleMs: 500,
    windowMs: 1_000,
    rounds: 2,
  },
  precision: { budgetsMs: [300], requestsPerBudget: 3, concurrency: 3 },
  avalanche: {
    requests: 8,
    concurrency: 4,
    budgetMs: 600,
    slowMs: 800,
    recoveryLimitMs: 10_000,
    variants: ['a-handler', 'c-network'],
  },
  replicas: {
    policies: ['deadline_p2c'],
    requests: 6,
    concurrency: 2,
    settleMs: 0,
  },
  soak: { durationMs: 2_000, toggleMs: 1_000, concurrency: 2, modes: ['full'] },
};

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGb: number;
  readonly node: string;
  readonly kernel: string;
  readonly loadAverageStart: readonly number[];
  readonly loadAverageEnd?: readonly number[];
}

export interface BenchResults {
  readonly profile: string;
  readonly command: string;
  readonly startedAt: string;
  readonly durationS: number;
  readonly machine: Machine;
  readonly settings: typeof BENCH_BREAKER & {
    readonly naiveTimeoutMs: 3000;
    /** Order's balancing over the two inventory replicas (absent in results from before it was recorded: round_robin). */
    readonly lbPolicy?: string;
  };
  readonly overhead: OverheadResult[];
  /** Full mode against the plain-Nest SQL peer, when the run included it. */
  readonly peerSql?: PeerSqlResult;
  readonly precision: PrecisionRow[];
  readonly avalanche: AvalancheRow[];
  /** The balancing policies side by side with one slow replica, when the run included it. */
  readonly replicas?: ReplicasResult;
  readonly soak: SoakResult[];
}

export interface RunBenchOptions {
  readonly profile: BenchProfile;
  readonly modes?: readonly Mode[];
  readonly scenarios?: readonly ScenarioName[];
  readonly command?: string;
  /** @default a bar on stderr */
  readonly progress?: Progress;
}

/**
 * Runs the scenarios side by side: for each mode, the same tiers (same build, same machine) are
 * started as separate processes and every scenario runs against them, then they are stopped.
 */
export async function runBench(
  options: RunBenchOptions,
): Promise<BenchResults> {
  const { profile } = options;
  const modes = options.modes ?? profile.modes;
  const scenarios = new Set(options.scenarios ?? SCENARIOS);
  const startedAt = new Date();
  const machine: Machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kernel: release(),
    loadAverageStart: loadavg().map((l) => Math.round(l * 100) / 100),
  };
  // peer-sql starts its own chains: a run of it alone starts no per-mode stack.
  const perMode = (
    ['overhead', 'precision', 'avalanche', 'soak'] as const
  ).some((s) => scenarios.has(s));
  const modesRun = perMode ? modes : [];
  const steps =
    modesRun.length *
      (1 +
        (scenarios.has('overhead') ? 1 : 0) +
        (scenarios.has('precision') ? 1 : 0) +
        (scenarios.has('avalanche') ? profile.avalanche.variants.length : 0)) +
    (scenarios.has('soak')
      ? modesRun.filter((m) => profile.soak.modes.includes(m)).length
      : 0) +
    (scenarios.has('overhead') ? 1 : 0) +
    (scenarios.has('peer-sql') ? 1 : 0) +
    (scenarios.has('replicas') ? 1 : 0);
  const progress = options.progress ?? new Progress(steps);
  const results = {
    overhead: [] as OverheadResult[],
    precision: [] as PrecisionRow[],
    avalanche: [] as AvalancheRow[],
    soak: [] as SoakResult[],
  };

  let token = '';
  for (const mode of modesRun) {
    progress.step(`${mode}: starting six tier processes`);
    const bench = await BenchStack.start(mode);
    token = bench.token;
    progress.tick(`${mode}: started`);
    try {
      if (scenarios.has('overhead')) {
        progress.step(`${mode}: overhead`);
        results.overhead.push(
          await runOverhead(bench, profile.overhead, (line) =>
            progress.step(`${mode}: overhead, ${line}`),
          ),
        );
        progress.tick();
      }
      if (scenarios.has('precision')) {
        progress.step(`${mode}: precision`);
        results.precision.push(
          ...(await runPrecision(bench, profile.precision)),
        );
        progress.tick();
      }
      if (scenarios.has('avalanche')) {
        for (const variant of profile.avalanche.variants) {
          progress.step(`${mode}: avalanche ${variant}`);
          results.avalanche.push(
            await runAvalanche(bench, variant, profile.avalanche),
          );
          progress.tick();
        }
      }
      if (scenarios.has('soak') && profile.soak.modes.includes(mode)) {
        progress.step(`${mode}: soak ${profile.soak.durationMs / 1_000} s`);
        results.soak.push(await runSoak(bench, profile.soak));
        progress.tick();
      }
    } finally {
      await bench.stop();
    }
  }
  if (scenarios.has('overhead')) {
    progress.step('grpc-js peer: overhead');
    const peer = await PeerChain.start();
    try {
      results.overhead.push(
        await runOverheadAgainst(
          'grpc-js peer',
          `${peer.edgeUrl}/orders`,
          token,
          profile.overhead,
          {
            pids: peer.pids,
            log: (line) => progress.step(`grpc-js peer: overhead, ${line}`),
          },
        ),
      );
    } finally {
      await peer.stop();
    }
    progress.tick();
  }
  let peerSql: PeerSqlResult | undefined;
  if (scenarios.has('peer-sql')) {
    progress.step('peer-sql: full mode against the plain-Nest SQL peer');
    peerSql = await runPeerSql(profile.peerSql, (line) => progress.step(line));
    progress.tick();
  }
  let replicas: ReplicasResult | undefined;
  if (scenarios.has('replicas')) {
    progress.step('replicas: the balancing policies side by side');
    replicas = await runReplicas(
      { ...profile.replicas, mode: 'full' },
      (line) => progress.step(line),
    );
    progress.tick();
  }
  progress.finish();
  return {
    profile: profile.name,
    command: options.command ?? 'npm run bench',
    startedAt: startedAt.toISOString(),
    durationS: Math.round((Date.now() - startedAt.getTime()) / 1_000),
    machine: {
      ...machine,
      loadAverageEnd: loadavg().map((l) => Math.round(l * 100) / 100),
    },
    settings: {
      ...BENCH_BREAKER,
      naiveTimeoutMs: 3000,
      lbPolicy: BENCH_LB_POLICY,
    },
    ...results,
    ...(peerSql ? { peerSql } : {}),
    ...(replicas ? { replicas } : {}),
  };
}
