import autocannon from 'autocannon';
import type { BenchStack, Mode } from '../support/bench-stack';
import { round } from '../support/stats';

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
}

/**
 * The five-tier chain at a fixed concurrency, loaded by autocannon: POST /orders, each request
 * a JWT check, a reservation and a charge. Run once per mode on the same machine.
 */
export async function runOverhead(bench: BenchStack, options: OverheadOptions): Promise<OverheadResult> {
  return runOverheadAgainst(bench.mode, bench.ordersUrl, bench.token, options, () => bench.forgetEvents());
}

/** The same load against any edge serving POST /orders (the peer baseline too). */
export async function runOverheadAgainst(mode: OverheadResult['mode'], ordersUrl: string, token: string, options: OverheadOptions, forget = (): void => undefined): Promise<OverheadResult> {
  const load = (amount: number): Promise<autocannon.Result> =>
    autocannon({
      url: ordersUrl,
      method: 'POST',
      connections: options.connections,
      amount,
      timeout: 10,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-request-timeout': '5000' },
      body: JSON.stringify({ sku: 'espresso', quantity: 1 }),
    });
  await load(options.warmupRequests);
  forget();
  const result = await load(options.requests);
  forget();
  const total = result.requests.sent;
  return {
    mode,
    connections: options.connections,
    requests: total,
    requestsPerSec: round(total / Math.max(result.duration, 1e-3), 1),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}
