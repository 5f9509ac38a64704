import { processCpuMs } from './process-cpu.js';
import type { PgServerCpu } from './pg-server-cpu.js';

/** What one stack used over one window. */
export interface CpuReading {
  /** User + system CPU of the tier processes. */
  readonly tiersMs: number;
  /** The PostgreSQL server's backends for the stack's database; absent when it uses none. */
  readonly pgMs?: number;
  readonly elapsedMs: number;
}

/** Idle background work (sweepers, timers, health checks) per second of wall time. */
export interface IdleRate {
  readonly tiersMsPerSec: number;
  readonly pgMsPerSec?: number;
}

/** A stack's processes to measure: its tiers, and the PostgreSQL server for its database when it has one. */
export class CpuMeter {
  constructor(
    private readonly tierPids: () => readonly number[],
    private readonly pg?: PgServerCpu,
  ) {}

  /** Starts a window; the function it returns ends it. */
  async start(): Promise<() => Promise<CpuReading>> {
    const pg = await this.pg?.window();
    const startedAt = performance.now();
    const before = this.tiersCpu();
    return async () => {
      const tiersMs = this.tiersCpu() - before;
      const elapsedMs = performance.now() - startedAt;
      const pgMs = await pg?.stop();
      return { tiersMs, elapsedMs, ...(pgMs === undefined ? {} : { pgMs }) };
    };
  }

  private tiersCpu(): number {
    const pids = this.tierPids();
    const ms = processCpuMs(pids);
    if (ms === undefined)
      throw new Error(
        `cannot read the CPU time of the tier processes ${pids.join(', ')}: this needs Linux /proc and running tiers`,
      );
    return ms;
  }
}

/** CPU per second of a quiet window. */
export function idleRate(reading: CpuReading): IdleRate {
  const perSec = (ms: number): number => (ms * 1000) / reading.elapsedMs;
  return {
    tiersMsPerSec: perSec(reading.tiersMs),
    ...(reading.pgMs === undefined ? {} : { pgMsPerSec: perSec(reading.pgMs) }),
  };
}

/** CPU per request of a loaded window, net of what the stack spends idle over the same time. */
export function netPerRequest(
  reading: CpuReading,
  requests: number,
  idle: IdleRate,
): { readonly tiersMs: number; readonly pgMs?: number } {
  const net = (ms: number, idlePerSec: number): number =>
    (ms - (idlePerSec * reading.elapsedMs) / 1000) / Math.max(requests, 1);
  return {
    tiersMs: net(reading.tiersMs, idle.tiersMsPerSec),
    ...(reading.pgMs === undefined
      ? {}
      : { pgMs: net(reading.pgMs, idle.pgMsPerSec ?? 0) }),
  };
}
