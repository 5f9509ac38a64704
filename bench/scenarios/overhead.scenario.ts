import { setTimeout as pause } from 'node:timers/promises';
import autocannon from 'autocannon';
import type { BenchStack, Mode } from '../support/bench-stack.js';
import { CpuMeter, idleRate, netPerRequest } from '../support/cpu-meter.js';
import { PgServerCpu } from '../support/pg-server-cpu.js';
import { pidsOf, processCpuMs } from '../support/process-cpu.js';
import { type WarmUpOptions, warmUntilFlat } from '../support/warm-up.js';
import { round } from '../support/stats.js';

export interface OverheadOptions {
  readonly connections: number;
  /** Load until CPU per request is flat, before anything is timed. */
  readonly warmUp: WarmUpOptions;
  /** Requests timed, after the warm-up and the quiet window. */
  readonly requests: number;
  /** The quiet window after the warm-up that measures idle CPU (sweepers, timers), in ms. */
  readonly idleMs: number;
}

export interface OverheadResult {
  /** A mode of this project's tiers, or a peer chain (`grpc-js peer`, `nest-sql peer`). */
  readonly mode: Mode | 'grpc-js peer' | 'nest-sql peer';
  readonly connections: number;
  readonly requests: number;
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
  /** Requests served while warming up, and whether CPU per request was flat at the end (else the cap ended it). */
  readonly warmUp: { readonly requests: number; readonly flat: boolean };
  /** CPU time the tier processes used per request (user + system, all tiers summed), net of their idle CPU over the same time, when known. */
  readonly cpuMsPerRequest?: number;
  /** The same, idle CPU included. */
  readonly cpuMsPerRequestGross?: number;
  /** The tiers' CPU per second with no load (sweepers, timers, health checks). */
  readonly idleCpuMsPerSec?: number;
  /** The PostgreSQL server's CPU per request (its backends for the stack's database), net of its idle CPU; absent without PostgreSQL. */
  readonly pgCpuMsPerRequest?: number;
  readonly pgIdleCpuMsPerSec?: number;
}

export interface OverheadTarget {
  /** Called between warm-up and measurement, and after it (drop kept log lines). */
  readonly forget?: () => void;
  /** The server processes, to measure their CPU time per request. */
  readonly pids?: readonly number[];
  /** The PostgreSQL database the target uses, to count the server's CPU beside the tiers'. */
  readonly databaseUrl?: string;
  readonly log?: (line: string) => void;
}

/**
 * The five-tier chain at a fixed concurrency, loaded by autocannon: POST /orders, each request
 * a JWT check, a reservation and a charge. Run once per mode on the same machine.
 */
export async function runOverhead(
  bench: BenchStack,
  options: OverheadOptions,
  log?: (line: string) => void,
): Promise<OverheadResult> {
  return runOverheadAgainst(bench.mode, bench.ordersUrl, bench.token, options, {
    forget: () => bench.forgetEvents(),
    pids: pidsOf(bench.processes),
    databaseUrl: bench.stack.databaseUrl,
    log,
  });
}

/**
 * The same load against any edge serving POST /orders (the peers too): warm up until CPU per
 * request is flat, measure a quiet window for idle CPU, then time `requests`.
 */
export async function runOverheadAgainst(
  mode: OverheadResult['mode'],
  ordersUrl: string,
  token: string,
  options: OverheadOptions,
  target: OverheadTarget = {},
): Promise<OverheadResult> {
  const {
    forget = (): void => undefined,
    pids = [],
    log = (): void => undefined,
  } = target;
  const load = (amount: number): Promise<TimedResult> =>
    timedAutocannon({
      url: ordersUrl,
      method: 'POST',
      connections: options.connections,
      amount,
      timeout: 10,
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        'x-request-timeout': '5000',
      },
      body: JSON.stringify({ sku: 'espresso', quantity: 1 }),
    });
  const pg = target.databaseUrl?.startsWith('postgres')
    ? await PgServerCpu.open(target.databaseUrl)
    : undefined;
  const meter =
    pids.length && processCpuMs(pids) !== undefined
      ? new CpuMeter(() => pids, pg)
      : undefined;
  try {
    const warmed = await warmUntilFlat(
      1,
      async () => {
        const stop = await meter?.start();
        const { result } = await load(options.warmUp.windowRequests);
        forget();
        const reading = await stop?.();
        // Without /proc there is nothing to flatten: one window of the floor's size is the warm-up.
        return [
          {
            requests: result.requests.sent,
            cpuMs: reading?.tiersMs ?? 0,
          },
        ];
      },
      meter
        ? options.warmUp
        : {
            ...options.warmUp,
            maxWindows: Math.ceil(
              options.warmUp.minRequests / options.warmUp.windowRequests,
            ),
          },
      (line) => log(`${mode}: ${line}`),
    );
    // The follow-ups of the last orders (commit, mark settled) end first; then nothing but background work runs.
    await pause(Math.min(2_000, options.idleMs));
    const stopIdle = await meter?.start();
    await pause(options.idleMs);
    const idle = stopIdle && idleRate(await stopIdle());
    const stop = await meter?.start();
    const { result, elapsedMs } = await load(options.requests);
    const reading = await stop?.();
    forget();
    const total = result.requests.sent;
    const net = reading && idle && netPerRequest(reading, total, idle);
    return {
      mode,
      connections: options.connections,
      requests: total,
      requestsPerSec: round((total * 1000) / Math.max(elapsedMs, 1), 1),
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors,
      warmUp: {
        requests: warmed.requests[0],
        flat: meter ? warmed.flat : false,
      },
      ...(reading && net && idle
        ? {
            cpuMsPerRequest: round(net.tiersMs, 2),
            cpuMsPerRequestGross: round(
              reading.tiersMs / Math.max(total, 1),
              2,
            ),
            idleCpuMsPerSec: round(idle.tiersMsPerSec, 1),
            ...(net.pgMs === undefined
              ? {}
              : {
                  pgCpuMsPerRequest: round(net.pgMs, 2),
                  pgIdleCpuMsPerSec: round(idle.pgMsPerSec ?? 0, 1),
                }),
          }
        : {}),
    };
  } finally {
    await pg?.close();
  }
}

interface TimedResult {
  readonly result: autocannon.Result;
  /** From the start to the last answer. autocannon's own `duration` with `amount` set ends on its 1 s sampling tick, which would round throughput to 800 / 9 s, 800 / 10 s… */
  readonly elapsedMs: number;
}

function timedAutocannon(options: autocannon.Options): Promise<TimedResult> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    let lastAnswerAt = startedAt;
    const instance = autocannon(options, (error, result) =>
      error
        ? reject(error)
        : resolve({ result, elapsedMs: lastAnswerAt - startedAt }),
    );
    instance.on('response', () => (lastAnswerAt = performance.now()));
  });
}
