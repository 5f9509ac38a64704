import { setTimeout as pause } from 'node:timers/promises';
import {
  type CpuMeter,
  type CpuReading,
  type IdleRate,
  idleRate,
  netPerRequest,
} from './cpu-meter.js';
import { loadOrders } from './http-load.js';
import { percentile, round } from './stats.js';
import {
  type WarmUpOptions,
  type WarmUpResult,
  warmUntilFlat,
} from './warm-up.js';

/**
 * Chains of tiers compared by loading them one at a time, in turns: on 2 shared cores, chains loaded
 * at once measure their contention (CPU per order triples), not themselves. Used by `npm run bench`'s
 * peer-sql scenario and by `npm run bench:lean`.
 */
export interface TurnChain {
  readonly name: string;
  readonly ordersUrl: string;
  readonly token: string;
  /** The chain's tier processes, and the PostgreSQL server's backends for its database. */
  readonly meter: CpuMeter;
  /** Drops the log lines the chain's processes have kept so far (nothing here reads them). */
  readonly forget: () => void;
}

/** One chain's timed window. */
export interface TurnWindow {
  readonly latencies: number[];
  /** Answers other than 201. */
  readonly failed: number;
  readonly cpu: CpuReading;
}

/** One chain over its windows: CPU per order net of its idle CPU. */
export interface TurnSummary {
  readonly requests: number;
  readonly failed: number;
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly tierCpuMsPerOrder: number;
  readonly pgCpuMsPerOrder: number;
}

/** Loads one chain alone for `windowMs`, `concurrency` orders in flight, and measures it. */
export async function loadWindow(
  chain: TurnChain,
  concurrency: number,
  windowMs: number,
): Promise<TurnWindow> {
  const stop = await chain.meter.start();
  const results = await loadOrders({
    ordersUrl: chain.ordersUrl,
    token: chain.token,
    concurrency,
    durationMs: windowMs,
  });
  const cpu = await stop();
  chain.forget();
  if (!results.length)
    throw new Error(`${chain.name}: no order completed in a window`);
  // The follow-ups of the last orders end before the next chain is timed.
  await pause(500);
  return {
    latencies: results.map((r) => r.latencyMs),
    failed: results.filter((r) => r.status !== 201).length,
    cpu,
  };
}

/** Loads the chains in turns, window by window, until each one's CPU per order is flat. */
export function warmInTurns(
  chains: readonly TurnChain[],
  concurrency: number,
  windowMs: number,
  warmUp: Omit<WarmUpOptions, 'windowRequests'>,
  log: (line: string) => void,
): Promise<WarmUpResult> {
  return warmUntilFlat(
    chains.length,
    async () => {
      const windows: TurnWindow[] = [];
      for (const chain of chains)
        windows.push(await loadWindow(chain, concurrency, windowMs));
      return windows.map((w) => ({
        requests: w.latencies.length,
        cpuMs: w.cpu.tiersMs,
      }));
    },
    { ...warmUp, windowRequests: 0 },
    log,
  );
}

/** Each chain's CPU per second while nothing loads it (sweepers, timers), after a short settling pause. */
export async function idleRates(
  chains: readonly TurnChain[],
  idleMs: number,
): Promise<IdleRate[]> {
  await pause(Math.min(2_000, idleMs));
  const stops = await Promise.all(chains.map((c) => c.meter.start()));
  await pause(idleMs);
  return Promise.all(stops.map(async (stop) => idleRate(await stop())));
}

const requestsOf = (windows: readonly TurnWindow[]): number =>
  windows.reduce((n, w) => n + w.latencies.length, 0);

/** Orders per second over the windows. */
export const perSecond = (windows: readonly TurnWindow[]): number =>
  (requestsOf(windows) * 1000) /
  windows.reduce((n, w) => n + w.cpu.elapsedMs, 0);

export function summariseTurns(
  windows: readonly TurnWindow[],
  idle: IdleRate,
): TurnSummary {
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
