import autocannon from 'autocannon';
import type { BenchStack, Mode } from '../support/bench-stack.js';
import { pidsOf, processCpuMs } from '../support/process-cpu.js';
import { round } from '../support/stats.js';

export interface OverheadOptions {
  readonly connections: number;
  readonly warmupRequests: number;
  readonly requests: number;
}

export interface OverheadResult {
  /** A mode of this project's tiers, or `grpc-js peer` (bare grpc-js, `parent` propagation). */
  readonly mode: Mode | 'grpc-js peer';
  readonly connections: number;
  readonly requests: number;
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
  /** CPU time the server processes used per request (user + system, all tiers summed), when known. */
  readonly cpuMsPerRequest?: number;
}

export interface OverheadTarget {
  /** Called between warm-up and measurement, and after it (drop kept log lines). */
  readonly forget?: () => void;
  /** The server processes, to measure their CPU time per request. */
  readonly pids?: readonly number[];
}

/**
 * The five-tier chain at a fixed concurrency, loaded by autocannon: POST /orders, each request
 * a JWT check, a reservation and a charge. Run once per mode on the same machine.
 */
export async function runOverhead(
  bench: BenchStack,
  options: OverheadOptions,
): Promise<OverheadResult> {
  return runOverheadAgainst(bench.mode, bench.ordersUrl, bench.token, options, {
    forget: () => bench.forgetEvents(),
    pids: pidsOf(bench.processes),
  });
}

/** The same load against any edge serving POST /orders (the peer baseline too). */
export async function runOverheadAgainst(
  mode: OverheadResult['mode'],
  ordersUrl: string,
  token: string,
  options: OverheadOptions,
  target: OverheadTarget = {},
): Promise<OverheadResult> {
  const { forget = (): void => undefined, pids = [] } = target;
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
  await load(options.warmupRequests);
  forget();
  const cpuBefore = processCpuMs(pids);
  const { result, elapsedMs } = await load(options.requests);
  const cpuAfter = processCpuMs(pids);
  forget();
  const total = result.requests.sent;
  return {
    mode,
    connections: options.connections,
    requests: total,
    requestsPerSec: round((total * 1000) / Math.max(elapsedMs, 1), 1),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    ...(pids.length && cpuBefore !== undefined && cpuAfter !== undefined
      ? {
          cpuMsPerRequest: round(
            (cpuAfter - cpuBefore) / Math.max(total, 1),
            2,
          ),
        }
      : {}),
  };
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
