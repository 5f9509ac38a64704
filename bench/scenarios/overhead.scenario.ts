import autocannon from 'autocannon';
import type { BenchStack, Mode } from '../support/bench-stack';
import { round } from '../support/stats';

export interface OverheadOptions {
  readonly connections: number;
  readonly warmupRequests: number;
  readonly requests: number;
}

export interface OverheadResult {
  readonly mode: Mode;
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
  const load = (amount: number): Promise<autocannon.Result> =>
    autocannon({
      url: bench.ordersUrl,
      method: 'POST',
      connections: options.connections,
      amount,
      timeout: 10,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bench.token}`, 'x-request-timeout': '5000' },
      body: JSON.stringify({ sku: 'espresso', quantity: 1 }),
    });
  await load(options.warmupRequests);
  bench.forgetEvents();
  const result = await load(options.requests);
  bench.forgetEvents();
  const total = result.requests.sent;
  return {
    mode: bench.mode,
    connections: options.connections,
    requests: total,
    requestsPerSec: round(total / Math.max(result.duration, 1e-3), 1),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}
