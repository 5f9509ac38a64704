import { Agent, request } from 'node:http';
import { randomBytes } from 'node:crypto';

/** One request's fate, as the client saw it. */
export interface RequestResult {
  /** HTTP status, or 0 when the client gave up (its own timeout) or the connection failed. */
  readonly status: number;
  readonly latencyMs: number;
  /** W3C trace id this request carried (`traceparent`), to match the tiers' log lines (unsent with `traceContext: false`). */
  readonly traceId: string;
  /** Wall-clock time (ms since epoch, sub-ms) when the answer arrived or the client gave up. */
  readonly endedAtEpochMs: number;
  readonly retryAfter?: string;
}

export interface LoadOptions {
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: string;
  /** Requests in flight at once (closed loop). */
  readonly concurrency: number;
  /** Stop after this many requests… */
  readonly total?: number;
  /** …or after this long, whichever comes first. */
  readonly durationMs?: number;
  /** The client gives up on a request after this long (status 0). */
  readonly clientTimeoutMs: number;
  /**
   * Send a sampled W3C `traceparent` with every request (its trace id matches the tiers' log lines).
   * Off, the edge starts each trace itself and its sampler decides, as for most public traffic.
   * @default true
   */
  readonly traceContext?: boolean;
  /** Told after every request (progress, live counters). */
  readonly onResult?: (result: RequestResult) => void;
}

/**
 * A closed-loop HTTP load generator on `node:http` with keep-alive: `concurrency` workers, each
 * sending its next request when the last one ends. Unlike autocannon it keeps every request's
 * latency and trace id, which the precision and avalanche scenarios need.
 */
export async function runLoad(options: LoadOptions): Promise<RequestResult[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const results: RequestResult[] = [];
  const until =
    options.durationMs === undefined
      ? Infinity
      : performance.now() + options.durationMs;
  let started = 0;
  const more = (): boolean =>
    (options.total === undefined || started < options.total) &&
    performance.now() < until;
  const worker = async (): Promise<void> => {
    while (more()) {
      started++;
      const result = await send(agent, options);
      results.push(result);
      options.onResult?.(result);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  } finally {
    agent.destroy();
  }
  return results;
}

function send(agent: Agent, options: LoadOptions): Promise<RequestResult> {
  const traceId = randomBytes(16).toString('hex');
  const startedAt = performance.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (status: number, retryAfter?: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const now = performance.now();
      resolve({
        status,
        latencyMs: now - startedAt,
        traceId,
        endedAtEpochMs: performance.timeOrigin + now,
        ...(retryAfter ? { retryAfter } : {}),
      });
    };
    const req = request(
      options.url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(options.body),
          ...(options.traceContext === false
            ? {}
            : {
                traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
              }),
          ...options.headers,
        },
      },
      (response) => {
        response.resume();
        response.on('end', () =>
          finish(response.statusCode ?? 0, response.headers['retry-after']),
        );
        response.on('error', () => finish(0));
      },
    );
    // The client's own patience: it hangs up, as a real caller with a timeout does.
    const timer = setTimeout(() => {
      finish(0);
      req.destroy();
    }, options.clientTimeoutMs);
    req.on('error', () => finish(0));
    req.end(options.body);
  });
}

/**
 * One espresso per order, `POST ordersUrl` with a 5 s budget, for `durationMs`: the steady order load
 * that the side-by-side comparisons time. The edge starts every trace, so its sampler decides (a
 * sampled `traceparent` would force recording).
 */
export function loadOrders(options: {
  readonly ordersUrl: string;
  readonly token: string;
  readonly concurrency: number;
  readonly durationMs: number;
}): Promise<RequestResult[]> {
  return runLoad({
    url: options.ordersUrl,
    headers: {
      authorization: `Bearer ${options.token}`,
      'x-request-timeout': '5000',
    },
    body: JSON.stringify({ sku: 'espresso', quantity: 1 }),
    concurrency: options.concurrency,
    durationMs: options.durationMs,
    clientTimeoutMs: 10_000,
    traceContext: false,
  });
}
