import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';
import { COMMON_ENV } from '@lib/platform';
import { Stack } from '../../tools/stack/index.js';
import { distDir, stopOnInterrupt } from '../support/bench-stack.js';
import { NestSqlChain } from '../peer/nest-sql/nest-sql-chain.js';
import {
  CpuMeter,
  type CpuReading,
  type IdleRate,
  idleRate,
  netPerRequest,
} from '../support/cpu-meter.js';
import { runLoad } from '../support/http-load.js';
import { PgServerCpu } from '../support/pg-server-cpu.js';
import { pidsOf } from '../support/process-cpu.js';
import { percentile, round } from '../support/stats.js';
import { type WarmUpOptions, warmUntilFlat } from '../support/warm-up.js';

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

/** One chain at one connection count. */
export interface PeerSqlSide {
  readonly requests: number;
  /** Answers other than 201. */
  readonly failed: number;
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The five tier processes' CPU per order, net of their idle CPU. */
  readonly tierCpuMsPerOrder: number;
  /** The PostgreSQL server's CPU per order (the chain's own database), net of its idle CPU. */
  readonly pgCpuMsPerOrder: number;
}

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

/** A chain under test: where to send orders, and what it runs on. */
interface Chain {
  readonly name: 'ours' | 'peer';
  readonly ordersUrl: string;
  readonly meter: CpuMeter;
  readonly forget: () => void;
}

interface Window {
  readonly latencies: number[];
  readonly failed: number;
  readonly cpu: CpuReading;
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
    const token = execFileSync(
      process.execPath,
      [join(dist, 'apps/auth/src/issue-token.js'), 'bench', '86400'],
      { encoding: 'utf8', env: { ...process.env, ...env } },
    ).trim();
    const ourPg = await PgServerCpu.open(ourStack.databaseUrl!);
    watchers.push(ourPg);
    const peerPg = await PgServerCpu.open(peerChain.databaseUrl);
    watchers.push(peerPg);
    const ourTiers = (
      ['gateway', 'auth', 'order', 'inventory', 'payment'] as const
    ).map((t) => ourStack.tier(t));
    const chains: readonly [Chain, Chain] = [
      {
        name: 'ours',
        ordersUrl: `${ourStack.gatewayUrl}/orders`,
        meter: new CpuMeter(() => pidsOf(ourTiers), ourPg),
        forget: () => {
          for (const tier of ourTiers) tier.events.length = 0;
        },
      },
      {
        name: 'peer',
        ordersUrl: peerChain.ordersUrl,
        meter: new CpuMeter(() => peerChain.pids, peerPg),
        forget: () => peerChain.forgetEvents(),
      },
    ];

    const loadWindow = async (
      chain: Chain,
      concurrency: number,
    ): Promise<Window> => {
      const stop = await chain.meter.start();
      const results = await runLoad({
        url: chain.ordersUrl,
        headers: {
          authorization: `Bearer ${token}`,
          'x-request-timeout': '5000',
        },
        body: JSON.stringify({ sku: 'espresso', quantity: 1 }),
        concurrency,
        durationMs: options.windowMs,
        clientTimeoutMs: 10_000,
        traceContext: false,
      });
      const cpu = await stop();
      chain.forget();
      if (!results.length)
        throw new Error(`${chain.name}: no order completed in a window`);
      return {
        latencies: results.map((r) => r.latencyMs),
        failed: results.filter((r) => r.status !== 201).length,
        cpu,
      };
    };

    log(
      `peer-sql: warming the chains in turns, ${options.connections[0]} in flight`,
    );
    // In turns, not at once: sharing two loaded cores, a chain serves a tenth as many orders and
    // its CPU per order is inflated by the contention, so the floor takes too long and flatness is noise.
    const warmed = await warmUntilFlat(
      2,
      async () => {
        const windows: Window[] = [];
        for (const chain of chains)
          windows.push(await loadWindow(chain, options.connections[0]));
        return windows.map((w) => ({
          requests: w.latencies.length,
          cpuMs: w.cpu.tiersMs,
        }));
      },
      { ...options.warmUp, windowRequests: 0 },
      (line) => log(`peer-sql (ours, peer): ${line}`),
    );
    await pause(Math.min(2_000, options.idleMs));
    const idleStops = await Promise.all(chains.map((c) => c.meter.start()));
    await pause(options.idleMs);
    const idles = await Promise.all(
      idleStops.map(async (stop) => idleRate(await stop())),
    );

    const rows: PeerSqlRow[] = [];
    for (const connections of options.connections) {
      const windows: [Window[], Window[]] = [[], []];
      for (let r = 0; r < options.rounds; r++) {
        const order = r % 2 === 0 ? [0, 1] : [1, 0];
        for (const i of order) {
          windows[i].push(await loadWindow(chains[i], connections));
          // The follow-ups of the last orders end before the other chain is timed.
          await pause(500);
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
        ours: side(windows[0], idles[0]),
        peer: side(windows[1], idles[1]),
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

const requestsOf = (windows: readonly Window[]): number =>
  windows.reduce((n, w) => n + w.latencies.length, 0);
const perSecond = (windows: readonly Window[]): number =>
  (requestsOf(windows) * 1000) /
  windows.reduce((n, w) => n + w.cpu.elapsedMs, 0);

function side(windows: readonly Window[], idle: IdleRate): PeerSqlSide {
  const total = requestsOf(windows);
  const net = (of: 'tiersMs' | 'pgMs'): number =>
    windows.reduce(
      (n, w) =>
        n +
        (netPerRequest(w.cpu, w.latencies.length, idle)[of] ?? 0) *
          w.latencies.length,
      0,
    ) / total;
  const sorted = windows.flatMap((w) => w.latencies).sort((a, b) => a - b);
  return {
    requests: total,
    failed: windows.reduce((n, w) => n + w.failed, 0),
    requestsPerSec: round(perSecond(windows), 1),
    p50Ms: round(percentile(sorted, 50), 1),
    p99Ms: round(percentile(sorted, 99), 1),
    tierCpuMsPerOrder: round(net('tiersMs'), 2),
    pgCpuMsPerOrder: round(net('pgMs'), 2),
  };
}
