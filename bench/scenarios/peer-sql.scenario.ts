import { COMMON_ENV } from '@lib/platform';
import { Stack } from '../../tools/stack/index.js';
import {
  benchToken,
  distDir,
  stopOnInterrupt,
} from '../support/bench-stack.js';
import { NestSqlChain } from '../peer/nest-sql/nest-sql-chain.js';
import { CpuMeter, type IdleRate } from '../support/cpu-meter.js';
import {
  idleRates,
  loadWindow,
  perSecond,
  summariseTurns,
  type TurnChain,
  type TurnSummary,
  type TurnWindow,
  warmInTurns,
} from '../support/in-turns.js';
import { PgServerCpu } from '../support/pg-server-cpu.js';
import { pidsOf } from '../support/process-cpu.js';
import { round } from '../support/stats.js';
import type { WarmUpOptions } from '../support/warm-up.js';

export interface PeerSqlOptions {
  /** Requests in flight, one comparison each. */
  readonly connections: readonly number[];
  /** The chains loaded in turns, in timed windows (`windowMs`, at the first connection count), until both are flat. */
  readonly warmUp: Omit<WarmUpOptions, 'windowRequests'>;
  /** The quiet window after the warm-up that measures idle CPU, in ms. */
  readonly idleMs: number;
  /** Each measured window, in ms: one chain loaded at a time. */
  readonly windowMs: number;
  /** Windows per chain and connection count, taken in turns ours, peer, peer, ours, … */
  readonly rounds: number;
}

/** One chain at one connection count: CPU per order net of idle, the PostgreSQL server's beside the tiers'. */
export type PeerSqlSide = TurnSummary;

export interface PeerSqlRow {
  readonly connections: number;
  readonly ours: PeerSqlSide;
  readonly peer: PeerSqlSide;
  /** Throughput, ours ÷ peer, over all windows, and the range over the pairs of windows. */
  readonly throughputRatio: {
    readonly all: number;
    readonly min: number;
    readonly max: number;
  };
}

export interface PeerSqlResult {
  readonly warmUp: {
    readonly requests: readonly number[];
    readonly flat: boolean;
  };
  readonly idle: {
    readonly ours: {
      readonly tiersMsPerSec: number;
      readonly pgMsPerSec: number;
    };
    readonly peer: {
      readonly tiersMsPerSec: number;
      readonly pgMsPerSec: number;
    };
  };
  readonly rows: PeerSqlRow[];
}

/**
 * This project's five tiers in full mode against the plain-NestJS SQL peer (`peer/nest-sql`): the
 * same five-tier shape, protos, JWT check and SQL, on PostgreSQL, each chain on a database of its
 * own. Both run as real processes the whole time; both are warmed (in turns) until CPU per request is
 * flat, left quiet to measure idle CPU, then loaded one at a time in alternating windows (so the
 * machine's drift falls on both alike, and neither competes with the other for the cores).
 * Ours here is the plain stack (five processes, no second replica, no fault proxies, no chaos), so
 * the topologies match.
 */
export async function runPeerSql(
  options: PeerSqlOptions,
  log: (line: string) => void = () => undefined,
): Promise<PeerSqlResult> {
  const env = {
    RESILIENCE_MODE: 'full',
    INVENTORY_SEED_STOCK: '1000000000',
    LOG_FORMAT: 'json',
    // The tiers' default, which a test stack turns off: no line is read here, only CPU.
    LOG_FLUSH_MS: String(COMMON_ENV.LOG_FLUSH_MS.default),
  };
  const watchers: PgServerCpu[] = [];
  let stack: Stack | undefined;
  let peer: NestSqlChain | undefined;
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(watchers.map((w) => w.close()));
    await Promise.allSettled([stack?.stop(), peer?.stop()]);
  };
  const forget = stopOnInterrupt(stopAll);
  try {
    const dist = distDir();
    stack = await Stack.start({
      ports: 'free',
      distDir: dist,
      env,
      strictDeadlines: false,
    });
    peer = await NestSqlChain.start();
    const ourStack = stack;
    const peerChain = peer;
    const token = benchToken(dist, env);
    const ourPg = await PgServerCpu.open(ourStack.databaseUrl!);
    watchers.push(ourPg);
    const peerPg = await PgServerCpu.open(peerChain.databaseUrl);
    watchers.push(peerPg);
    const ourTiers = (
      ['gateway', 'auth', 'order', 'inventory', 'payment'] as const
    ).map((t) => ourStack.tier(t));
    const chains: readonly [TurnChain, TurnChain] = [
      {
        name: 'ours',
        ordersUrl: `${ourStack.gatewayUrl}/orders`,
        token,
        meter: new CpuMeter(() => pidsOf(ourTiers), ourPg),
        forget: () => {
          for (const tier of ourTiers) tier.events.length = 0;
        },
      },
      {
        name: 'peer',
        ordersUrl: peerChain.ordersUrl,
        token,
        meter: new CpuMeter(() => peerChain.pids, peerPg),
        forget: () => peerChain.forgetEvents(),
      },
    ];

    log(
      `peer-sql: warming the chains in turns, ${options.connections[0]} in flight`,
    );
    const warmed = await warmInTurns(
      chains,
      options.connections[0],
      options.windowMs,
      options.warmUp,
      (line) => log(`peer-sql (ours, peer): ${line}`),
    );
    const idles = await idleRates(chains, options.idleMs);

    const rows: PeerSqlRow[] = [];
    for (const connections of options.connections) {
      const windows: [TurnWindow[], TurnWindow[]] = [[], []];
      for (let r = 0; r < options.rounds; r++) {
        const order = r % 2 === 0 ? [0, 1] : [1, 0];
        for (const i of order) {
          windows[i].push(
            await loadWindow(chains[i], connections, options.windowMs),
          );
        }
        log(
          `peer-sql, ${connections} in flight, round ${r + 1}/${options.rounds}: ours ${perSecond([windows[0][r]]).toFixed(1)} req/s, peer ${perSecond([windows[1][r]]).toFixed(1)} req/s`,
        );
      }
      const pairs = windows[0].map(
        (w, i) => perSecond([w]) / perSecond([windows[1][i]]),
      );
      rows.push({
        connections,
        ours: summariseTurns(windows[0], idles[0]),
        peer: summariseTurns(windows[1], idles[1]),
        throughputRatio: {
          all: round(perSecond(windows[0]) / perSecond(windows[1]), 2),
          min: round(Math.min(...pairs), 2),
          max: round(Math.max(...pairs), 2),
        },
      });
    }
    const idleOf = (
      idle: IdleRate,
    ): { tiersMsPerSec: number; pgMsPerSec: number } => ({
      tiersMsPerSec: round(idle.tiersMsPerSec, 1),
      pgMsPerSec: round(idle.pgMsPerSec ?? 0, 1),
    });
    return {
      warmUp: { requests: warmed.requests, flat: warmed.flat },
      idle: { ours: idleOf(idles[0]), peer: idleOf(idles[1]) },
      rows,
    };
  } finally {
    await stopAll();
    forget();
  }
}
